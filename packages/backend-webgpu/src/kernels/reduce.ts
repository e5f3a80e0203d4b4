import type { KernelCall, KernelParams } from '@nibble/core/spi';
import { cachedSource, LINEAR_INDEX, MAIN_SIGNATURE, numel, offsetCode, PRELUDE, simplify, wgslType, wrapInt } from './common.ts';
import type { Dispatcher } from './dispatcher.ts';

/** Reductions at most this long run one thread per output; longer ones one workgroup per output. */
const THREAD_REDUCE_MAX = 64;
const RWG = 256;

/**
 * sum / max over axes. The input is split into kept axes (one output each) and reduced axes (walked with their own
 * strides), so any strided view reduces without a copy. Float sums use Kahan summation per thread (the reference sums
 * in float64); max propagates NaN and orders subnormals by their bits.
 */
export function runReduce(call: KernelCall<'sum' | 'max'>, d: Dispatcher): void {
  const x = call.inputs[0]!;
  const out = call.outputs[0]!;
  const { axes } = call.params as KernelParams['sum'];
  const reduced = new Set(axes.map((a) => (a < 0 ? a + x.shape.length : a)));
  const nOut = numel(out.shape);
  if (nOut === 0) return;
  const keptShape: number[] = [];
  const keptStrides: number[] = [];
  const redShape: number[] = [];
  const redStrides: number[] = [];
  x.shape.forEach((s, i) => {
    if (reduced.has(i)) {
      redShape.push(s);
      redStrides.push(x.strides[i]!);
    } else {
      keptShape.push(s);
      keptStrides.push(x.strides[i]!);
    }
  });
  const kept = simplify(keptShape, [keptStrides]);
  const red = simplify(redShape, [redStrides]);
  const R = numel(redShape);
  const meta: number[] = [nOut, R, ...kept.shape, x.offset, ...kept.strides[0]!];
  const redAt = meta.length;
  meta.push(...red.shape, 0, ...red.strides[0]!);
  const keptCode = offsetCode(kept.shape.length, 2, [2 + kept.shape.length], 'oi', 'k');
  const redCode = offsetCode(red.shape.length, redAt, [redAt + red.shape.length], 'r', 'q');
  const isFloat = x.dtype === 'float32';
  const T = wgslType(x.dtype);
  const isMax = call.op === 'max';
  const init = isMax ? (isFloat ? '-inf_f32()' : '-2147483647 - 1') : isFloat ? '0.0' : '0';
  // combine(acc, v): max with NaN propagation, or a plain add (Kahan is layered on top for float sums)
  const combineFn = isMax
    ? isFloat
      ? 'fn combine(a: f32, b: f32) -> f32 { if (is_nan(a) || is_nan(b)) { return nan_f32(); } return select(a, b, fkey(b) > fkey(a)); }'
      : 'fn combine(a: i32, b: i32) -> i32 { return max(a, b); }'
    : `fn combine(a: ${T}, b: ${T}) -> ${T} { return a + b; }`;
  const kahan = !isMax && isFloat;
  const accumulate = kahan
    ? `{ let y = v - comp; let t = acc + y; comp = (t - acc) - y; acc = t; }`
    : `acc = combine(acc, v);`;
  const store = (v: string) => (out.dtype === 'float32' ? v : wrapInt(out.dtype, v));
  const header = `${PRELUDE}
${combineFn}
@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<${wgslType(out.dtype)}>;
@group(0) @binding(2) var<storage, read> xs: array<${T}>;`;
  if (R <= THREAD_REDUCE_MAX) {
    const code = cachedSource(`red|${call.op}|${x.dtype}|${out.dtype}|${kept.shape.length}|${red.shape.length}|t`, () => `${header}
${MAIN_SIGNATURE} {
  ${LINEAR_INDEX}
  if (idx >= u32(info[0])) { return; }
  let oi = idx;
  ${keptCode}
  var acc: ${T} = ${init};
  var comp: ${T} = ${isFloat ? '0.0' : '0'};
  for (var r: u32 = 0u; r < u32(info[1]); r++) {
    ${redCode}
    let v = xs[k0 + q0];
    ${accumulate}
  }
  out[idx] = ${store('acc')};
}`);
    d.dispatch(code, meta, [out.buffer, x.buffer], nOut);
    return;
  }
  const code = cachedSource(`red|${call.op}|${x.dtype}|${out.dtype}|${kept.shape.length}|${red.shape.length}|wg`, () => `${header}
var<workgroup> part: array<${T}, ${RWG}>;
@compute @workgroup_size(${RWG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let oi = wid.x + wid.y * nwg.x;
  let live = oi < u32(info[0]);
  ${keptCode}
  var acc: ${T} = ${init};
  var comp: ${T} = ${isFloat ? '0.0' : '0'};
  if (live) {
    for (var r: u32 = lid; r < u32(info[1]); r += ${RWG}u) {
      ${redCode}
      let v = xs[k0 + q0];
      ${accumulate}
    }
  }
  part[lid] = acc;
  workgroupBarrier();
  for (var s: u32 = ${RWG / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { part[lid] = combine(part[lid], part[lid + s]); }
    workgroupBarrier();
  }
  if (lid == 0u && live) { out[oi] = ${store('part[0]')}; }
}`);
  d.dispatch(code, meta, [out.buffer, x.buffer], 0, { workgroups: nOut });
}

/** Index of the first maximum along an axis; a NaN counts as the maximum (NumPy). */
export function runArgmax(call: KernelCall<'argmax'>, d: Dispatcher): void {
  const x = call.inputs[0]!;
  const out = call.outputs[0]!;
  const { axis } = call.params as KernelParams['argmax'];
  const nOut = numel(out.shape);
  if (nOut === 0) return;
  const outerShape = x.shape.map((s, i) => (i === axis ? 1 : s));
  const outer = simplify(outerShape, [x.strides]);
  const meta = [nOut, x.shape[axis]!, x.strides[axis]!, ...outer.shape, x.offset, ...outer.strides[0]!];
  const isFloat = x.dtype === 'float32';
  const T = wgslType(x.dtype);
  const code = cachedSource(`argmax|${x.dtype}|${outer.shape.length}`, () => `${PRELUDE}
@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<i32>;
@group(0) @binding(2) var<storage, read> xs: array<${T}>;
${MAIN_SIGNATURE} {
  ${LINEAR_INDEX}
  if (idx >= u32(info[0])) { return; }
  ${offsetCode(outer.shape.length, 3, [3 + outer.shape.length])}
  var at: i32 = 0;
  var best: ${T} = xs[o0];
  for (var k: i32 = 0; k < info[1]; k++) {
    let v = xs[o0 + k * info[2]];
    ${isFloat ? 'if (is_nan(v)) { at = k; break; }\n    if (fkey(v) > fkey(best)) { best = v; at = k; }' : 'if (v > best) { best = v; at = k; }'}
  }
  out[idx] = at;
}`);
  d.dispatch(code, meta, [out.buffer, x.buffer], nOut);
}
