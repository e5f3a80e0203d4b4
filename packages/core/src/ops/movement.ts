import { ShapeError, ValueError } from '../errors.ts';
import { assertShape, contiguousStrides, fmt, normalizeAxes, normalizeAxis, numel } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { bind, bindView } from './bind.ts';

/** Materializes a contiguous copy. */
export function copy(x: Tensor): Tensor {
  return bind('copy', [x], {});
}

/** A contiguous tensor with the same values: a new view when `x` already is contiguous, else a copy. */
export function contiguous(x: Tensor): Tensor {
  return x.isContiguous() ? bindView('reshape', x, { shape: x.shape }, x.shape, x.strides, x.offset) : copy(x);
}

/**
 * New shape with the same elements in row-major order; one entry may be −1. A view when possible, else a copy.
 *
 * @example
 * ```ts
 * arange(6).reshape([2, -1]); // [2,3]
 * ```
 */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  x.assertLive('reshape');
  const target = [...shape];
  const unknown = target.indexOf(-1);
  if (unknown >= 0) {
    if (target.indexOf(-1, unknown + 1) >= 0) throw new ShapeError(`reshape: more than one -1 in ${fmt(shape)}`);
    const known = numel(target.filter((_, i) => i !== unknown));
    if (known === 0 || x.size % known !== 0) throw new ShapeError(`reshape: cannot reshape ${fmt(x.shape)} (${x.size} elements) into ${fmt(shape)}`);
    target[unknown] = x.size / known;
  }
  assertShape('reshape', target);
  if (numel(target) !== x.size) {
    throw new ShapeError(`reshape: cannot reshape ${fmt(x.shape)} (${x.size} elements) into ${fmt(shape)} (${numel(target)} elements)`);
  }
  if (x.isContiguous()) return bindView('reshape', x, { shape: target }, target, contiguousStrides(target), x.offset);
  const c = copy(x);
  try {
    return bindView('reshape', c, { shape: target }, target, contiguousStrides(target), 0);
  } finally {
    c.dispose();
  }
}

/** Reorders axes: output axis i is input axis `perm[i]`. A view. */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  x.assertLive('permute');
  const norm = perm.map((a) => normalizeAxis('permute', a, x.rank));
  if (norm.length !== x.rank || new Set(norm).size !== x.rank) {
    throw new ShapeError(`permute: [${perm.join(',')}] is not a permutation of the ${x.rank} axes of ${fmt(x.shape)}`);
  }
  return bindView('permute', x, { perm: norm }, norm.map((a) => x.shape[a]!), norm.map((a) => x.strides[a]!), x.offset);
}

/** Swaps two axes. A view. */
export function transpose(x: Tensor, a = -2, b = -1): Tensor {
  const perm = Array.from({ length: x.rank }, (_, i) => i);
  const ia = normalizeAxis('transpose', a, x.rank);
  const ib = normalizeAxis('transpose', b, x.rank);
  [perm[ia], perm[ib]] = [perm[ib]!, perm[ia]!];
  return permute(x, perm);
}

/**
 * A rectangular window: `begin[i]` to `begin[i] + size[i]` on each axis (size −1 = to the end). A view.
 *
 * @example
 * ```ts
 * x.slice([0, 1], [2, -1]); // rows 0..1, columns 1..end
 * ```
 */
export function slice(x: Tensor, begin: readonly number[], size?: readonly number[]): Tensor {
  x.assertLive('slice');
  if (begin.length > x.rank || (size && size.length !== begin.length)) {
    throw new ShapeError(`slice: begin [${begin.join(',')}] / size [${size?.join(',') ?? ''}] do not fit shape ${fmt(x.shape)}`);
  }
  const starts = x.shape.map((_, i) => begin[i] ?? 0);
  const sizes = x.shape.map((d, i) => {
    const s = size?.[i];
    return s === undefined || s === -1 ? d - starts[i]! : s;
  });
  starts.forEach((s, i) => {
    const d = x.shape[i]!;
    if (!Number.isInteger(s) || s < 0 || !Number.isInteger(sizes[i]) || sizes[i]! < 0 || s + sizes[i]! > d) {
      throw new ShapeError(`slice: window begin ${s} size ${sizes[i]} on axis ${i} is outside ${fmt(x.shape)}`);
    }
  });
  const offset = x.offset + starts.reduce((acc, s, i) => acc + s * x.strides[i]!, 0);
  return bindView('slice', x, { begin: starts, size: sizes }, sizes, x.strides, offset);
}

