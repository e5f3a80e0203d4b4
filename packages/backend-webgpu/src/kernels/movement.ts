import type { KernelCall, KernelParams, TensorView } from '@nibble/core/spi';
import { cachedSource, contiguousStrides, LINEAR_INDEX, MAIN_SIGNATURE, numel, offsetCode, simplify } from './common.ts';
import type { Dispatcher } from './dispatcher.ts';

/** Bits of a fill value in the storage of `dtype` (f32 bits for float32, the integer otherwise). */
function valueBits(dtype: string, value: number): number {
  if (dtype === 'float32') return new Int32Array(new Float32Array([value]).buffer)[0]!;
  const v = dtype === 'bool' ? (value ? 1 : 0) : Math.trunc(value);
  if (dtype === 'uint8') return v & 255;
  if (dtype === 'int8') return (v << 24) >> 24;
  return v | 0;
}

/** Copies a strided view into the window of a contiguous output that starts at element `base` (moves bits). */
function copyWindow(d: Dispatcher, src: TensorView, out: TensorView, dstStrides: readonly number[], base: number): void {
  const n = numel(src.shape);
  if (n === 0) return;
  const s = simplify(src.shape, [src.strides, dstStrides]);
  const rank = s.shape.length;
  const meta = [n, ...s.shape, src.offset, ...s.strides[0]!, base, ...s.strides[1]!];
  const code = cachedSource(`copy-window|${rank}`, () => `@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;
@group(0) @binding(2) var<storage, read> xs: array<u32>;
${MAIN_SIGNATURE} {
  ${LINEAR_INDEX}
  if (idx >= u32(info[0])) { return; }
  ${offsetCode(rank, 1, [1 + rank, 2 + 2 * rank])}
  out[o1] = xs[o0];
}`);
  d.dispatch(code, meta, [out.buffer, src.buffer], n);
}

/** Fills a whole buffer with one 32-bit pattern. */
function fill(d: Dispatcher, out: TensorView, bits: number): void {
  const n = numel(out.shape);
  if (n === 0) return;
  const code = `@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<i32>;
${MAIN_SIGNATURE} {
  ${LINEAR_INDEX}
  if (idx >= u32(info[0])) { return; }
  out[idx] = info[1];
}`;
  d.dispatch(code, [n, bits], [out.buffer], n);
}

/** Constant padding: fill, then copy the input into its window. */
export function runPad(call: KernelCall<'pad'>, d: Dispatcher): void {
  const { pads, value } = call.params as KernelParams['pad'];
  const out = call.outputs[0]!;
  fill(d, out, valueBits(out.dtype, value));
  const strides = contiguousStrides(out.shape);
  const base = pads.reduce((acc, [before], i) => acc + before * strides[i]!, 0);
  copyWindow(d, call.inputs[0]!, out, strides, base);
}

/** Concatenation along an axis: one window copy per input (so any number of inputs fits the binding limits). */
export function runConcat(call: KernelCall<'concat'>, d: Dispatcher): void {
  const { axis } = call.params as KernelParams['concat'];
  const out = call.outputs[0]!;
  const strides = contiguousStrides(out.shape);
  let start = 0;
  for (const input of call.inputs) {
    copyWindow(d, input, out, strides, start * strides[axis]!);
    start += input.shape[axis]!;
  }
}
