// Builds the inputs, initial parameters and float64 references of the suite-cases.json cases (rng and init of
// train-cases.json; see the file's description).
import { COPY_TASK, copyTask, copyTaskLength } from '@nibble/data';
import { elementwise64, reduce64 } from '../reference/ops64.js';
import { lstmLogits64, softmaxCrossEntropy64 } from '../reference/lstm64.js';
import { directionalDerivative64, ornnLoss64, powerDirection64 } from '../reference/ornn64.js';
import { transformerLoss64 } from '../reference/transformer64.js';
import { matmul64 } from '../reference/matmul64.js';
import { transformerData, type LstmData, type TransformerData } from './case-data.js';
import { glorot, uniformSym } from './rng.js';
import type { ElementwiseCase, OrnnLayerCase, PackedInferCase, QatRunCase, QatStepCase, ReduceCase, TransformerLayerCase } from './suite-cases.js';

/** Inputs of an elementwise case and the float64 output. */
export interface ElementwiseData {
  readonly kind: 'elementwise';
  /** x[rows, cols] */
  readonly x: Float32Array;
  /** y[cols] (add, mul) */
  readonly y: Float32Array;
  readonly ref: Float64Array;
}

/** Input of a reduction case and the float64 output. */
export interface ReduceData {
  readonly kind: 'reduce';
  readonly x: Float32Array;
  readonly ref: Float64Array;
}

/** Float64 loss of the first step and directional derivative ⟨∇loss, d⟩ a layer case's backward must reproduce. */
export interface GradReference {
  readonly loss0: number;
  readonly gradDot: number;
}

/** OrthogonalRNN case: time-major data, parameters in @nibble/layers' layout, a gradient direction, the references. */
export interface OrnnLayerData {
  readonly kind: 'layer_grad';
  readonly layer: 'ornn';
  /** x[T, B, I] */
  readonly x: Float32Array;
  /** target[T, B, H] */
  readonly target: Float32Array;
  /** inputWeight [H, I], inputBias [H], recurrentWeight V [H, H], activationBias [H] */
  readonly params: { readonly inputWeight: Float32Array; readonly inputBias: Float32Array; readonly recurrentWeight: Float32Array; readonly activationBias: Float32Array };
  /** The direction d of the gradient check, same names and layout as `params`. */
  readonly direction: { readonly [name: string]: Float32Array };
  readonly ref: GradReference;
}

/** Transformer layer case: train-cases.json's block data; the gradient direction is the parameters themselves. */
export interface TransformerLayerData {
  readonly kind: 'layer_grad';
  readonly layer: 'transformer';
  readonly block: TransformerData;
  readonly ref: GradReference;
}

/** The LSTM copy-task model of the QAT cases: the first batch as LstmData (case-file layout) and its float64 loss. */
export interface QatModelData {
  readonly kind: 'qat_step' | 'qat_run';
  /** First batch, one-hot x[B, T, 10], labels[B·T], and the initial weights (Wx[10, 4H], Wh[H, 4H], Wd[H, 9]). */
  readonly first: LstmData;
  /** Float64 cross-entropy of the float model on `first`. */
  readonly floatLoss0: number;
  /** The first `n` batches of the run (batch 0 is `first`'s data): one-hot x and labels each. */
  batches(n: number): { readonly x: Float32Array; readonly labels: Int32Array }[];
}

/** Packed-inference case: x and the float weights in the case-file [in, out] layout, and the float64 output. */
export interface PackedInferData {
  readonly kind: 'packed_infer';
  /** x[batch, K] */
  readonly x: Float32Array;
  /** W1[K, hidden] */
  readonly w1: Float32Array;
  /** W2[hidden, N] */
  readonly w2: Float32Array;
  /** Float64 output of the float model, [batch, N]. */
  readonly floatRef: Float64Array;
}

/** Any suite-cases.json data. */
export type SuiteData = ElementwiseData | ReduceData | OrnnLayerData | TransformerLayerData | QatModelData | PackedInferData;

/** Row-major transpose of a [rows, cols] matrix. */
export function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c] as number;
  return out;
}

/** Builds x, y and the float64 output of an elementwise case. */
export function elementwiseData(c: ElementwiseCase): ElementwiseData {
  const x = uniformSym(c.seeds.x, c.rows * c.cols, 1);
  const y = uniformSym(c.seeds.y, c.cols, 1);
  return { kind: 'elementwise', x, y, ref: elementwise64(c, x, y) };
}

/** Builds x and the float64 output of a reduction case. */
export function reduceData(c: ReduceCase): ReduceData {
  const x = uniformSym(c.seeds.x, c.rows * c.cols, 1);
  return { kind: 'reduce', x, ref: reduce64(c, x) };
}

const ORNN_PARAMS = ['inputWeight', 'inputBias', 'recurrentWeight', 'activationBias'] as const;

