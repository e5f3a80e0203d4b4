import { AxisError, ShapeError } from './errors.ts';

/** A tensor shape: non-negative integer sizes, outermost first. */
export type Shape = readonly number[];

/** Number of elements of a shape (1 for a scalar). */
export function numel(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides, in elements, of a contiguous tensor of `shape`. */
export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i] as number;
  }
  return strides;
}

/** Formats a shape as `[2,3]` for error messages. */
export function fmt(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

/** Throws unless `shape` is an array of non-negative safe integers. */
export function assertShape(where: string, shape: unknown): asserts shape is Shape {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new ShapeError(`${where}: invalid shape ${JSON.stringify(shape)}; expected an array of non-negative integers`);
  }
}

/** Normalizes a possibly negative axis into `[0, rank)`, or throws an AxisError naming both. */
export function normalizeAxis(where: string, axis: number, rank: number): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new AxisError(`${where}: axis ${axis} is out of range for rank ${rank}; expected an integer in [${-rank}, ${rank - 1}]`);
  }
  return axis < 0 ? axis + rank : axis;
}

/** Normalizes a list of axes (or all axes when undefined), sorted and without duplicates. */
export function normalizeAxes(where: string, axes: number | readonly number[] | undefined, rank: number): number[] {
  if (axes === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axes === 'number' ? [axes] : axes;
  const out = list.map((a) => normalizeAxis(where, a, rank));
  if (new Set(out).size !== out.length) throw new AxisError(`${where}: repeated axis in [${list.join(',')}]`);
  return out.sort((a, b) => a - b);
}

/** NumPy broadcasting of two shapes, or a ShapeError naming both. */
export function broadcastShapes(where: string, a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(`${where}: shapes ${fmt(a)} and ${fmt(b)} cannot be broadcast (axis ${i - rank}: ${da} vs ${db})`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** True when two shapes are equal. */
export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
