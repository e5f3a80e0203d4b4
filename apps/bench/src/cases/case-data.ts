// Builds the float32 inputs and initial parameters of each case from its seeds (train-cases.json "rng" and "init").
// The file names no distribution for the data tensors. Its float64 expect values pin them down (see the tests):
// matmul's A and B are the raw lcg32 stream u in [-0.5, 0.5); the models' x and target are uniformSym(seed, 1).
import type { LstmInferCase, LstmTrainCase, MatmulCase, QmatvecCase, TransformerTrainCase, BenchCase } from './train-cases.js';
import type { ElementwiseCase, LayerGradCase, OrnnLayerCase, PackedInferCase, QatRunCase, QatStepCase, ReduceCase } from './suite-cases.js';
import {
  elementwiseData, ornnLayerData, packedInferData, qatModelData, reduceData, transformerLayerData,
  type ElementwiseData, type OrnnLayerData, type PackedInferData, type QatModelData, type ReduceData, type SuiteData, type TransformerLayerData,
} from './suite-data.js';
import { blockQuantize, dequantize, type BlockQuantized } from '../quant/block-quantize.js';
import { glorot, labels, lcg32Uniforms, uniformSym } from './rng.js';

/** Scale of the models' data tensors x and target: uniform in [-1, 1). */
const DATA_SCALE = 1;

/** Inputs of a matmul case: row-major A[n,n] and B[n,n]. */
export interface MatmulData {
  readonly kind: 'matmul';
  readonly n: number;
  readonly a: Float32Array;
  readonly b: Float32Array;
}

/** Inputs and initial parameters of an LSTM case (labels only for training). */
export interface LstmData {
  readonly kind: 'lstm_train' | 'lstm_infer';
  readonly B: number;
  readonly T: number;
  readonly I: number;
  readonly H: number;
  readonly C: number;
  /** x[B,T,I] */
  readonly x: Float32Array;
  /** labels[B,T] (training only; empty for inference) */
  readonly labels: Int32Array;
  /** Wx[I,4H], gate blocks in the order i, f, g, o */
  readonly wx: Float32Array;
  /** Wh[H,4H] */
  readonly wh: Float32Array;
  /** b[4H] (zero) */
  readonly b: Float32Array;
  /** Wd[H,C] */
  readonly wd: Float32Array;
  /** bd[C] (zero) */
  readonly bd: Float32Array;
}

/** Inputs and initial parameters of the transformer block case. */
export interface TransformerData {
  readonly kind: 'transformer_train';
  readonly B: number;
  readonly S: number;
  readonly D: number;
  readonly F: number;
  readonly heads: number;
  /** x[B,S,D] */
  readonly x: Float32Array;
  /** target[B,S,D] */
  readonly target: Float32Array;
  readonly wq: Float32Array;
  readonly wk: Float32Array;
  readonly wv: Float32Array;
  readonly wo: Float32Array;
  readonly bq: Float32Array;
  readonly bk: Float32Array;
  readonly bv: Float32Array;
  readonly bo: Float32Array;
  /** W1[D,F] */
  readonly w1: Float32Array;
  readonly b1: Float32Array;
  /** W2[F,D] */
  readonly w2: Float32Array;
  readonly b2: Float32Array;
  readonly ln1Gamma: Float32Array;
  readonly ln1Beta: Float32Array;
  readonly ln2Gamma: Float32Array;
  readonly ln2Beta: Float32Array;
}

/** Inputs of a quantized matrix-vector case. */
export interface QmatvecData {
  readonly kind: 'qmatvec';
  readonly K: number;
  readonly N: number;
  readonly bits: 4 | 8 | 32;
  /** x[1, K] */
  readonly x: Float32Array;
  /** The float32 weights before quantization, W[K, N]. */
  readonly w: Float32Array;
  /** Quantized weights (undefined for bits 32). */
  readonly quantized: BlockQuantized | undefined;
  /** The weights the expected output uses: dequant(W), or W itself for bits 32; [K, N]. */
  readonly wDequant: Float32Array;
}

/** The data of any case. */
export type CaseData = MatmulData | LstmData | TransformerData | QmatvecData | SuiteData;

/** Builds A and B of a matmul case. */
export function matmulData(c: MatmulCase): MatmulData {
  const count = c.n * c.n;
  return { kind: 'matmul', n: c.n, a: lcg32Uniforms(c.seeds.A, count), b: lcg32Uniforms(c.seeds.B, count) };
}

