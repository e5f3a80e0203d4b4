// The case models written with tfjs ops, exactly as train-cases.json "models" defines them (gate order i, f, g, o;
// pre-LN block; plain SGD). Written with low-level ops rather than tf.layers so the parameter layout is the file's.
import type { LstmData, TransformerData } from '../../cases/case-data.js';
import type { Tf } from './load-tfjs.js';

type Tensor = import('@tensorflow/tfjs').Tensor;
type Tensor2D = import('@tensorflow/tfjs').Tensor2D;
type Scalar = import('@tensorflow/tfjs').Scalar;
type Variable = import('@tensorflow/tfjs').Variable;

/** LSTM parameters as tfjs variables. */
export interface TfLstmParams {
  readonly wx: Variable;
  readonly wh: Variable;
  readonly b: Variable;
  readonly wd: Variable;
  readonly bd: Variable;
}

/** Creates the LSTM + head parameters from the case data. */
export function tfLstmParams(tf: Tf, d: LstmData): TfLstmParams {
  return {
    wx: tf.variable(tf.tensor2d(d.wx, [d.I, 4 * d.H])),
    wh: tf.variable(tf.tensor2d(d.wh, [d.H, 4 * d.H])),
    b: tf.variable(tf.tensor1d(d.b)),
    wd: tf.variable(tf.tensor2d(d.wd, [d.H, d.C])),
    bd: tf.variable(tf.tensor1d(d.bd)),
  };
}

/** logits[B*T, C] of the LSTM + dense head over x[B*T, I] (rows ordered b-major, as x[B,T,I]). */
export function tfLstmLogits(tf: Tf, d: LstmData, p: TfLstmParams, xFlat: Tensor2D): Tensor2D {
  const { B, T, H } = d;
  // Input projection for all steps at once; only h @ Wh stays inside the time loop.
  const xw = tf.fused.matMul({ a: xFlat, b: p.wx, bias: p.b }).reshape([B, T, 4 * H]);
  const steps = tf.unstack(xw, 1);
  let h: Tensor = tf.zeros([B, H]);
  let c: Tensor = tf.zeros([B, H]);
  const hs: Tensor[] = [];
  for (const xt of steps) {
    const z = tf.add(xt, tf.matMul(h, p.wh));
    const [zi, zf, zg, zo] = tf.split(z, 4, 1) as [Tensor, Tensor, Tensor, Tensor];
    c = tf.add(tf.mul(tf.sigmoid(zf), c), tf.mul(tf.sigmoid(zi), tf.tanh(zg)));
    h = tf.mul(tf.sigmoid(zo), tf.tanh(c));
    hs.push(h);
  }
  const hAll = tf.stack(hs, 1).reshape([B * T, H]) as Tensor2D;
  return tf.fused.matMul({ a: hAll, b: p.wd, bias: p.bd }) as Tensor2D;
}

/** Mean softmax cross-entropy of logits[R, C] against one-hot labels[R, C]. */
export function tfSoftmaxCrossEntropy(tf: Tf, logits: Tensor2D, oneHot: Tensor2D): Scalar {
  return tf.mean(tf.sub(tf.logSumExp(logits, 1), tf.sum(tf.mul(logits, oneHot), 1)));
}

/** Transformer block parameters as tfjs variables, in the order SGD updates them. */
export interface TfTransformerParams {
  readonly [name: string]: Variable;
}

/** Creates the transformer block parameters from the case data. */
export function tfTransformerParams(tf: Tf, d: TransformerData): TfTransformerParams {
  const { D, F } = d;
  return {
    wq: tf.variable(tf.tensor2d(d.wq, [D, D])),
    bq: tf.variable(tf.tensor1d(d.bq)),
    wk: tf.variable(tf.tensor2d(d.wk, [D, D])),
    bk: tf.variable(tf.tensor1d(d.bk)),
    wv: tf.variable(tf.tensor2d(d.wv, [D, D])),
    bv: tf.variable(tf.tensor1d(d.bv)),
    wo: tf.variable(tf.tensor2d(d.wo, [D, D])),
    bo: tf.variable(tf.tensor1d(d.bo)),
    w1: tf.variable(tf.tensor2d(d.w1, [D, F])),
    b1: tf.variable(tf.tensor1d(d.b1)),
    w2: tf.variable(tf.tensor2d(d.w2, [F, D])),
    b2: tf.variable(tf.tensor1d(d.b2)),
    g1: tf.variable(tf.tensor1d(d.ln1Gamma)),
    be1: tf.variable(tf.tensor1d(d.ln1Beta)),
    g2: tf.variable(tf.tensor1d(d.ln2Gamma)),
    be2: tf.variable(tf.tensor1d(d.ln2Beta)),
  };
}

function param(p: TfTransformerParams, name: string): Variable {
  const v = p[name];
  if (v === undefined) throw new Error(`tfTransformerBlock: missing parameter ${name}`);
  return v;
}

function layerNorm(tf: Tf, v: Tensor2D, gamma: Tensor, beta: Tensor): Tensor2D {
  const { mean, variance } = tf.moments(v, -1, true); // population variance, as the case file says
  return tf.add(tf.mul(tf.div(tf.sub(v, mean), tf.sqrt(tf.add(variance, 1e-5))), gamma), beta) as Tensor2D;
}

/** y[B*S, D] of the pre-LN encoder block over x[B*S, D]. */
export function tfTransformerBlock(tf: Tf, d: TransformerData, p: TfTransformerParams, x: Tensor2D): Tensor2D {
  const { B, S, D, heads } = d;
  const dh = D / heads;
  // tfjs's fused product + bias (as nibble's matmulBias), its own API for a dense layer
  const dense = (v: Tensor2D, w: string, b: string): Tensor2D => tf.fused.matMul({ a: v, b: param(p, w) as Tensor2D, bias: param(p, b) }) as Tensor2D;
  const splitHeads = (v: Tensor2D): Tensor => tf.transpose(v.reshape([B, S, heads, dh]), [0, 2, 1, 3]);
  const n1 = layerNorm(tf, x, param(p, 'g1'), param(p, 'be1'));
  const q = splitHeads(dense(n1, 'wq', 'bq'));
  const k = splitHeads(dense(n1, 'wk', 'bk'));
  const w = splitHeads(dense(n1, 'wv', 'bv'));
  const scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh));
  const ctx = tf.matMul(tf.softmax(scores), w); // [B, heads, S, dh]
  const merged = tf.transpose(ctx, [0, 2, 1, 3]).reshape([B * S, D]) as Tensor2D;
  const a = tf.add(x, dense(merged, 'wo', 'bo')) as Tensor2D;
  const n2 = layerNorm(tf, a, param(p, 'g2'), param(p, 'be2'));
  const hidden = tf.relu(dense(n2, 'w1', 'b1')) as Tensor2D;
  return tf.add(a, dense(hidden, 'w2', 'b2')) as Tensor2D;
}
