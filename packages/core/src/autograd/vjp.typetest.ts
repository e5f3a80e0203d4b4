// Compile-time test, checked by `tsc` (the package's typecheck): a VJP table that misses a primitive must not
// compile. If `VjpTable` ever stopped requiring every op, the @ts-expect-error below would be unused and tsc fails.
import type { VjpTable } from './vjp.ts';
import { vjpRules } from './vjp.ts';

const { tanh: _dropped, ...withoutTanh } = vjpRules;

// @ts-expect-error — 'tanh' is missing from the table
export const incomplete: VjpTable = withoutTanh;

export const complete: VjpTable = { ...withoutTanh, tanh: vjpRules.tanh };
