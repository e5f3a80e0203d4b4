export type * from './ops.ts';
export { CAPABILITY_LIST } from './ops.ts';
export type * from './backend.ts';
