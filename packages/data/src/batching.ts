import { requireInteger } from './argument-checks.js';
import { DataArgumentError } from './errors.js';
import { permutation } from './permutation.js';
import { checkShapedArray, gatherRows, type NumericArray, type ShapedArray } from './shaped-array.js';

/**
 * A dataset of N examples: named fields whose first dimension is N (e.g. `{ x: [N, T], y: [N, T] }`).
 * Example i is row i of every field.
 */
export type Dataset = Readonly<Record<string, ShapedArray>>;

type ArrayOf<S> = S extends ShapedArray<infer A> ? A : NumericArray;

/** One batch of a {@link Dataset}: the same fields, with B rows each. */
export type Batch<D extends Dataset> = { readonly [K in keyof D]: ShapedArray<ArrayOf<D[K]>> };

/** Options of {@link batches} and {@link batchIndices}. */
export interface BatchOptions {
  /** Examples per batch (the last batch may be smaller unless `dropLast`). */
  readonly batchSize: number;
  /** Visit examples in a random order that depends only on `seed` and `epoch`. Default false (index order). */
  readonly shuffle?: boolean;
  /** Seed of the order, a non-negative safe integer. Default 0. */
  readonly seed?: number;
  /** Epoch number: each epoch gets its own order (the Philox stream number). Default 0. */
  readonly epoch?: number;
  /** Leave out the last batch when it has fewer than `batchSize` examples. Default false. */
  readonly dropLast?: boolean;
}

/**
 * The example indices of each batch of one epoch. With `shuffle`, the order is
 * `permutation(count, seed, epoch)`, so the same (seed, epoch) always gives the same batches and different epochs give
 * different orders; every example appears exactly once per epoch (minus the dropped tail with `dropLast`).
 *
 * @example
 * ```ts
 * [...batchIndices(5, { batchSize: 2 })]; // [Int32Array [0, 1], Int32Array [2, 3], Int32Array [4]]
 * [...batchIndices(5, { batchSize: 2, shuffle: true, seed: 7, epoch: 3, dropLast: true })]; // two batches of 2
 * ```
 */
export function* batchIndices(count: number, options: BatchOptions): Generator<Int32Array, void, undefined> {
  const fn = 'batchIndices';
  requireInteger(fn, 'count', count, 0, 0x7fffffff);
  const batchSize = requireInteger(fn, 'batchSize', options.batchSize, 1);
  const seed = requireInteger(fn, 'seed', options.seed ?? 0, 0);
  const epoch = requireInteger(fn, 'epoch', options.epoch ?? 0, 0);
  let order: Int32Array;
  if (options.shuffle === true) {
    order = permutation(count, seed, epoch);
  } else {
    order = new Int32Array(count);
    for (let i = 0; i < count; i++) order[i] = i;
  }
  const end = options.dropLast === true ? count - (count % batchSize) : count;
  for (let start = 0; start < end; start += batchSize) {
    yield order.slice(start, Math.min(start + batchSize, end));
  }
}

/** Number of examples in a dataset; throws unless every field is well-formed and has the same first dimension. */
export function datasetSize(dataset: Dataset, fn = 'datasetSize'): number {
  let size: number | undefined;
  for (const [name, field] of Object.entries(dataset)) {
    checkShapedArray(fn, name, field);
    const rows = field.shape[0];
    if (rows === undefined) throw new DataArgumentError(`${fn}: field ${name} is a scalar (shape []), expected [N, ...]`);
    if (size !== undefined && rows !== size) {
      throw new DataArgumentError(`${fn}: field ${name} has ${rows} rows, expected ${size} like the fields before it`);
    }
    size = rows;
  }
  if (size === undefined) throw new DataArgumentError(`${fn}: dataset has no fields, expected at least one`);
  return size;
}

/**
 * Yields the batches of one epoch of `dataset`: each field's rows gathered in the order of {@link batchIndices}.
 *
 * @example
 * ```ts
 * const data = copyTask({ gap: 100, count: 1000, seed: 1 });
 * for (let epoch = 0; epoch < 3; epoch++) {
 *   for (const { x, y } of batches(data, { batchSize: 32, shuffle: true, seed: 1, epoch })) {
 *     // x.data: Int32Array, x.shape: [32, 120]
 *   }
 * }
 * ```
 */
export function* batches<D extends Dataset>(dataset: D, options: BatchOptions): Generator<Batch<D>, void, undefined> {
  const size = datasetSize(dataset, 'batches');
  for (const rows of batchIndices(size, options)) {
    const batch: Record<string, ShapedArray> = {};
    for (const [name, field] of Object.entries(dataset)) batch[name] = gatherRows(field, rows);
    yield batch as Batch<D>;
  }
}
