import type { KernelCall, KernelParams, TensorView } from '@nibble/core/spi';
import { LINEAR_INDEX, MAIN_SIGNATURE, numel, offsetCode, PRELUDE, simplify } from './common.ts';
import type { Dispatcher } from './dispatcher.ts';

/**
 * `(clamp(roundHalfEven(x / s) + z, qmin, qmax) − z) · s` in float32, each step rounded to float32 like the reference
 * (WGSL `round` rounds half to even). NaN passes through the clamp.
 */
export function runFakeQuant(call: KernelCall<'fakeQuant'>, d: Dispatcher): void {
  const [x, s, z] = call.inputs as [TensorView, TensorView, TensorView];
  const out = call.outputs[0]!;
  const { qmin, qmax, axis } = call.params as KernelParams['fakeQuant'];
  const n = numel(out.shape);
  if (n === 0) return;
  const axisLen = axis === null ? 1 : x.shape[axis]!;
  const inner = axis === null ? 1 : numel(x.shape.slice(axis + 1));
  const st = s.shape.length ? (s.strides.at(-1) ?? 1) : 0;
  const zt = z.shape.length ? (z.strides.at(-1) ?? 1) : 0;
  const xs = simplify(x.shape, [x.strides]);
  const rank = xs.shape.length;
  const meta = [n, axisLen, inner, s.offset, st, z.offset, zt, qmin, qmax, ...xs.shape, x.offset, ...xs.strides[0]!];
  const code = `${PRELUDE}
@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> X: array<f32>;
@group(0) @binding(3) var<storage, read> S: array<f32>;
@group(0) @binding(4) var<storage, read> Z: array<f32>;
${MAIN_SIGNATURE} {
  ${LINEAR_INDEX}
  if (idx >= u32(info[0])) { return; }
  ${offsetCode(rank, 9, [9 + rank])}
  let g = i32((idx / u32(info[2])) % u32(info[1]));
  let scale = S[info[3] + g * info[4]];
  let zp = Z[info[5] + g * info[6]];
  var q = round(X[o0] / scale) + zp;
  let lo = f32(info[7]);
  let hi = f32(info[8]);
  if (q < lo) { q = lo; }
  if (q > hi) { q = hi; }
  out[idx] = (q - zp) * scale;
}`;
  d.dispatch(code, meta, [out.buffer, x.buffer, s.buffer, z.buffer], n);
}
