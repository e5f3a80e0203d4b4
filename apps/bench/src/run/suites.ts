// Which cases each suite runs, size classes, and the quick default suite's lighter timing policy.
import { CASE_KINDS, type BenchCase, type CaseKind, type TimingPolicy } from '../cases/train-cases.js';

/** Suite names accepted by --suite. */
export const SUITES = ['quick', 'ops', 'layers', 'train', 'quant', 'all'] as const;
export type SuiteName = (typeof SUITES)[number];

/** Size classes accepted by --size. */
export const SIZES = ['small', 'medium', 'large', 'all'] as const;
export type SizeName = (typeof SIZES)[number];

/** What each suite is for (shown by --help). */
export const SUITE_DESCRIPTIONS: Record<SuiteName, string> = {
  quick: 'default: the smallest case of each kind plus matmul_512, one elementwise, one reduction and the OrthogonalRNN layer; light timing (< ~3 min on 2 cores)',
  ops: 'matmul (GFLOP/s against the FMA peak), elementwise add/mul (broadcast), tanh, exp and sum/max reductions on 1M elements (GB/s)',
  layers: 'LSTM inference (batch 1; weight GB/s), forward + backward of a TransformerEncoderLayer and an OrthogonalRNN (Björck) from @nibble/layers',
  train: 'LSTM and transformer training steps (forward + backward + SGD), and a 100-step QAT run per quantizer on the copy task (steps/s, final loss)',
  quant: 'batch-1 y = x @ W with float32 / int8 / int4 weights from DRAM, the training-step overhead of each quantizer (ste, lsq, quant-noise, quant-noisier, rand, pq), packed int8 / int4 / PQ inference against float',
  all: 'every case of train-cases.json, quant-cases.json and suite-cases.json',
};

const SUITE_KINDS: Record<Exclude<SuiteName, 'quick'>, readonly CaseKind[]> = {
  ops: ['matmul', 'elementwise', 'reduce'],
  layers: ['lstm_infer', 'layer_grad'],
  train: ['lstm_train', 'transformer_train', 'qat_run'],
  quant: ['qmatvec', 'packed_infer', 'qat_step'],
  all: CASE_KINDS,
};

/** Cases of the quick suite. */
export const QUICK_CASE_IDS: readonly string[] = [
  'matmul_256', 'matmul_512', 'ew_add_bcast_1m', 'reduce_sum_axis1_1m', 'lstm_infer_h512', 'layer_ornn_h64', 'lstm_train_h128', 'transformer_train_d128',
];

/** Kinds whose cases form one set (a float baseline and its variants, or one size of several ops): --size keeps them all. */
const SIZE_FREE_KINDS: readonly CaseKind[] = ['qmatvec', 'elementwise', 'reduce', 'layer_grad', 'qat_step', 'qat_run', 'packed_infer'];

/** The quick suite keeps the case file's policy but caps reps and the time budget per row. */
export function quickPolicy(p: TimingPolicy): TimingPolicy {
  return { ...p, reps: Math.min(p.reps, 5), caseBudgetS: Math.min(p.caseBudgetS, 3) };
}

/** The size class of a case: smallest of its kind = small, largest = large, others medium. */
export function sizeOf(c: BenchCase, all: readonly BenchCase[]): Exclude<SizeName, 'all'> {
  const sameKind = all.filter((o) => o.kind === c.kind);
  if (sameKind.indexOf(c) === 0) return 'small';
  if (sameKind.indexOf(c) === sameKind.length - 1) return 'large';
  return 'medium';
}

/** The cases a suite and size select: matmul first, then inference, then training; file order within a kind. */
export function selectCases(all: readonly BenchCase[], suite: SuiteName, size: SizeName): BenchCase[] {
  const inSuite =
    suite === 'quick' ? all.filter((c) => QUICK_CASE_IDS.includes(c.id)) : all.filter((c) => SUITE_KINDS[suite].includes(c.kind));
  return inSuite
    .filter((c) => size === 'all' || SIZE_FREE_KINDS.includes(c.kind) || sizeOf(c, all) === size)
    .sort((a, b) => CASE_KINDS.indexOf(a.kind) - CASE_KINDS.indexOf(b.kind));
}

/**
 * The timing policy of one case: a qat_run step is a whole training run, so it gets one warm-up run and at most 3
 * timed runs (an explicit --repeat still sets the number of timed runs).
 */
export function policyFor(c: BenchCase, p: TimingPolicy, repeat: number | null): TimingPolicy {
  if (c.kind !== 'qat_run') return p;
  return repeat !== null ? { ...p, warmup: 1 } : { ...p, warmup: 1, reps: Math.min(p.reps, 3), minReps: 1 };
}

/** The suite (other than quick and all) a case kind belongs to. */
export function suiteOfKind(kind: CaseKind): string {
  return (Object.entries(SUITE_KINDS) as [string, readonly CaseKind[]][]).find(([name, kinds]) => name !== 'all' && kinds.includes(kind))?.[0] ?? 'all';
}
