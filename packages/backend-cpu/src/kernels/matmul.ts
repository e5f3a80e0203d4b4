import type { HostArray } from '@nibble/core';
import type { KernelCall, TensorView } from '@nibble/core/spi';
import { forEachStrided } from '../strided.ts';
import type { Lookup } from './elementwise.ts';

const R = 4; // register block: 4×4 accumulators

/** Packs rows [i0, i0+4) of a strided M×K matrix into a k-major panel (zero-padded past M). */
function packA(src: HostArray, off: number, rs: number, cs: number, m: number, k: number, i0: number, panel: Float64Array): void {
  for (let kk = 0; kk < k; kk++) {
    for (let r = 0; r < R; r++) {
      const i = i0 + r;
      panel[kk * R + r] = i < m ? src[off + i * rs + kk * cs]! : 0;
    }
  }
}

/** Packs columns [j0, j0+4) of a strided K×N matrix into a k-major panel (zero-padded past N). */
function packB(src: HostArray, off: number, rs: number, cs: number, n: number, k: number, j0: number, panel: Float64Array): void {
  for (let kk = 0; kk < k; kk++) {
    for (let c = 0; c < R; c++) {
      const j = j0 + c;
      panel[kk * R + c] = j < n ? src[off + kk * rs + j * cs]! : 0;
    }
  }
}

/**
 * One batch of C = A·B. Both operands are packed (so transposed views cost nothing extra) into 4-wide panels, and a
 * 4×4 block of C is accumulated in registers (float64 locals) over the whole K before one rounded store.
 */
export function gemm(a: HostArray, aOff: number, ars: number, acs: number, b: HostArray, bOff: number, brs: number, bcs: number,
  c: HostArray, cOff: number, m: number, n: number, k: number): void {
  gemmPacked(a, aOff, ars, acs, packPanels(b, bOff, brs, bcs, n, k), c, cOff, m, n, k);
}

/** Packs a strided K×N matrix into 4-column panels once, for reuse across many products (e.g. every LSTM step). */
export function packPanels(b: HostArray, bOff: number, brs: number, bcs: number, n: number, k: number): Float64Array {
  const nPanels = Math.ceil(n / R);
  const bPanels = new Float64Array(nPanels * k * R);
  const scratch = new Float64Array(k * R);
  for (let p = 0; p < nPanels; p++) {
    packB(b, bOff, brs, bcs, n, k, p * R, scratch);
    bPanels.set(scratch, p * k * R);
  }
  return bPanels;
}

/** C[m×n] (contiguous at cOff) = A (strided) · B (packed by {@link packPanels}). */
export function gemmPacked(a: HostArray, aOff: number, ars: number, acs: number, bPanels: Float64Array,
  c: HostArray, cOff: number, m: number, n: number, k: number): void {
  const nPanels = Math.ceil(n / R);
  const aPanel = new Float64Array(k * R);
  for (let i0 = 0; i0 < m; i0 += R) {
    packA(a, aOff, ars, acs, m, k, i0, aPanel);
    for (let p = 0; p < nPanels; p++) {
      const bp = p * k * R;
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let kk = 0; kk < k; kk++) {
        const ai = kk * R;
        const bi = bp + kk * R;
        const a0 = aPanel[ai]!, a1 = aPanel[ai + 1]!, a2 = aPanel[ai + 2]!, a3 = aPanel[ai + 3]!;
        const b0 = bPanels[bi]!, b1 = bPanels[bi + 1]!, b2 = bPanels[bi + 2]!, b3 = bPanels[bi + 3]!;
        c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
        c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
        c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
        c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
      }
      const j0 = p * R;
      const base = cOff + i0 * n + j0;
      if (i0 + R <= m && j0 + R <= n) {
        c[base] = c00; c[base + 1] = c01; c[base + 2] = c02; c[base + 3] = c03;
        c[base + n] = c10; c[base + n + 1] = c11; c[base + n + 2] = c12; c[base + n + 3] = c13;
        c[base + 2 * n] = c20; c[base + 2 * n + 1] = c21; c[base + 2 * n + 2] = c22; c[base + 2 * n + 3] = c23;
        c[base + 3 * n] = c30; c[base + 3 * n + 1] = c31; c[base + 3 * n + 2] = c32; c[base + 3 * n + 3] = c33;
      } else {
        // edge block: write only the cells inside C
        const block = [c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33];
        for (let r = 0; r < R && i0 + r < m; r++) {
          for (let cc = 0; cc < R && j0 + cc < n; cc++) c[base + r * n + cc] = block[r * R + cc]!;
        }
      }
    }
  }
}

function batchStrides(v: TensorView, batchShape: readonly number[]): number[] {
  const vb = v.shape.length - 2;
  const lead = batchShape.length - vb;
  return batchShape.map((d, i) => (i < lead ? 0 : v.shape[i - lead] === 1 && d !== 1 ? 0 : v.strides[i - lead]!));
}

/** Batched matmul with broadcast batch axes on strided operands. */
export function runMatmul(call: KernelCall<'matmul'>, lookup: Lookup): void {
  const [a, b] = call.inputs as [TensorView, TensorView];
  const outView = call.outputs[0]!;
  const out = lookup(outView);
  const m = a.shape.at(-2)!;
  const k = a.shape.at(-1)!;
  const n = b.shape.at(-1)!;
  const batchShape = outView.shape.slice(0, -2);
  const ar = a.strides.length;
  const br = b.strides.length;
  const A = lookup(a);
  const B = lookup(b);
  forEachStrided(batchShape, [batchStrides(a, batchShape), batchStrides(b, batchShape)], [a.offset, b.offset], (i, offs) => {
    gemm(A, offs[0]!, a.strides[ar - 2]!, a.strides[ar - 1]!, B, offs[1]!, b.strides[br - 2]!, b.strides[br - 1]!, out, i * m * n, m, n, k);
  });
}

/** `a·b + bias`: the product, then the bias added to every row (each output rounds as matmul followed by add does). */
export function runMatmulBias(call: KernelCall<'matmulBias'>, lookup: Lookup): void {
  runMatmul(call as unknown as KernelCall<'matmul'>, lookup);
  const bv = call.inputs[2]!;
  const bias = lookup(bv);
  const out = lookup(call.outputs[0]!);
  const n = bv.shape[0]!;
  const stride = bv.strides[0]!;
  for (let r = 0; r < out.length; r += n) {
    for (let j = 0; j < n; j++) out[r + j] = (out[r + j] as number) + (bias[bv.offset + j * stride] as number);
  }
}
