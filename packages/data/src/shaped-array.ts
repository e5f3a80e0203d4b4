import { DataArgumentError } from './errors.js';

/** The element arrays datasets hold: float features or integer ids/labels. */
export type NumericArray = Float32Array | Int32Array;

/**
 * A row-major typed array with its shape: what the layers/training code turns into a tensor.
 *
 * @example
 * ```ts
 * const x: ShapedArray<Int32Array> = { data: Int32Array.of(1, 2, 3, 4, 5, 6), shape: [2, 3] };
 * ```
 */
export interface ShapedArray<A extends NumericArray = NumericArray> {
  readonly data: A;
  readonly shape: readonly number[];
}

/** Number of elements of a shape (1 for a scalar shape `[]`). */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Throws unless `array.data.length` equals the product of `array.shape` and every dimension is a natural number. */
export function checkShapedArray(fn: string, name: string, array: ShapedArray): void {
  if (!array.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new DataArgumentError(`${fn}: ${name}.shape must hold non-negative integers, got [${array.shape.join(', ')}]`);
  }
  if (array.data.length !== shapeSize(array.shape)) {
    throw new DataArgumentError(
      `${fn}: ${name}.data has ${array.data.length} elements but shape [${array.shape.join(', ')}] needs ${shapeSize(array.shape)}`,
    );
  }
}

function allocateLike<A extends NumericArray>(like: A, length: number): A {
  const Ctor = like.constructor as new (length: number) => A;
  return new Ctor(length);
}

/**
 * Gathers rows (entries along the first axis) of `array` in the order given by `rows`.
 *
 * @example
 * ```ts
 * gatherRows({ data: Int32Array.of(1, 2, 3, 4, 5, 6), shape: [3, 2] }, Int32Array.of(2, 0));
 * // { data: Int32Array [5, 6, 1, 2], shape: [2, 2] }
 * ```
 */
export function gatherRows<A extends NumericArray>(array: ShapedArray<A>, rows: Int32Array): ShapedArray<A> {
  const [count = 0, ...rest] = array.shape;
  const rowSize = shapeSize(rest);
  const out = allocateLike(array.data, rows.length * rowSize);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as number;
    if (row < 0 || row >= count) {
      throw new DataArgumentError(`gatherRows: row index must be in [0, ${count - 1}], got ${row}`);
    }
    out.set(array.data.subarray(row * rowSize, (row + 1) * rowSize), i * rowSize);
  }
  return { data: out, shape: [rows.length, ...rest] };
}
