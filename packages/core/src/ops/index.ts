export * from './elementwise.ts';
export * from './movement.ts';
export * from './reduce.ts';
export * from './linalg.ts';
export * from './create.ts';
export * from './data.ts';
export * from './random.ts';
export * from './normalization.ts';
