export type * from './ops.ts';
export type * from './backend.ts';
