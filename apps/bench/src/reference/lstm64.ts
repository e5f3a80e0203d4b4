// Float64 reference of the LSTM + dense head of train-cases.json ("models.lstm", "models.lstm_loss").
import type { LstmData } from '../cases/case-data.js';
import { addRowBias64, matmul64 } from './matmul64.js';

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

/**
 * Forward pass in float64: logits[B,T,C] (row-major) of LSTM over x with zero initial state, then the dense head.
 *
 * @example
 * const logits = lstmLogits64(lstmData(c));
 */
export function lstmLogits64(d: LstmData): Float64Array {
  const { B, T, I, H, C } = d;
  const G = 4 * H;
  // The input projection does not depend on h: one [B*T, I] @ [I, 4H] matmul for all steps.
  const xw = matmul64(d.x, d.wx, B * T, I, G);
  addRowBias64(xw, d.b, G);
  const hs = new Float64Array(B * T * H);
  const h = new Float64Array(B * H);
  const c = new Float64Array(B * H);
  for (let t = 0; t < T; t++) {
    const hw = matmul64(h, d.wh, B, H, G);
    for (let bi = 0; bi < B; bi++) {
      const zRow = (bi * T + t) * G;
      for (let j = 0; j < H; j++) {
        const z = (blk: number): number => xw[zRow + blk * H + j]! + hw[bi * G + blk * H + j]!;
        const ig = sigmoid(z(0));
        const fg = sigmoid(z(1));
        const gg = Math.tanh(z(2));
        const og = sigmoid(z(3));
        const cNew = fg * c[bi * H + j]! + ig * gg;
        c[bi * H + j] = cNew;
        const hNew = og * Math.tanh(cNew);
        h[bi * H + j] = hNew;
        hs[(bi * T + t) * H + j] = hNew;
      }
    }
  }
  const logits = matmul64(hs, d.wd, B * T, H, C);
  addRowBias64(logits, d.bd, C);
  return logits;
}

/**
 * Mean softmax cross-entropy over all rows of logits[R, C] against integer labels[R].
 *
 * @example
 * const loss = softmaxCrossEntropy64(lstmLogits64(d), d.labels, d.C);
 */
export function softmaxCrossEntropy64(logits: Float64Array, labels: Int32Array, classes: number): number {
  const rows = labels.length;
  let total = 0;
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let k = 0; k < classes; k++) max = Math.max(max, logits[r * classes + k]!);
    let s = 0;
    for (let k = 0; k < classes; k++) s += Math.exp(logits[r * classes + k]! - max);
    total += max + Math.log(s) - logits[r * classes + labels[r]!]!;
  }
  return total / rows;
}
