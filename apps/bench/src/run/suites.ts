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
  quick: 'default: the smallest case of each kind plus matmul_512, light timing (< ~2.5 min on 2 cores)',
  ops: 'matmul cases (GFLOP/s against the FMA peak)',
  layers: 'LSTM inference cases (batch 1; weight GB/s against the read bandwidth)',
  train: 'LSTM and transformer training steps (forward + backward + SGD)',
  quant: 'batch-1 y = x @ W with float32, int8 and int4 (block-32) weights streamed from DRAM (cases/quant-cases.json)',
  all: 'every case of train-cases.json and quant-cases.json',
};

const SUITE_KINDS: Record<Exclude<SuiteName, 'quick'>, readonly CaseKind[]> = {
  ops: ['matmul'],
  layers: ['lstm_infer'],
  train: ['lstm_train', 'transformer_train'],
  quant: ['qmatvec'],
  all: ['matmul', 'qmatvec', 'lstm_infer', 'lstm_train', 'transformer_train'],
};

/** Cases of the quick suite. */
export const QUICK_CASE_IDS: readonly string[] = ['matmul_256', 'matmul_512', 'lstm_infer_h512', 'lstm_train_h128', 'transformer_train_d128'];

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
    .filter((c) => size === 'all' || c.kind === 'qmatvec' || sizeOf(c, all) === size) // the quant cases share one size
    .sort((a, b) => CASE_KINDS.indexOf(a.kind) - CASE_KINDS.indexOf(b.kind));
}
