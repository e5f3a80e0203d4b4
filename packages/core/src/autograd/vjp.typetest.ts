// Compile-time test, checked by `tsc` (the package's typecheck): a VJP table that misses a primitive must not
// compile. If `VjpTable` ever stopped requiring every op, the @ts-expect-error below would be unused and tsc fails.
import type { GradOp } from '../spi/ops.ts';
import type { VjpTable } from './vjp.ts';
import { vjpRules } from './vjp.ts';

const { tanh: _dropped, ...withoutTanh } = vjpRules;

// @ts-expect-error — 'tanh' is missing from the table
export const incomplete: VjpTable = withoutTanh;

export const complete: VjpTable = { ...withoutTanh, tanh: vjpRules.tanh };

// Adding a primitive to the op union without writing its rule: the table no longer has every key of the mapped type.
// (Simulated with a wider union, since the real one is closed; `VjpTable` is exactly this mapped type over `GradOp`.)
type TableOver<Ops extends string> = { readonly [P in Ops]: unknown };
// @ts-expect-error — 'newPrimitive' has no VJP rule
export const withUnruledPrimitive: TableOver<GradOp | 'newPrimitive'> = vjpRules;
export const everyOpHasARule: TableOver<GradOp> = vjpRules;
// and the table has no entry that is not an op
type Extra = Exclude<keyof typeof vjpRules, GradOp>;
export const noExtraEntries: [Extra] extends [never] ? true : false = true;