/** Builds x, labels and the glorot / zero parameters of an LSTM case. */
export function lstmData(c: LstmTrainCase | LstmInferCase): LstmData {
  const { B, T, I, H, C } = c;
  return {
    kind: c.kind,
    B,
    T,
    I,
    H,
    C,
    x: uniformSym(c.seeds.x, B * T * I, DATA_SCALE),
    labels: c.kind === 'lstm_train' ? labels(c.seeds.labels, B * T, C) : new Int32Array(0),
    wx: glorot(c.seeds.Wx, I, 4 * H),
    wh: glorot(c.seeds.Wh, H, 4 * H),
    b: new Float32Array(4 * H),
    wd: glorot(c.seeds.Wd, H, C),
    bd: new Float32Array(C),
  };
}

/** Builds x, target and the glorot / zero / LayerNorm parameters of the transformer case. */
export function transformerData(c: TransformerTrainCase): TransformerData {
  const { B, S, D, F, heads } = c;
  const ones = (): Float32Array => new Float32Array(D).fill(1);
  return {
    kind: 'transformer_train',
    B,
    S,
    D,
    F,
    heads,
    x: uniformSym(c.seeds.x, B * S * D, DATA_SCALE),
    target: uniformSym(c.seeds.target, B * S * D, DATA_SCALE),
    wq: glorot(c.seeds.Wq, D, D),
    wk: glorot(c.seeds.Wk, D, D),
    wv: glorot(c.seeds.Wv, D, D),
    wo: glorot(c.seeds.Wo, D, D),
    bq: new Float32Array(D),
    bk: new Float32Array(D),
    bv: new Float32Array(D),
    bo: new Float32Array(D),
    w1: glorot(c.seeds.W1, D, F),
    b1: new Float32Array(F),
    w2: glorot(c.seeds.W2, F, D),
    b2: new Float32Array(D),
    ln1Gamma: ones(),
    ln1Beta: new Float32Array(D),
    ln2Gamma: ones(),
    ln2Beta: new Float32Array(D),
  };
}

/** Builds x, W and its quantized form for a qmatvec case (cases/quant-cases.json). */
export function qmatvecData(c: QmatvecCase): QmatvecData {
  const x = uniformSym(c.seeds.x, c.K, DATA_SCALE);
  const w = glorot(c.seeds.W, c.K, c.N);
  const quantized = c.bits === 32 ? undefined : blockQuantize(w, c.K, c.N, c.bits, c.blockSize);
  return { kind: 'qmatvec', K: c.K, N: c.N, bits: c.bits, x, w, quantized, wDequant: quantized ? dequantize(quantized) : w };
}

/** The data of a case, whatever its kind. */
export type DataOfCase<C extends BenchCase> = C extends MatmulCase
  ? MatmulData
  : C extends TransformerTrainCase
    ? TransformerData
    : C extends QmatvecCase
      ? QmatvecData
      : C extends ElementwiseCase
        ? ElementwiseData
        : C extends ReduceCase
          ? ReduceData
          : C extends OrnnLayerCase
            ? OrnnLayerData
            : C extends LayerGradCase
              ? OrnnLayerData | TransformerLayerData
              : C extends QatStepCase | QatRunCase
                ? QatModelData
                : C extends PackedInferCase
                  ? PackedInferData
                  : LstmData;

/**
 * Builds the data of any case.
 *
 * @example
 * const data = caseData(file.cases[0]);
 */
export function caseData<C extends BenchCase>(c: C): DataOfCase<C>;
export function caseData(c: BenchCase): CaseData {
  switch (c.kind) {
    case 'matmul':
      return matmulData(c);
    case 'lstm_train':
    case 'lstm_infer':
      return lstmData(c);
    case 'transformer_train':
      return transformerData(c);
    case 'qmatvec':
      return qmatvecData(c);
    case 'elementwise':
      return elementwiseData(c);
    case 'reduce':
      return reduceData(c);
    case 'layer_grad':
      return c.layer === 'ornn' ? ornnLayerData(c) : transformerLayerData(c);
    case 'qat_step':
    case 'qat_run':
      return qatModelData(c);
    case 'packed_infer':
      return packedInferData(c);
  }
}