/** Broadcasts to `shape` (NumPy rules; may add leading axes). A view with zero strides. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  x.assertLive('expand');
  assertShape('expand', shape);
  const lead = shape.length - x.rank;
  if (lead < 0) throw new ShapeError(`expand: cannot expand ${fmt(x.shape)} to lower rank ${fmt(shape)}`);
  const strides = shape.map((d, i) => {
    if (i < lead) return 0;
    const src = x.shape[i - lead]!;
    if (src === d) return x.strides[i - lead]!;
    if (src === 1) return 0;
    throw new ShapeError(`expand: cannot broadcast ${fmt(x.shape)} to ${fmt(shape)} (axis ${i}: ${src} vs ${d})`);
  });
  return bindView('expand', x, { shape: [...shape] }, shape, strides, x.offset);
}

/** Removes axes of size 1 (all of them, or the given ones). */
export function squeeze(x: Tensor, axes?: number | readonly number[]): Tensor {
  const list = axes === undefined ? x.shape.flatMap((d, i) => (d === 1 ? [i] : [])) : normalizeAxes('squeeze', axes, x.rank);
  for (const a of list) {
    if (x.shape[a] !== 1) throw new ShapeError(`squeeze: axis ${a} of ${fmt(x.shape)} has size ${x.shape[a]}; expected 1`);
  }
  return reshape(x, x.shape.filter((_, i) => !list.includes(i)));
}

/** Inserts an axis of size 1 at `axis` (in the output's numbering). */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  const a = normalizeAxis('unsqueeze', axis, x.rank + 1);
  const shape = [...x.shape];
  shape.splice(a, 0, 1);
  return reshape(x, shape);
}

/** Joins tensors along an existing axis. */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new ValueError('concat: got no tensors; expected at least one');
  const a = normalizeAxis('concat', axis, xs[0]!.rank);
  if (xs.length === 1) return contiguous(xs[0]!);
  return bind('concat', xs, { axis: a });
}

/** Joins tensors along a new axis. */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new ValueError('stack: got no tensors; expected at least one');
  const a = normalizeAxis('stack', axis, xs[0]!.rank + 1);
  const parts = xs.map((x) => unsqueeze(x, a));
  try {
    return concat(parts, a);
  } finally {
    for (const p of parts) p.dispose();
  }
}

/** Splits into pieces along `axis`: a number of equal pieces, or a list of sizes. Views. */
export function split(x: Tensor, sections: number | readonly number[], axis = 0): Tensor[] {
  const a = normalizeAxis('split', axis, x.rank);
  const d = x.shape[a]!;
  let sizes: number[];
  if (typeof sections === 'number') {
    if (!Number.isInteger(sections) || sections <= 0 || d % sections !== 0) {
      throw new ShapeError(`split: axis ${a} of size ${d} cannot be split into ${sections} equal pieces`);
    }
    sizes = new Array<number>(sections).fill(d / sections);
  } else {
    sizes = [...sections];
    if (sizes.reduce((s, v) => s + v, 0) !== d) throw new ShapeError(`split: sizes [${sizes.join(',')}] do not add up to ${d} (axis ${a} of ${fmt(x.shape)})`);
  }
  let start = 0;
  return sizes.map((s) => {
    const begin = x.shape.map((_, i) => (i === a ? start : 0));
    const size = x.shape.map((dd, i) => (i === a ? s : dd));
    start += s;
    return slice(x, begin, size);
  });
}

/** Pads with a constant: one `[before, after]` pair per axis. */
export function pad(x: Tensor, pads: readonly (readonly [number, number])[], value = 0): Tensor {
  for (const [b, a] of pads) {
    if (!Number.isInteger(b) || !Number.isInteger(a) || b < 0 || a < 0) {
      throw new ShapeError(`pad: padding [${b}, ${a}] is invalid; expected non-negative integers`);
    }
  }
  return bind('pad', [x], { pads, value });
}
