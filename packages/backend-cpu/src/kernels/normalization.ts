// softmax and layer normalization rows, in float64 (the reference precision of this backend); the float32 outputs
// round once on store.
import type { HostArray } from '@nibble/core';
import type { KernelCall, KernelParams, TensorView } from '@nibble/core/spi';
import { denseFloat64 } from '../strided.ts';
import type { Lookup } from './elementwise.ts';

/** [outer, n, inner] sizes of a shape split at `axis`. */
function splitAt(shape: readonly number[], axis: number): [number, number, number] {
  const prod = (a: number, b: number) => shape.slice(a, b).reduce((p, d) => p * d, 1);
  return [prod(0, axis), shape[axis]!, prod(axis + 1, shape.length)];
}

/** softmax along any axis: exp(x − max) / Σ exp(x − max); a NaN or +Inf in a line makes that line NaN. */
export function runSoftmax(call: KernelCall<'softmax'>, lookup: Lookup): void {
  const xv = call.inputs[0]!;
  const x = denseFloat64(xv, lookup(xv));
  const y = lookup(call.outputs[0]!);
  const [outer, n, inner] = splitAt(xv.shape, (call.params as KernelParams['softmax']).axis);
  const e = new Float64Array(n);
  for (let o = 0; o < outer; o++) {
    for (let q = 0; q < inner; q++) {
      const base = o * n * inner + q;
      let m = -Infinity;
      for (let j = 0; j < n; j++) {
        const v = x[base + j * inner]!;
        if (v > m || v !== v) m = v !== v || m !== m ? NaN : v;
      }
      let s = 0;
      for (let j = 0; j < n; j++) s += e[j] = Math.exp(x[base + j * inner]! - m);
      for (let j = 0; j < n; j++) y[base + j * inner] = e[j]! / s;
    }
  }
}

/** The softmax gradient y·(g − Σ g·y) along any axis, from the softmax output y and its gradient g. */
export function runSoftmaxGrad(call: KernelCall<'softmaxGrad'>, lookup: Lookup): void {
  const [yv, gv] = call.inputs as [TensorView, TensorView];
  const y = denseFloat64(yv, lookup(yv));
  const g = denseFloat64(gv, lookup(gv));
  const out = lookup(call.outputs[0]!);
  const [outer, n, inner] = splitAt(yv.shape, (call.params as KernelParams['softmaxGrad']).axis);
  for (let o = 0; o < outer; o++) {
    for (let q = 0; q < inner; q++) {
      const base = o * n * inner + q;
      let s = 0;
      for (let j = 0; j < n; j++) s += g[base + j * inner]! * y[base + j * inner]!;
      for (let j = 0; j < n; j++) out[base + j * inner] = y[base + j * inner]! * (g[base + j * inner]! - s);
    }
  }
}

/** Mean and 1/√(var + eps) of one row (two passes, population variance). */
function rowStats(x: Float64Array, base: number, d: number, eps: number): [number, number] {
  let s = 0;
  for (let j = 0; j < d; j++) s += x[base + j]!;
  const mean = s / d;
  let v = 0;
  for (let j = 0; j < d; j++) v += (x[base + j]! - mean) ** 2;
  return [mean, 1 / Math.sqrt(v / d + eps)];
}

/** y = (x − mean)·r·gamma + beta over the last axis. */
export function runLayerNorm(call: KernelCall<'layerNorm'>, lookup: Lookup): void {
  const [xv, gv, bv] = call.inputs as [TensorView, TensorView, TensorView];
  const x = denseFloat64(xv, lookup(xv));
  const gamma = denseFloat64(gv, lookup(gv));
  const beta = denseFloat64(bv, lookup(bv));
  const y = lookup(call.outputs[0]!);
  const d = gamma.length;
  const rows = d === 0 ? 0 : x.length / d;
  const { eps } = call.params as KernelParams['layerNorm'];
  for (let r = 0; r < rows; r++) {
    const base = r * d;
    const [mean, rstd] = rowStats(x, base, d, eps);
    for (let j = 0; j < d; j++) y[base + j] = (x[base + j]! - mean) * rstd * gamma[j]! + beta[j]!;
  }
}

/**
 * Backward of {@link runLayerNorm}: gX = r·(gX̂ − mean(gX̂) − x̂·mean(gX̂·x̂)) with gX̂ = gY·gamma; gGamma = Σ gY·x̂ and
 * gBeta = Σ gY over the rows.
 */
export function runLayerNormGrad(call: KernelCall<'layerNormGrad'>, lookup: Lookup): void {
  const [xv, gv, gyv] = call.inputs as [TensorView, TensorView, TensorView];
  const x = denseFloat64(xv, lookup(xv));
  const gamma = denseFloat64(gv, lookup(gv));
  const gy = denseFloat64(gyv, lookup(gyv));
  const [gx, gGamma, gBeta] = call.outputs.map(lookup) as [HostArray, HostArray, HostArray];
  const d = gamma.length;
  const rows = d === 0 ? 0 : x.length / d;
  const { eps } = call.params as KernelParams['layerNormGrad'];
  const accGamma = new Float64Array(d);
  const accBeta = new Float64Array(d);
  const xhat = new Float64Array(d);
  const gxhat = new Float64Array(d);
  for (let r = 0; r < rows; r++) {
    const base = r * d;
    const [mean, rstd] = rowStats(x, base, d, eps);
    let m1 = 0;
    let m2 = 0;
    for (let j = 0; j < d; j++) {
      const g = gy[base + j]!;
      xhat[j] = (x[base + j]! - mean) * rstd;
      gxhat[j] = g * gamma[j]!;
      m1 += gxhat[j]!;
      m2 += gxhat[j]! * xhat[j]!;
      accGamma[j] = accGamma[j]! + g * xhat[j]!;
      accBeta[j] = accBeta[j]! + g;
    }
    m1 /= d;
    m2 /= d;
    for (let j = 0; j < d; j++) gx[base + j] = rstd * (gxhat[j]! - m1 - xhat[j]! * m2);
  }
  for (let j = 0; j < d; j++) {
    gGamma[j] = accGamma[j]!;
    gBeta[j] = accBeta[j]!;
  }
}
