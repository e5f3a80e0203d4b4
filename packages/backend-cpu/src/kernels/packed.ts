// packedMatmul: x[..., K] · Wᵀ with W [N, K] given as packed low-bit codes (int) or PQ codes + codebook. Each weight
// row is decoded once into a scratch row and dotted with every activation row, so no [N, K] float copy of the weight
// is ever made. Decoding rounds like float32 ops ((q − z), then · s), as core's lowering and the fake-quant model do,
// and the dot products accumulate in float64.
import type { HostArray } from '@nibble/core';
import type { KernelCall, KernelParams, PackedWeights, TensorView } from '@nibble/core/spi';
import { forEachStrided } from '../strided.ts';
import type { Lookup } from './elementwise.ts';

/** A dense float64 copy of a view (the activations, scales, zero-points, codebook: all small next to N·K). */
function dense(view: TensorView, lookup: Lookup): Float64Array {
  const src = lookup(view);
  const out = new Float64Array(view.shape.reduce((a, d) => a * d, 1));
  forEachStrided(view.shape, [view.strides], [view.offset], (i, offs) => {
    out[i] = src[offs[0]!]!;
  });
  return out;
}

/** Reads the uint8 codes of one row through the view's strides. */
function codeRow(codes: TensorView, data: HostArray, row: number, into: Uint8Array): void {
  const base = codes.offset + row * codes.strides[0]!;
  const step = codes.strides[1] ?? 1;
  for (let j = 0; j < into.length; j++) into[j] = data[base + j * step]!;
}

/** Decodes row `n` of integer codes into `w` (length K): (code − zero-point) · scale, per group of `groupSize`. */
function decodeIntRow(
  weights: Extract<PackedWeights, { kind: 'int' }>, bytes: Uint8Array, n: number,
  scales: Float64Array, zeros: Float64Array | null, w: Float64Array, round32: (x: number) => number,
): void {
  const { bits, groupSize, signed } = weights;
  const k = w.length;
  const per = 8 / bits;
  const mask = (1 << bits) - 1;
  const half = 1 << (bits - 1);
  const groups = k / groupSize;
  for (let i = 0; i < k; i++) {
    let q = (bytes[Math.floor(i / per)]! >> ((i % per) * bits)) & mask; // low bits first
    if (signed && q >= half) q -= 1 << bits;
    const g = n * groups + Math.floor(i / groupSize);
    w[i] = round32((zeros === null ? q : round32(q - zeros[g]!)) * scales[g]!);
  }
}

export function runPackedMatmul(call: KernelCall<'packedMatmul'>, lookup: Lookup, round32: (x: number) => number): void {
  const { weights } = call.params as KernelParams['packedMatmul'];
  const [xV, codesV, tablesV, zerosV] = call.inputs as [TensorView, TensorView, TensorView, TensorView | undefined];
  const [n, k] = weights.shape;
  const m = k === 0 ? 0 : xV.shape.reduce((a, d) => a * d, 1) / k;
  const out = lookup(call.outputs[0]!);
  const x = dense(xV, lookup);
  const tables = dense(tablesV, lookup);
  const zeros = zerosV ? dense(zerosV, lookup) : null;
  const codes = lookup(codesV);
  const bytes = new Uint8Array(codesV.shape[1] ?? 0);
  const w = new Float64Array(k);
  for (let r = 0; r < n; r++) {
    codeRow(codesV, codes, r, bytes);
    if (weights.kind === 'pq') {
      const d = weights.blockSize;
      for (let s = 0; s < bytes.length; s++) for (let j = 0; j < d; j++) w[s * d + j] = tables[bytes[s]! * d + j]!;
    } else {
      decodeIntRow(weights, bytes, r, tables, zeros, w, round32);
    }
    for (let i = 0; i < m; i++) {
      let acc = 0;
      for (let j = 0; j < k; j++) acc += x[i * k + j]! * w[j]!;
      out[i * n + r] = acc;
    }
  }
}
