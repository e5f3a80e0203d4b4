import type { TensorView } from '@nibble/core/spi';

/** Strides of `view` aligned to `outShape` under broadcasting (0 on broadcast axes). */
export function broadcastStrides(view: TensorView, outShape: readonly number[]): number[] {
  const lead = outShape.length - view.shape.length;
  return outShape.map((d, i) => {
    if (i < lead) return 0;
    const src = view.shape[i - lead]!;
    return src === 1 && d !== 1 ? 0 : view.strides[i - lead]!;
  });
}

/** True when `view` is row-major contiguous with exactly the shape `shape`. */
export function isDense(view: TensorView, shape: readonly number[]): boolean {
  if (view.shape.length !== shape.length) return false;
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (view.shape[i] !== shape[i]) return false;
    if (shape[i] !== 1 && view.strides[i] !== expected) return false;
    expected *= shape[i]!;
  }
  return true;
}

/**
 * Calls `visit(outIndex, offsets)` for every element of `shape` in row-major order, where `offsets[j]` is the element
 * offset into input j (given its aligned strides and base offset). The odometer updates offsets incrementally.
 */
export function forEachStrided(
  shape: readonly number[],
  strides: readonly (readonly number[])[],
  bases: readonly number[],
  visit: (outIndex: number, offsets: Int32Array | Float64Array) => void,
): void {
  const rank = shape.length;
  const n = shape.reduce((a, d) => a * d, 1);
  if (n === 0) return;
  const k = strides.length;
  const offsets = new Float64Array(k);
  for (let j = 0; j < k; j++) offsets[j] = bases[j]!;
  const counter = new Array<number>(rank).fill(0);
  for (let i = 0; i < n; i++) {
    visit(i, offsets);
    for (let ax = rank - 1; ax >= 0; ax--) {
      counter[ax]!++;
      if (counter[ax]! < shape[ax]!) {
        for (let j = 0; j < k; j++) offsets[j]! += strides[j]![ax]!;
        break;
      }
      counter[ax] = 0;
      for (let j = 0; j < k; j++) offsets[j]! -= strides[j]![ax]! * (shape[ax]! - 1);
    }
  }
}

/**
 * Like {@link forEachStrided} but one call per row of the innermost (collapsed) axis: `visit(outStart, offsets,
 * length, innerStrides)`. Adjacent axes that every operand walks contiguously are merged first, so a dense or
 * scalar-broadcast operand becomes one long row; the caller's inner loop then runs without per-element callbacks.
 */
export function forEachRow(
  shape: readonly number[],
  strides: readonly (readonly number[])[],
  bases: readonly number[],
  visit: (outStart: number, offsets: Float64Array, length: number, innerStrides: readonly number[]) => void,
): void {
  const n = shape.reduce((a, d) => a * d, 1);
  if (n === 0) return;
  const k = strides.length;
  // collapse: drop size-1 axes, merge axis i into i+1 when every operand has stride[i] = stride[i+1]·shape[i+1]
  const dims: number[] = [];
  const st: number[][] = strides.map(() => []);
  for (let ax = 0; ax < shape.length; ax++) {
    const d = shape[ax]!;
    if (d === 1) continue;
    const last = dims.length - 1;
    if (last >= 0 && strides.every((s, j) => st[j]![last]! === s[ax]! * d)) {
      dims[last]! *= d;
      for (let j = 0; j < k; j++) st[j]![last] = strides[j]![ax]!;
    } else {
      dims.push(d);
      for (let j = 0; j < k; j++) st[j]!.push(strides[j]![ax]!);
    }
  }
  if (dims.length === 0) dims.push(1), st.forEach((s) => s.push(0));
  const rank = dims.length;
  const length = dims[rank - 1]!;
  const inner = st.map((s) => s[rank - 1]!);
  const offsets = new Float64Array(k);
  for (let j = 0; j < k; j++) offsets[j] = bases[j]!;
  const counter = new Array<number>(rank).fill(0);
  for (let start = 0; start < n; start += length) {
    visit(start, offsets, length, inner);
    for (let ax = rank - 2; ax >= 0; ax--) {
      counter[ax]!++;
      if (counter[ax]! < dims[ax]!) {
        for (let j = 0; j < k; j++) offsets[j]! += st[j]![ax]!;
        break;
      }
      counter[ax] = 0;
      for (let j = 0; j < k; j++) offsets[j]! -= st[j]![ax]! * (dims[ax]! - 1);
    }
  }
}

/** A dense float64 copy of a (possibly strided) view of `src`. */
export function denseFloat64(view: TensorView, src: ArrayLike<number>): Float64Array {
  const out = new Float64Array(view.shape.reduce((a, d) => a * d, 1));
  forEachStrided(view.shape, [view.strides], [view.offset], (i, offs) => {
    out[i] = src[offs[0]!]!;
  });
  return out;
}
