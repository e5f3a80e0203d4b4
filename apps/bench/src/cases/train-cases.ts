// Types and loader for cases/train-cases.json (schema "nibble-peer-bench/train-v1"), the case file shared with the
// TensorFlow.js peer measurements. The file is the source of truth; this module only types and validates it.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BenchCaseFileError } from '../errors.js';
import type { SuiteCase } from './suite-cases.js';

/** Timing policy of the case file (see its "timing.policy" text). */
export interface TimingPolicy {
  readonly warmup: number;
  readonly reps: number;
  readonly minReps: number;
  readonly caseBudgetS: number;
  readonly slowStepS: number;
  readonly maxStepS: number;
}

interface CaseBase {
  readonly id: string;
}

/** C = A @ B for square n × n matrices. */
export interface MatmulCase extends CaseBase {
  readonly kind: 'matmul';
  readonly n: number;
  readonly seeds: { readonly A: number; readonly B: number };
  readonly expect: { readonly outSum: number };
}

/** Shapes shared by the LSTM cases: x[B,T,I], Wx[I,4H], Wh[H,4H], Wd[H,C]. */
interface LstmShape {
  readonly H: number;
  readonly I: number;
  readonly B: number;
  readonly T: number;
  readonly C: number;
}

/** One forward + backward + SGD step of LSTM + dense head + softmax cross-entropy. */
export interface LstmTrainCase extends CaseBase, LstmShape {
  readonly kind: 'lstm_train';
  readonly lr: number;
  readonly seeds: { readonly x: number; readonly labels: number; readonly Wx: number; readonly Wh: number; readonly Wd: number };
  readonly expect: { readonly loss0: number };
}

/** One forward pass of LSTM + dense head, all logits read back. */
export interface LstmInferCase extends CaseBase, LstmShape {
  readonly kind: 'lstm_infer';
  readonly seeds: { readonly x: number; readonly Wx: number; readonly Wh: number; readonly Wd: number };
  readonly expect: { readonly outSum: number };
}

/** One forward + backward + SGD step of a pre-LN transformer encoder block with an MSE loss. */
export interface TransformerTrainCase extends CaseBase {
  readonly kind: 'transformer_train';
  readonly D: number;
  readonly heads: number;
  readonly F: number;
  readonly S: number;
  readonly B: number;
  readonly lr: number;
  readonly seeds: {
    readonly x: number;
    readonly target: number;
    readonly Wq: number;
    readonly Wk: number;
    readonly Wv: number;
    readonly Wo: number;
    readonly W1: number;
    readonly W2: number;
  };
  readonly expect: { readonly loss0: number };
}

/**
 * Batch-1 quantized matrix-vector product y = x @ dequant(W) (cases/quant-cases.json). expect.outSum is computed in
 * float64 by the loader (quant-cases.ts), not stored in the file.
 */
export interface QmatvecCase extends CaseBase {
  readonly kind: 'qmatvec';
  readonly K: number;
  readonly N: number;
  /** 4 or 8: quantized weights; 32: plain float32 weights. */
  readonly bits: 4 | 8 | 32;
  readonly blockSize: number;
  readonly seeds: { readonly x: number; readonly W: number };
  readonly expect: { readonly outSum: number };
}

/** A case of train-cases.json or quant-cases.json (they carry a float64 `expect` value). */
export type TrainFileCase = MatmulCase | LstmTrainCase | LstmInferCase | TransformerTrainCase | QmatvecCase;
/** Any case the bench runs (train-cases.json, quant-cases.json and suite-cases.json). */
export type BenchCase = TrainFileCase | SuiteCase;
/** The case kinds, i.e. the step functions a target may implement. */
export type CaseKind = BenchCase['kind'];
/** The case of one kind. */
export type CaseOfKind<K extends CaseKind> = Extract<BenchCase, { kind: K }>;

/** All case kinds, in the order the bench runs them. */
export const CASE_KINDS: readonly CaseKind[] = [
  'matmul', 'elementwise', 'reduce', 'qmatvec', 'packed_infer', 'qat_step', 'lstm_infer', 'layer_grad', 'lstm_train', 'transformer_train', 'qat_run',
];

/** The parsed case file. */
export interface CaseFile {
  readonly schema: string;
  readonly timing: TimingPolicy;
  readonly cases: readonly TrainFileCase[];
}

/** Absolute path of the copy of train-cases.json that ships with the bench app. */
export const TRAIN_CASES_PATH = fileURLToPath(new URL('../../cases/train-cases.json', import.meta.url));

const SCHEMA = 'nibble-peer-bench/train-v1';

function requireNumber(obj: Record<string, unknown>, key: string, where: string): number {
  const v = obj[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new BenchCaseFileError(`loadCaseFile: ${where}.${key} is ${JSON.stringify(v)}, expected a finite number`);
  }
  return v;
}

