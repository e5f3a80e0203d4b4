import type { KernelCall, KernelParams, TensorView } from '@nibble/core/spi';
import { LINEAR_INDEX, MAIN_SIGNATURE, numel, offsetCode, simplify } from './common.ts';
import type { Dispatcher } from './dispatcher.ts';

/**
 * `x[..., K] · Wᵀ` with W packed (see core's `packedMatmul` lowering for the layout): int codes are unpacked with
 * shifts and masks in registers, scaled per (row, group), never expanded into a float weight buffer; PQ codes index
 * the codebook. One thread per output element.
 */
export function runPackedMatmul(call: KernelCall<'packedMatmul'>, d: Dispatcher): void {
  const [x, codes, tables, zeroPoints] = call.inputs as [TensorView, TensorView, TensorView, TensorView | undefined];
  const out = call.outputs[0]!;
  const { weights } = call.params as KernelParams['packedMatmul'];
  const total = numel(out.shape);
  if (total === 0) return;
  const [nOut, k] = weights.shape;
  const lead = simplify(x.shape.slice(0, -1), [x.strides.slice(0, -1)]);
  const lr = lead.shape.length;
  const xk = x.strides.at(-1)!;
  const zp = zeroPoints ?? tables;
  // info: total, N, K, x col stride, codes (off, row, col), tables (off, row, col), zp (off, row, col), int fields, lead
  const meta = [total, nOut, k, xk, codes.offset, codes.strides[0]!, codes.strides[1]!, tables.offset, tables.strides[0]!, tables.strides[1]!, zp.offset, zp.strides[0]!, zp.strides[1]!];
  let weight: string;
  if (weights.kind === 'pq') {
    meta.push(weights.blockSize, 0, 0, 0);
    weight = `let c = C[info[4] + n * info[5] + (kk / info[13]) * info[6]];
      let w = T[info[7] + c * info[8] + (kk % info[13]) * info[9]];`;
  } else {
    const per = 8 / weights.bits;
    meta.push(weights.groupSize, weights.bits, per, weights.signed ? 1 : 0);
    weight = `let byte = C[info[4] + n * info[5] + (kk / info[15]) * info[6]];
      let levels = 1 << u32(info[14]);
      var v = (byte >> u32((kk % info[15]) * info[14])) & (levels - 1);
      if (info[16] == 1 && v >= levels / 2) { v -= levels; }
      let g = kk / info[13];
      var fv = f32(v);
      ${zeroPoints ? 'fv = fv - Z[info[10] + n * info[11] + g * info[12]];' : ''}
      let w = fv * T[info[7] + n * info[8] + g * info[9]];`;
  }
  const leadAt = meta.length;
  meta.push(...lead.shape, x.offset, ...lead.strides[0]!);
  const code = `@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> X: array<f32>;
@group(0) @binding(3) var<storage, read> C: array<i32>;
@group(0) @binding(4) var<storage, read> T: array<f32>;
${zeroPoints ? '@group(0) @binding(5) var<storage, read> Z: array<f32>;' : ''}
${MAIN_SIGNATURE} {
  ${LINEAR_INDEX}
  if (idx >= u32(info[0])) { return; }
  let n = i32(idx % u32(info[1]));
  let row = idx / u32(info[1]);
  ${offsetCode(lr, leadAt, [leadAt + lr], 'row')}
  var acc = 0.0;
  for (var kk: i32 = 0; kk < info[2]; kk++) {
      ${weight}
      acc += X[o0 + kk * info[3]] * w;
  }
  out[idx] = acc;
}`;
  const buffers = [out.buffer, x.buffer, codes.buffer, tables.buffer];
  if (zeroPoints) buffers.push(zeroPoints.buffer);
  d.dispatch(code, meta, buffers, total);
}
