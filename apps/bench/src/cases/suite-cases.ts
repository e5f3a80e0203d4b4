// Types and loader of cases/suite-cases.json (schema "nibble-bench/suites-v1"): elementwise and reduction ops, layer
// forward + backward, quantizer training-step overhead, packed inference and short QAT runs. The float64 reference of
// each case is computed when its data is built (suite-data.ts), not stored in the file.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BenchCaseFileError } from '../errors.js';

/** Absolute path of cases/suite-cases.json. */
export const SUITE_CASES_PATH = fileURLToPath(new URL('../../cases/suite-cases.json', import.meta.url));

const SCHEMA = 'nibble-bench/suites-v1';

/** out = x[rows, cols] op y[cols] (add, mul; y broadcast over rows) or op(x) (tanh, exp). */
export interface ElementwiseCase {
  readonly id: string;
  readonly kind: 'elementwise';
  readonly op: 'add' | 'mul' | 'tanh' | 'exp';
  readonly rows: number;
  readonly cols: number;
  readonly seeds: { readonly x: number; readonly y: number };
}

/** out = sum or max of x[rows, cols] over `axis`. */
export interface ReduceCase {
  readonly id: string;
  readonly kind: 'reduce';
  readonly op: 'sum' | 'max';
  readonly axis: 0 | 1;
  readonly rows: number;
  readonly cols: number;
  readonly seeds: { readonly x: number };
}

/** Forward + backward (no update) of an OrthogonalRNN with Björck over x[T, B, I], MSE against a target. */
export interface OrnnLayerCase {
  readonly id: string;
  readonly kind: 'layer_grad';
  readonly layer: 'ornn';
  readonly I: number;
  readonly H: number;
  readonly B: number;
  readonly T: number;
  readonly seeds: { readonly x: number; readonly target: number; readonly U: number; readonly V: number; readonly direction: number };
}

/** Forward + backward (no update) of @nibble/layers' TransformerEncoderLayer with train-cases.json's block weights. */
export interface TransformerLayerCase {
  readonly id: string;
  readonly kind: 'layer_grad';
  readonly layer: 'transformer';
  readonly D: number;
  readonly heads: number;
  readonly F: number;
  readonly S: number;
  readonly B: number;
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
}

/** A layer forward + backward case. */
export type LayerGradCase = OrnnLayerCase | TransformerLayerCase;

/** A quantizer of @nibble/quantizers' default registry and its raw config; null = the float model. */
export type QuantizerSpec = { readonly id: string; readonly config: unknown } | null;

/** The LSTM copy-task model shared by the QAT cases. */
interface QatModelShape {
  readonly quantizer: QuantizerSpec;
  readonly H: number;
  readonly B: number;
  readonly gap: number;
  readonly lr: number;
  readonly seeds: { readonly data: number; readonly Wx: number; readonly Wh: number; readonly Wd: number };
}

/** One training step (forward + backward + SGD) of the LSTM copy-task model with a quantizer on every weight. */
export interface QatStepCase extends QatModelShape {
  readonly id: string;
  readonly kind: 'qat_step';
}

/** `steps` training steps from the initial weights on fresh copy-task batches; one bench step = the whole run. */
export interface QatRunCase extends QatModelShape {
  readonly id: string;
  readonly kind: 'qat_run';
  readonly steps: number;
}

/** Inference of Linear(K, hidden) → ReLU → Linear(hidden, N) with float, int8, int4 or PQ weights (loadQuantized). */
export interface PackedInferCase {
  readonly id: string;
  readonly kind: 'packed_infer';
  readonly format: 'f32' | 'int8' | 'int4' | 'pq';
  /** The quantizer on both weights ('*.weight'); null for f32. */
  readonly quantizer: QuantizerSpec;
  readonly K: number;
  readonly hidden: number;
  readonly N: number;
  readonly batch: number;
  readonly seeds: { readonly x: number; readonly W1: number; readonly W2: number };
}

/** Any case of suite-cases.json. */
export type SuiteCase = ElementwiseCase | ReduceCase | LayerGradCase | QatStepCase | QatRunCase | PackedInferCase;

/** The case kinds of suite-cases.json. */
export const SUITE_CASE_KINDS = ['elementwise', 'reduce', 'layer_grad', 'qat_step', 'qat_run', 'packed_infer'] as const;

const NUMERIC: Record<SuiteCase['kind'], readonly string[]> = {
  elementwise: ['rows', 'cols'],
  reduce: ['rows', 'cols', 'axis'],
  layer_grad: ['B'],
  qat_step: ['H', 'B', 'gap', 'lr'],
  qat_run: ['H', 'B', 'gap', 'lr', 'steps'],
  packed_infer: ['K', 'hidden', 'N', 'batch'],
};

function checkCase(raw: unknown, index: number): SuiteCase {
  const where = `cases[${index}]`;
  if (typeof raw !== 'object' || raw === null) throw new BenchCaseFileError(`loadSuiteCases: ${where} is not an object`);
  const obj = raw as Record<string, unknown>;
  const kind = obj['kind'];
  if (typeof kind !== 'string' || !(kind in NUMERIC)) {
    throw new BenchCaseFileError(`loadSuiteCases: ${where}.kind is ${JSON.stringify(kind)}, expected one of ${SUITE_CASE_KINDS.join(', ')}`);
  }
  if (typeof obj['id'] !== 'string') throw new BenchCaseFileError(`loadSuiteCases: ${where}.id is not a string`);
  for (const key of NUMERIC[kind as SuiteCase['kind']]) {
    const v = obj[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new BenchCaseFileError(`loadSuiteCases: ${where}.${key} is ${JSON.stringify(v)}, expected a finite non-negative number`);
    }
  }
  if (typeof obj['seeds'] !== 'object' || obj['seeds'] === null) throw new BenchCaseFileError(`loadSuiteCases: ${where} needs a "seeds" object`);
  return raw as SuiteCase;
}

/**
 * Reads and validates suite-cases.json (cheap: no data or reference is built here).
 *
 * @example
 * const ops = loadSuiteCases().filter((c) => c.kind === 'elementwise');
 */
export function loadSuiteCases(path: string = SUITE_CASES_PATH): SuiteCase[] {
  const raw = JSON.parse(readFileSync(path, 'utf8')) as { schema?: unknown; cases?: unknown };
  if (raw.schema !== SCHEMA) throw new BenchCaseFileError(`loadSuiteCases: schema is ${JSON.stringify(raw.schema)}, expected "${SCHEMA}"`);
  if (!Array.isArray(raw.cases)) throw new BenchCaseFileError('loadSuiteCases: "cases" is not an array');
  return raw.cases.map(checkCase);
}