function checkCase(raw: unknown, index: number): TrainFileCase {
  const where = `cases[${index}]`;
  if (typeof raw !== 'object' || raw === null) throw new BenchCaseFileError(`loadCaseFile: ${where} is not an object`);
  const obj = raw as Record<string, unknown>;
  const kind = obj['kind'];
  const numeric: Partial<Record<CaseKind, readonly string[]>> = {
    matmul: ['n'],
    lstm_train: ['H', 'I', 'B', 'T', 'C', 'lr'],
    lstm_infer: ['H', 'I', 'B', 'T', 'C'],
    transformer_train: ['D', 'heads', 'F', 'S', 'B', 'lr'],
    qmatvec: ['K', 'N', 'bits', 'blockSize'],
  };
  if (typeof kind !== 'string' || !(kind in numeric)) {
    throw new BenchCaseFileError(
      `loadCaseFile: ${where}.kind is ${JSON.stringify(kind)}, expected one of ${Object.keys(numeric).join(', ')}`,
    );
  }
  if (typeof obj['id'] !== 'string') throw new BenchCaseFileError(`loadCaseFile: ${where}.id is not a string`);
  for (const key of numeric[kind as CaseKind] ?? []) requireNumber(obj, key, where);
  const seeds = obj['seeds'];
  const expect = obj['expect'];
  if (typeof seeds !== 'object' || seeds === null || typeof expect !== 'object' || expect === null) {
    throw new BenchCaseFileError(`loadCaseFile: ${where} needs "seeds" and "expect" objects`);
  }
  const expectKey = kind === 'lstm_train' || kind === 'transformer_train' ? 'loss0' : 'outSum';
  requireNumber(expect as Record<string, unknown>, expectKey, `${where}.expect`);
  return raw as TrainFileCase;
}

/**
 * Reads and validates a case file.
 *
 * @example
 * const file = loadCaseFile();
 * const mm = file.cases.find((c) => c.id === 'matmul_256');
 */
export function loadCaseFile(path: string = TRAIN_CASES_PATH): CaseFile {
  const raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  if (raw['schema'] !== SCHEMA) {
    throw new BenchCaseFileError(`loadCaseFile: schema is ${JSON.stringify(raw['schema'])}, expected "${SCHEMA}"`);
  }
  const timingRaw = raw['timing'] as Record<string, unknown> | undefined;
  if (typeof timingRaw !== 'object' || timingRaw === null) throw new BenchCaseFileError('loadCaseFile: no "timing" object');
  const timing: TimingPolicy = {
    warmup: requireNumber(timingRaw, 'warmup', 'timing'),
    reps: requireNumber(timingRaw, 'reps', 'timing'),
    minReps: requireNumber(timingRaw, 'minReps', 'timing'),
    caseBudgetS: requireNumber(timingRaw, 'caseBudgetS', 'timing'),
    slowStepS: requireNumber(timingRaw, 'slowStepS', 'timing'),
    maxStepS: requireNumber(timingRaw, 'maxStepS', 'timing'),
  };
  const cases = raw['cases'];
  if (!Array.isArray(cases)) throw new BenchCaseFileError('loadCaseFile: "cases" is not an array');
  return { schema: SCHEMA, timing, cases: cases.map(checkCase) };
}

/**
 * Floating-point operations of one step of a case (forward only for inference, ~3× forward for training); undefined
 * for the kinds where a FLOP rate means little (elementwise and reductions are memory-bound; QAT steps are dominated
 * by the quantizers).
 */
export function caseFlops(c: BenchCase): number | undefined {
  switch (c.kind) {
    case 'elementwise':
    case 'reduce':
    case 'qat_step':
    case 'qat_run':
    case 'layer_grad':
      return undefined;
    case 'packed_infer':
      return 2 * c.batch * (c.K * c.hidden + c.hidden * c.N);
    case 'matmul':
      return 2 * c.n ** 3;
    case 'qmatvec':
      return 2 * c.K * c.N;
    case 'lstm_infer':
    case 'lstm_train': {
      const fwd = 2 * c.B * c.T * ((c.I + c.H) * 4 * c.H + c.H * c.C);
      return c.kind === 'lstm_infer' ? fwd : 3 * fwd;
    }
    case 'transformer_train': {
      const tokens = c.B * c.S;
      const dense = 2 * tokens * (4 * c.D * c.D + 2 * c.D * c.F);
      const attention = 2 * 2 * c.B * c.S * c.S * c.D;
      return 3 * (dense + attention);
    }
  }
}

/** Bytes of weights one qmatvec step reads: codes (bits / 8 per weight) plus float32 block scales. */
export function qmatvecWeightBytes(c: QmatvecCase): number {
  const codes = (c.K * c.N * c.bits) / 8;
  return c.bits === 32 ? codes : codes + (c.N * c.K * 4) / c.blockSize;
}
