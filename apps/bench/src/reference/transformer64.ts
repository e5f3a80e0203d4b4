// Float64 reference of the pre-LN encoder block and its MSE loss (train-cases.json "models.transformer_block").
import type { TransformerData } from '../cases/case-data.js';
import { addRowBias64, matmul64 } from './matmul64.js';

function layerNorm64(v: Float64Array, gamma: ArrayLike<number>, beta: ArrayLike<number>, d: number): Float64Array {
  const out = new Float64Array(v.length);
  for (let r = 0; r < v.length / d; r++) {
    let mean = 0;
    for (let j = 0; j < d; j++) mean += v[r * d + j]!;
    mean /= d;
    let variance = 0;
    for (let j = 0; j < d; j++) variance += (v[r * d + j]! - mean) ** 2;
    variance /= d; // biased (population) variance, as the case file says
    const inv = 1 / Math.sqrt(variance + 1e-5);
    for (let j = 0; j < d; j++) out[r * d + j] = (v[r * d + j]! - mean) * inv * (gamma[j] as number) + (beta[j] as number);
  }
  return out;
}

function dense64(v: Float64Array, w: Float32Array, b: Float32Array, rows: number, k: number, n: number): Float64Array {
  const out = matmul64(v, w, rows, k, n);
  addRowBias64(out, b, n);
  return out;
}

function attention64(v: Float64Array, d: TransformerData): Float64Array {
  const { B, S, D, heads } = d;
  const rows = B * S;
  const q = dense64(v, d.wq, d.bq, rows, D, D);
  const k = dense64(v, d.wk, d.bk, rows, D, D);
  const w = dense64(v, d.wv, d.bv, rows, D, D);
  const dh = D / heads;
  const scale = 1 / Math.sqrt(dh);
  const ctx = new Float64Array(rows * D);
  const p = new Float64Array(S);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < S; i++) {
        let max = -Infinity;
        for (let j = 0; j < S; j++) {
          let dot = 0;
          for (let e = 0; e < dh; e++) dot += q[(b * S + i) * D + h * dh + e]! * k[(b * S + j) * D + h * dh + e]!;
          p[j] = dot * scale;
          max = Math.max(max, p[j]!);
        }
        let sum = 0;
        for (let j = 0; j < S; j++) {
          p[j] = Math.exp(p[j]! - max);
          sum += p[j]!;
        }
        for (let e = 0; e < dh; e++) {
          let acc = 0;
          for (let j = 0; j < S; j++) acc += p[j]! * w[(b * S + j) * D + h * dh + e]!;
          ctx[(b * S + i) * D + h * dh + e] = acc / sum;
        }
      }
    }
  }
  return dense64(ctx, d.wo, d.bo, rows, D, D);
}

/**
 * Forward pass of the block in float64: y[B,S,D] = a + FFN(LN2(a)) with a = x + MHA(LN1(x)).
 *
 * @example
 * const y = transformerBlock64(transformerData(c));
 */
export function transformerBlock64(d: TransformerData): Float64Array {
  const { B, S, D, F } = d;
  const rows = B * S;
  const x = Float64Array.from(d.x);
  const att = attention64(layerNorm64(x, d.ln1Gamma, d.ln1Beta, D), d);
  const a = x.map((v, i) => v + att[i]!);
  const hidden = dense64(layerNorm64(a, d.ln2Gamma, d.ln2Beta, D), d.w1, d.b1, rows, D, F).map((v) => Math.max(v, 0));
  const ffn = dense64(hidden, d.w2, d.b2, rows, F, D);
  return a.map((v, i) => v + ffn[i]!);
}

/** Mean squared error of the block's output against the case's fixed target, in float64. */
export function transformerLoss64(d: TransformerData): number {
  const y = transformerBlock64(d);
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (y[i]! - d.target[i]!) ** 2;
  return s / y.length;
}
