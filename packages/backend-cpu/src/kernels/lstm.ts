import type { HostArray } from '@nibble/core';
import type { KernelCall, TensorView } from '@nibble/core/spi';
import { sigmoid } from '../math.ts';
import { denseFloat64 as dense } from '../strided.ts';
import type { Lookup } from './elementwise.ts';
import { gemm, gemmPacked, packPanels } from './matmul.ts';


/** Whole-sequence LSTM forward: one packed Wh reused for every step, gate math fused in one pass per step. */
export function runLstmSequence(call: KernelCall<'lstmSequence'>, lookup: Lookup): void {
  const [xpV, whV, h0V, c0V] = call.inputs as [TensorView, TensorView, TensorView, TensorView];
  const [b, steps, h4] = xpV.shape as [number, number, number];
  const hid = h4 / 4;
  const xp = dense(xpV, lookup(xpV));
  const wh = dense(whV, lookup(whV));
  const panels = packPanels(wh, 0, h4, 1, h4, hid);
  const y = lookup(call.outputs[0]!);
  let h = dense(h0V, lookup(h0V));
  let c = dense(c0V, lookup(c0V));
  const z = new Float64Array(b * h4);
  for (let s = 0; s < steps; s++) {
    gemmPacked(h, 0, hid, 1, panels, z, 0, b, h4, hid);
    const hn = new Float64Array(b * hid);
    const cn = new Float64Array(b * hid);
    for (let r = 0; r < b; r++) {
      const zr = r * h4;
      const xr = (r * steps + s) * h4;
      const yr = ((r * steps + s) * 2) * hid;
      for (let j = 0; j < hid; j++) {
        const i = sigmoid(z[zr + j]! + xp[xr + j]!);
        const f = sigmoid(z[zr + hid + j]! + xp[xr + hid + j]!);
        const g = Math.tanh(z[zr + 2 * hid + j]! + xp[xr + 2 * hid + j]!);
        const o = sigmoid(z[zr + 3 * hid + j]! + xp[xr + 3 * hid + j]!);
        const cv = f * c[r * hid + j]! + i * g;
        const hv = o * Math.tanh(cv);
        y[yr + j] = hv;
        y[yr + hid + j] = cv;
        // continue the recurrence from the stored (rounded) values, as a step-by-step float32 model would
        hn[r * hid + j] = y[yr + j]!;
        cn[r * hid + j] = y[yr + hid + j]!;
      }
    }
    h = hn;
    c = cn;
  }
}

/** Backpropagation through time for {@link runLstmSequence}; gates are recomputed from the saved h and c. */
export function runLstmSequenceGrad(call: KernelCall<'lstmSequenceGrad'>, lookup: Lookup): void {
  const [xpV, whV, h0V, c0V, yV, gyV] = call.inputs as TensorView[] as [TensorView, TensorView, TensorView, TensorView, TensorView, TensorView];
  const [b, steps, h4] = xpV.shape as [number, number, number];
  const hid = h4 / 4;
  const xp = dense(xpV, lookup(xpV));
  const wh = dense(whV, lookup(whV));
  const h0 = dense(h0V, lookup(h0V));
  const c0 = dense(c0V, lookup(c0V));
  const y = dense(yV, lookup(yV));
  const gy = dense(gyV, lookup(gyV));
  const [gxOut, gwOut, gh0Out, gc0Out] = call.outputs.map(lookup) as [HostArray, HostArray, HostArray, HostArray];
  const whPanels = packPanels(wh, 0, h4, 1, h4, hid); // for z = hPrev · Wh
  const whTPanels = packPanels(wh, 0, 1, h4, hid, h4); // Whᵀ [4H, H] for dh = dz · Whᵀ
  const dZ = new Float64Array(b * steps * h4);
  const hPrevAll = new Float64Array(b * steps * hid);
  let dhNext = new Float64Array(b * hid);
  const dcNext = new Float64Array(b * hid);
  const hPrev = new Float64Array(b * hid);
  const z = new Float64Array(b * h4);
  const dz = new Float64Array(b * h4);
  const yAt = (r: number, s: number, k: number, j: number) => y[((r * steps + s) * 2 + k) * hid + j]!;
  for (let s = steps - 1; s >= 0; s--) {
    for (let r = 0; r < b; r++) {
      for (let j = 0; j < hid; j++) hPrev[r * hid + j] = s === 0 ? h0[r * hid + j]! : yAt(r, s - 1, 0, j);
    }
    gemmPacked(hPrev, 0, hid, 1, whPanels, z, 0, b, h4, hid);
    for (let r = 0; r < b; r++) {
      const zr = r * h4;
      const xr = (r * steps + s) * h4;
      for (let j = 0; j < hid; j++) {
        const i = sigmoid(z[zr + j]! + xp[xr + j]!);
        const f = sigmoid(z[zr + hid + j]! + xp[xr + hid + j]!);
        const g = Math.tanh(z[zr + 2 * hid + j]! + xp[xr + 2 * hid + j]!);
        const o = sigmoid(z[zr + 3 * hid + j]! + xp[xr + 3 * hid + j]!);
        const cPrev = s === 0 ? c0[r * hid + j]! : yAt(r, s - 1, 1, j);
        const tc = Math.tanh(yAt(r, s, 1, j));
        const dh = gy[((r * steps + s) * 2) * hid + j]! + dhNext[r * hid + j]!;
        const dc = gy[((r * steps + s) * 2 + 1) * hid + j]! + dcNext[r * hid + j]! + dh * o * (1 - tc * tc);
        dz[zr + j] = dc * g * i * (1 - i);
        dz[zr + hid + j] = dc * cPrev * f * (1 - f);
        dz[zr + 2 * hid + j] = dc * i * (1 - g * g);
        dz[zr + 3 * hid + j] = dh * tc * o * (1 - o);
        dcNext[r * hid + j] = dc * f;
        hPrevAll[(r * steps + s) * hid + j] = hPrev[r * hid + j]!;
      }
      dZ.set(dz.subarray(zr, zr + h4), (r * steps + s) * h4);
    }
    const dh = new Float64Array(b * hid);
    gemmPacked(dz, 0, h4, 1, whTPanels, dh, 0, b, hid, h4);
    dhNext = dh;
  }
  for (let i = 0; i < dZ.length; i++) gxOut[i] = dZ[i]!;
  // gWh = Σ_t hPrev_tᵀ · dz_t as one [H, B·T] × [B·T, 4H] product
  gemm(hPrevAll, 0, 1, hid, dZ, 0, h4, 1, gwOut, 0, hid, h4, b * steps);
  for (let i = 0; i < dhNext.length; i++) gh0Out[i] = dhNext[i]!;
  for (let i = 0; i < dcNext.length; i++) gc0Out[i] = dcNext[i]!;
}
