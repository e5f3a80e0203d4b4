import { requireInteger } from './argument-checks.js';
import { DataArgumentError } from './errors.js';
import { checkShapedArray, type ShapedArray } from './shaped-array.js';

/**
 * Cuts an id stream into `batchSize` contiguous columns of equal length L = ⌊n / B⌋ (the trailing n mod B ids are
 * dropped), laid out as rows of a [B, L] array: row b is `ids[b·L, (b+1)·L)`. Each row is read left to right across
 * consecutive windows, so a recurrent model can carry its state from one window to the next (truncated BPTT).
 *
 * @example
 * ```ts
 * batchify(Int32Array.of(0, 1, 2, 3, 4, 5, 6), 2); // { data: [0, 1, 2, 3, 4, 5], shape: [2, 3] }
 * ```
 */
export function batchify(ids: Int32Array, batchSize: number): ShapedArray<Int32Array> {
  requireInteger('batchify', 'batchSize', batchSize, 1);
  const columnLength = Math.floor(ids.length / batchSize);
  if (columnLength < 2) {
    throw new DataArgumentError(
      `batchify: ${ids.length} ids in ${batchSize} columns leave ${columnLength} per column, expected at least 2 (one input and its target)`,
    );
  }
  return { data: ids.slice(0, batchSize * columnLength), shape: [batchSize, columnLength] };
}

/** Options of {@link languageModelWindows}. */
export interface LanguageModelWindowOptions {
  /** Steps T per window (the truncated-BPTT length). */
  readonly sequenceLength: number;
  /** Leave out the last window when it is shorter than `sequenceLength`. Default false. */
  readonly dropLast?: boolean;
}

/** One language-model window: `y` is `x` shifted one step ahead in the same columns. */
export interface LanguageModelWindow {
  /** Int32Array [B, T'] input ids, T' = T except possibly in the last window. */
  readonly x: ShapedArray<Int32Array>;
  /** Int32Array [B, T'] target ids: y[b, t] is the id after x[b, t]. */
  readonly y: ShapedArray<Int32Array>;
  /** Column position of x[:, 0]. */
  readonly offset: number;
}

/**
 * Windows over batchified columns: window k has inputs at columns [kT, kT + T') and targets one step later, so
 * together the windows predict every id of a column except the first.
 *
 * @example
 * ```ts
 * const columns = batchify(ids.train, 20);
 * for (const { x, y } of languageModelWindows(columns, { sequenceLength: 35 })) {
 *   // x.shape [20, 35], y.data[b * 35 + t] === columns.data[b * L + offset + t + 1]
 * }
 * ```
 */
export function* languageModelWindows(
  columns: ShapedArray<Int32Array>,
  options: LanguageModelWindowOptions,
): Generator<LanguageModelWindow, void, undefined> {
  const fn = 'languageModelWindows';
  checkShapedArray(fn, 'columns', columns);
  const [batchSize, columnLength] = columns.shape;
  if (columns.shape.length !== 2 || batchSize === undefined || columnLength === undefined) {
    throw new DataArgumentError(`${fn}: columns must have shape [B, L], got [${columns.shape.join(', ')}]`);
  }
  const sequenceLength = requireInteger(fn, 'sequenceLength', options.sequenceLength, 1);
  for (let offset = 0; offset < columnLength - 1; offset += sequenceLength) {
    const steps = Math.min(sequenceLength, columnLength - 1 - offset);
    if (steps < sequenceLength && options.dropLast === true) return;
    const x = new Int32Array(batchSize * steps);
    const y = new Int32Array(batchSize * steps);
    for (let b = 0; b < batchSize; b++) {
      const start = b * columnLength + offset;
      x.set(columns.data.subarray(start, start + steps), b * steps);
      y.set(columns.data.subarray(start + 1, start + 1 + steps), b * steps);
    }
    yield { x: { data: x, shape: [batchSize, steps] }, y: { data: y, shape: [batchSize, steps] }, offset };
  }
}
