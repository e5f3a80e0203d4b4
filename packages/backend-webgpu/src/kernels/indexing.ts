import { ValueError } from '@nibble/core';
import type { KernelCall, KernelParams, TensorView } from '@nibble/core/spi';
import { LINEAR_INDEX, MAIN_SIGNATURE, numel, offsetCode, simplify, wgslType } from './common.ts';
import { errorBindingDecl, type Dispatcher } from './dispatcher.ts';

/**
 * Checks the indices on the host when the backend holds a host copy of them (indices written from the host, the usual
 * case), so an out-of-range index throws at the call and leaves nothing behind. Indices computed on the GPU cannot be
 * checked without a read-back: there the kernel gathers 0 / scatters nowhere and records the error, and the next
 * read or sync throws it.
 */
function checkIndices(d: Dispatcher, idx: TensorView, size: number, where: string): void {
  const host = d.hostCopy(idx.buffer);
  if (!host) return;
  const n = numel(idx.shape);
  const strides = idx.strides;
  for (let i = 0; i < n; i++) {
    let rem = i;
    let off = idx.offset;
    for (let ax = idx.shape.length - 1; ax >= 0; ax--) {
      const s = idx.shape[ax]!;
      off += (rem % s) * strides[ax]!;
      rem = Math.floor(rem / s);
    }
    const v = host[off]!;
    if (v < 0 || v >= size) throw new ValueError(`${where}: index ${v} at position ${i} is out of range; expected an integer in [0, ${size})`);
  }
}

function split(v: TensorView, axis: number, idxRank: number): { pre: [number[], number[]]; mid: [number[], number[]]; post: [number[], number[]] } {
  return {
    pre: [v.shape.slice(0, axis), v.strides.slice(0, axis)],
    mid: [v.shape.slice(axis, axis + idxRank), v.strides.slice(axis, axis + idxRank)],
    post: [v.shape.slice(axis + idxRank), v.strides.slice(axis + idxRank)],
  };
}

/** `tf.gather` along an axis; one thread per output element, moving bits. */
export function runGather(call: KernelCall<'gather'>, d: Dispatcher): void {
  const [x, idx] = call.inputs as [TensorView, TensorView];
  const out = call.outputs[0]!;
  const { axis } = call.params as KernelParams['gather'];
  const size = x.shape[axis]!;
  checkIndices(d, idx, size, 'gather');
  const n = numel(out.shape);
  if (n === 0) return;
  const nIdx = numel(idx.shape);
  const pre = simplify(x.shape.slice(0, axis), [x.strides.slice(0, axis)]);
  const post = simplify(x.shape.slice(axis + 1), [x.strides.slice(axis + 1)]);
  const iv = simplify(idx.shape, [idx.strides]);
  const postN = numel(x.shape.slice(axis + 1));
  const meta = [n, nIdx, postN, size, x.strides[axis]!];
  const preAt = meta.length;
  meta.push(...pre.shape, x.offset, ...pre.strides[0]!);
  const postAt = meta.length;
  meta.push(...post.shape, 0, ...post.strides[0]!);
  const idxAt = meta.length;
  meta.push(...iv.shape, idx.offset, ...iv.strides[0]!);
  const pr = pre.shape.length;
  const qr = post.shape.length;
  const ir = iv.shape.length;
  const code = `@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;
@group(0) @binding(2) var<storage, read> xs: array<u32>;
@group(0) @binding(3) var<storage, read> ids: array<i32>;
${errorBindingDecl(4)}
${MAIN_SIGNATURE} {
  ${LINEAR_INDEX}
  if (idx >= u32(info[0])) { return; }
  let q = idx % u32(info[2]);
  let j = (idx / u32(info[2])) % u32(info[1]);
  let p = idx / u32(info[2] * info[1]);
  ${offsetCode(pr, preAt, [preAt + pr], 'p', 'a')}
  ${offsetCode(qr, postAt, [postAt + qr], 'q', 'c')}
  ${offsetCode(ir, idxAt, [idxAt + ir], 'j', 'e')}
  let t = ids[e0];
  if (t < 0 || t >= info[3]) { report_error(1, t, info[3]); out[idx] = 0u; return; }
  out[idx] = xs[a0 + c0 + t * info[4]];
}`;
  d.dispatch(code, meta, [out.buffer, x.buffer, idx.buffer], n, { errors: true });
}

/**
 * Sums updates into zeros at indices along an axis. One thread per output element walks the index list in order and
 * adds the matching updates: deterministic (no float atomics), in the same order as the reference.
 */
export function runScatterAdd(call: KernelCall<'scatterAdd'>, d: Dispatcher): void {
  const [idx, upd] = call.inputs as [TensorView, TensorView];
  const out = call.outputs[0]!;
  const { axis, size } = call.params as KernelParams['scatterAdd'];
  checkIndices(d, idx, size, 'scatterAdd');
  const n = numel(out.shape);
  if (n === 0) return;
  const nIdx = numel(idx.shape);
  const ir = idx.shape.length;
  const parts = split(upd, axis, ir);
  const pre = simplify(parts.pre[0], [parts.pre[1]]);
  const post = simplify(parts.post[0], [parts.post[1]]);
  const mid = simplify(parts.mid[0], [parts.mid[1]]);
  const iv = simplify(idx.shape, [idx.strides]);
  const postN = numel(out.shape.slice(axis + 1));
  const meta = [n, nIdx, postN, size];
  const preAt = meta.length;
  meta.push(...pre.shape, upd.offset, ...pre.strides[0]!);
  const postAt = meta.length;
  meta.push(...post.shape, 0, ...post.strides[0]!);
  const midAt = meta.length;
  meta.push(...mid.shape, 0, ...mid.strides[0]!);
  const idxAt = meta.length;
  meta.push(...iv.shape, idx.offset, ...iv.strides[0]!);
  const T = wgslType(out.dtype);
  const [pr, qr, mr, vr] = [pre.shape.length, post.shape.length, mid.shape.length, iv.shape.length];
  const code = `@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<${T}>;
@group(0) @binding(2) var<storage, read> ids: array<i32>;
@group(0) @binding(3) var<storage, read> up: array<${T}>;
${errorBindingDecl(4)}
${MAIN_SIGNATURE} {
  ${LINEAR_INDEX}
  if (idx >= u32(info[0])) { return; }
  let q = idx % u32(info[2]);
  let t = i32((idx / u32(info[2])) % u32(info[3]));
  let p = idx / u32(info[2] * info[3]);
  ${offsetCode(pr, preAt, [preAt + pr], 'p', 'a')}
  ${offsetCode(qr, postAt, [postAt + qr], 'q', 'c')}
  var acc: ${T} = ${T}(0);
  for (var j: u32 = 0u; j < u32(info[1]); j++) {
    ${offsetCode(vr, idxAt, [idxAt + vr], 'j', 'e')}
    let tv = ids[e0];
    if (tv < 0 || tv >= info[3]) { report_error(2, tv, info[3]); }
    if (tv != t) { continue; }
    ${offsetCode(mr, midAt, [midAt + mr], 'j', 'm')}
    acc += up[a0 + m0 + c0];
  }
  out[idx] = acc;
}`;
  d.dispatch(code, meta, [out.buffer, idx.buffer, upd.buffer], n, { errors: true });
}
