// Correctness checks done before a row is timed (train-cases.json "checks"): the first output against the case's
// float64 expect value, and against another target's output on the same inputs. A fast wrong kernel is a bug.
import type { BenchCase } from '../cases/train-cases.js';
import type { StepOutput } from '../targets/bench-target.js';

/** Tolerances of the checks. */
export const CHECK_TOLERANCE = {
  /** |loss0 or outSum − expect| / |expect| (the case file: ~1e-4 for a correct float32 implementation). */
  expectRel: 1e-4,
  /** max |a − b| / max |b| between two targets' full outputs (matmul, inference). */
  crossTensorRel: 1e-4,
  /** |loss0_a − loss0_b| / |loss0_b| between two targets. */
  crossLoss0Rel: 1e-4,
  /** |loss1_a − loss1_b| / |loss1_b| between two targets (after one SGD step: checks the gradients). */
  crossLoss1Rel: 1e-3,
} as const;

/** Outcome of one check. */
export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  /** Measured relative error. */
  readonly relError: number;
  readonly tolerance: number;
  readonly detail: string;
}

/** The scalar the case file's expect block refers to: loss0 for training, outSum otherwise. */
export function scalarOf(out: StepOutput): number {
  if (out.kind === 'loss') return out.loss;
  let s = 0;
  for (let i = 0; i < out.data.length; i++) s += out.data[i] as number;
  return s;
}

/** Compares a first output with the case's float64 expect value. */
export function checkExpect(c: BenchCase, out: StepOutput): CheckResult {
  if (!('expect' in c)) {
    return { name: 'expect', ok: false, relError: Infinity, tolerance: 0, detail: `${c.id} (${c.kind}) has no expect value: its float64 reference comes with its data (firstStepChecks)` };
  }
  const training = c.kind === 'lstm_train' || c.kind === 'transformer_train';
  const want = training ? (c.expect as { loss0: number }).loss0 : (c.expect as { outSum: number }).outSum;
  const name = training ? 'loss0 vs expect' : 'outSum vs expect';
  if (training !== (out.kind === 'loss')) {
    return { name, ok: false, relError: Infinity, tolerance: CHECK_TOLERANCE.expectRel, detail: `step returned a ${out.kind}, expected a ${training ? 'loss' : 'tensor'}` };
  }
  const got = scalarOf(out);
  const relError = Math.abs(got - want) / Math.abs(want);
  const ok = Number.isFinite(got) && relError <= CHECK_TOLERANCE.expectRel;
  return { name, ok, relError, tolerance: CHECK_TOLERANCE.expectRel, detail: `${training ? 'loss0' : 'outSum'} = ${got}, expect ${want}` };
}

/** Compares two targets' first outputs on the same inputs (`ref` is the other target's). */
export function checkAgainst(out: StepOutput, ref: StepOutput, refId: string): CheckResult {
  if (out.kind === 'loss' && ref.kind === 'loss') {
    const relError = Math.abs(out.loss - ref.loss) / Math.abs(ref.loss);
    return {
      name: `loss0 vs ${refId}`,
      ok: relError <= CHECK_TOLERANCE.crossLoss0Rel,
      relError,
      tolerance: CHECK_TOLERANCE.crossLoss0Rel,
      detail: `loss0 = ${out.loss}, ${refId}: ${ref.loss}`,
    };
  }
  if (out.kind === 'tensor' && ref.kind === 'tensor') {
    if (out.data.length !== ref.data.length) {
      return { name: `output vs ${refId}`, ok: false, relError: Infinity, tolerance: CHECK_TOLERANCE.crossTensorRel, detail: `length ${out.data.length} vs ${ref.data.length}` };
    }
    let maxDiff = 0;
    let maxRef = 0;
    let worst = 0;
    for (let i = 0; i < out.data.length; i++) {
      const diff = Math.abs((out.data[i] as number) - (ref.data[i] as number));
      if (!(diff <= maxDiff)) {
        maxDiff = Number.isNaN(diff) ? Infinity : diff;
        worst = i;
      }
      maxRef = Math.max(maxRef, Math.abs(ref.data[i] as number));
    }
    const relError = maxDiff / (maxRef || 1);
    return {
      name: `output vs ${refId}`,
      ok: relError <= CHECK_TOLERANCE.crossTensorRel,
      relError,
      tolerance: CHECK_TOLERANCE.crossTensorRel,
      detail: `max |diff| ${maxDiff.toExponential(2)} at ${worst} (max |${refId}| ${maxRef.toExponential(2)})`,
    };
  }
  return { name: `output vs ${refId}`, ok: false, relError: Infinity, tolerance: 0, detail: `kinds differ: ${out.kind} vs ${ref.kind}` };
}

/** Compares two targets' loss after one SGD update. */
export function checkLoss1(loss1: number, ref: number, refId: string): CheckResult {
  const relError = Math.abs(loss1 - ref) / Math.abs(ref);
  return {
    name: `loss1 vs ${refId}`,
    ok: Number.isFinite(loss1) && relError <= CHECK_TOLERANCE.crossLoss1Rel,
    relError,
    tolerance: CHECK_TOLERANCE.crossLoss1Rel,
    detail: `loss1 = ${loss1}, ${refId}: ${ref}`,
  };
}