/** Builds the OrthogonalRNN case: data, parameters, a random direction and the float64 loss and ⟨∇loss, d⟩. */
export function ornnLayerData(c: OrnnLayerCase): OrnnLayerData {
  const { I, H, B, T } = c;
  const params = {
    inputWeight: transpose(glorot(c.seeds.U, I, H), I, H),
    inputBias: new Float32Array(H),
    recurrentWeight: uniformSym(c.seeds.V, H * H, Math.sqrt(3 / H)),
    activationBias: new Float32Array(H).fill(-0.01), // b < 0: modReLU is continuous (b > 0 jumps by 2b at z = 0, which a central difference would see)
  };
  const direction = Object.fromEntries(ORNN_PARAMS.map((n, i) => [n, uniformSym(c.seeds.direction + i, params[n].length, 1)]));
  const x = uniformSym(c.seeds.x, T * B * I, 1);
  const target = uniformSym(c.seeds.target, T * B * H, 1);
  const dims = { T, B, I, H };
  const powerU = powerDirection64(params.recurrentWeight, H); // held constant: @nibble/layers does not differentiate it
  const at = (alpha: number) => {
    const p = Object.fromEntries(ORNN_PARAMS.map((n) => [n, Float64Array.from(params[n], (v, i) => v + alpha * (direction[n]![i] as number))]));
    return ornnLoss64({ u: p['inputWeight']!, b: p['inputBias']!, v: p['recurrentWeight']!, ab: p['activationBias']! }, x, target, dims, powerU);
  };
  return { kind: 'layer_grad', layer: 'ornn', x, target, params, direction, ref: { loss0: at(0), gradDot: directionalDerivative64(at, 1e-7) } }; // small ε: fewer modReLU kinks inside [−ε, ε]
}

const BLOCK_PARAMS = ['wq', 'bq', 'wk', 'bk', 'wv', 'bv', 'wo', 'bo', 'w1', 'b1', 'w2', 'b2', 'ln1Gamma', 'ln1Beta', 'ln2Gamma', 'ln2Beta'] as const;

/** Builds the transformer layer case from train-cases.json's block rules, with the float64 loss and d/dα loss(αθ) at α = 1. */
export function transformerLayerData(c: TransformerLayerCase): TransformerLayerData {
  const block = transformerData({ ...c, kind: 'transformer_train', lr: 0, expect: { loss0: NaN } });
  // Direction d = θ: ⟨∇loss, θ⟩ does not depend on how a target lays its parameters out (transposes keep it).
  const at = (alpha: number): number => {
    const scaled = { ...block } as Record<string, unknown>;
    for (const n of BLOCK_PARAMS) scaled[n] = Float64Array.from(block[n], (v) => v * (1 + alpha));
    return transformerLoss64(scaled as unknown as TransformerData);
  };
  return { kind: 'layer_grad', layer: 'transformer', block, ref: { loss0: transformerLoss64(block), gradDot: directionalDerivative64(at) } };
}

/** `n` batches of `count` copy-task examples each (examples in order): one-hot x[B, T, 10] and labels[B·T]. */
function copyBatches(seed: number, gap: number, n: number, count: number): { x: Float32Array; labels: Int32Array }[] {
  const T = copyTaskLength(gap);
  const { x, y } = copyTask({ gap, count: n * count, seed });
  return Array.from({ length: n }, (_, k) => {
    const onehot = new Float32Array(count * T * COPY_TASK.inputClasses);
    const labels = new Int32Array(count * T);
    for (let b = 0; b < count; b++) {
      for (let t = 0; t < T; t++) {
        const src = (k * count + b) * T + t;
        onehot[(b * T + t) * COPY_TASK.inputClasses + (x.data[src] as number)] = 1;
        labels[b * T + t] = y.data[src] as number;
      }
    }
    return { x: onehot, labels };
  });
}

/** Builds the copy-task LSTM case: first batch, glorot weights (zero biases), float64 loss of the float model. */
export function qatModelData(c: QatStepCase | QatRunCase): QatModelData {
  const I = COPY_TASK.inputClasses;
  const C = COPY_TASK.outputClasses;
  const T = copyTaskLength(c.gap);
  const { H, B } = c;
  const batches = (n: number) => copyBatches(c.seeds.data, c.gap, n, B);
  const b0 = batches(1)[0]!;
  const first: LstmData = {
    kind: 'lstm_train', B, T, I, H, C, x: b0.x, labels: b0.labels,
    wx: glorot(c.seeds.Wx, I, 4 * H), wh: glorot(c.seeds.Wh, H, 4 * H), b: new Float32Array(4 * H), wd: glorot(c.seeds.Wd, H, C), bd: new Float32Array(C),
  };
  return { kind: c.kind, first, floatLoss0: softmaxCrossEntropy64(lstmLogits64(first), first.labels, C), batches };
}

/** Builds x, the float weights and the float64 output of a packed-inference case. */
export function packedInferData(c: PackedInferCase): PackedInferData {
  const x = uniformSym(c.seeds.x, c.batch * c.K, 1);
  const w1 = glorot(c.seeds.W1, c.K, c.hidden);
  const w2 = glorot(c.seeds.W2, c.hidden, c.N);
  const h = matmul64(x, w1, c.batch, c.K, c.hidden).map((v) => Math.max(v, 0));
  return { kind: 'packed_infer', x, w1, w2, floatRef: matmul64(h, w2, c.batch, c.hidden, c.N) };
}
