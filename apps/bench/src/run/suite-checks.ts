// Checks of a first step before timing, for every case kind: train-cases.json / quant-cases.json against their expect
// values (output-checks.ts), and suite-cases.json against the float64 references built with the case data.
import type { CaseData } from '../cases/case-data.js';
import { SUITE_CASE_KINDS, type SuiteCase } from '../cases/suite-cases.js';
import type { BenchCase } from '../cases/train-cases.js';
import type { StepOutput } from '../targets/bench-target.js';
import { CHECK_TOLERANCE, checkExpect, type CheckResult } from './output-checks.js';

/** Tolerances of the suite checks. */
export const SUITE_TOLERANCE = {
  /** Elementwise and reductions: max |out − float64| / max |float64|. */
  opsRel: 1e-5,
  /** ⟨∇loss, d⟩ against the float64 central difference, relative. */
  gradDotRel: 1e-3,
} as const;

const isSuiteCase = (c: BenchCase): c is SuiteCase => (SUITE_CASE_KINDS as readonly string[]).includes(c.kind);

function relCheck(name: string, got: number | undefined, want: number, tolerance: number, what: string): CheckResult {
  if (got === undefined) return { name, ok: false, relError: Infinity, tolerance, detail: `the step reported no ${what}` };
  const relError = Math.abs(got - want) / Math.max(Math.abs(want), 1e-12);
  return { name, ok: Number.isFinite(got) && relError <= tolerance, relError, tolerance, detail: `${what} = ${got}, float64 ${want}` };
}

/** Full output against a float64 reference: max |out − ref| / max |ref|. */
export function checkAgainstFloat64(out: StepOutput, ref: Float64Array, tolerance: number): CheckResult {
  const name = 'output vs float64';
  if (out.kind !== 'tensor') return { name, ok: false, relError: Infinity, tolerance, detail: `step returned a ${out.kind}, expected a tensor` };
  if (out.data.length !== ref.length) return { name, ok: false, relError: Infinity, tolerance, detail: `length ${out.data.length}, expected ${ref.length}` };
  let maxDiff = 0;
  let maxRef = 0;
  let worst = 0;
  for (let i = 0; i < ref.length; i++) {
    const diff = Math.abs((out.data[i] as number) - (ref[i] as number));
    if (!(diff <= maxDiff)) {
      maxDiff = Number.isNaN(diff) ? Infinity : diff;
      worst = i;
    }
    maxRef = Math.max(maxRef, Math.abs(ref[i] as number));
  }
  const relError = maxDiff / (maxRef || 1);
  return { name, ok: relError <= tolerance, relError, tolerance, detail: `max |diff| ${maxDiff.toExponential(2)} at ${worst} (max |float64| ${maxRef.toExponential(3)})` };
}

function finiteLoss(name: string, loss: number): CheckResult {
  return { name, ok: Number.isFinite(loss), relError: Number.isFinite(loss) ? 0 : Infinity, tolerance: 0, detail: `loss = ${loss}` };
}

function suiteChecks(c: SuiteCase, d: CaseData, out: StepOutput): CheckResult[] {
  const loss = out.kind === 'loss' ? out : undefined;
  switch (c.kind) {
    case 'elementwise':
    case 'reduce':
      return d.kind === c.kind ? [checkAgainstFloat64(out, d.ref, SUITE_TOLERANCE.opsRel)] : [];
    case 'packed_infer':
      // Quantized formats are checked by the target (packed vs fake-quant eval output); f32 against float64.
      return c.quantizer === null && d.kind === 'packed_infer' ? [checkAgainstFloat64(out, d.floatRef, CHECK_TOLERANCE.crossTensorRel)] : [];
    case 'layer_grad': {
      if (d.kind !== 'layer_grad') return [];
      return [
        relCheck('loss0 vs float64', loss?.loss, d.ref.loss0, CHECK_TOLERANCE.expectRel, 'loss0'),
        relCheck('⟨∇loss, d⟩ vs float64 central difference', loss?.gradDot, d.ref.gradDot, SUITE_TOLERANCE.gradDotRel, '⟨∇loss, d⟩'),
      ];
    }
    case 'qat_step':
    case 'qat_run': {
      if (d.kind !== 'qat_step' && d.kind !== 'qat_run') return [];
      const first = c.kind === 'qat_run' ? loss?.run?.firstLoss : loss?.loss;
      const checks = [
        c.quantizer === null
          ? relCheck('loss0 vs float64', first, d.floatLoss0, CHECK_TOLERANCE.expectRel, 'loss0')
          : finiteLoss('training loss0 is finite', first ?? NaN),
      ];
      if (c.kind === 'qat_run' && loss) {
        const learned = Number.isFinite(loss.loss) && loss.loss < (first ?? NaN);
        checks.push({ name: 'final loss < first loss', ok: learned, relError: learned ? 0 : Infinity, tolerance: 0, detail: `first ${first}, final ${loss.loss} after ${loss.run?.steps} steps` });
      }
      return checks;
    }
  }
}

/**
 * The checks of a first step: the case file's expect value, or the float64 reference of a suite case.
 *
 * @example
 * const checks = firstStepChecks(c, caseData(c), await prepared.step());
 */
export function firstStepChecks(c: BenchCase, d: CaseData, out: StepOutput): CheckResult[] {
  return isSuiteCase(c) ? suiteChecks(c, d, out) : [checkExpect(c, out)];
}
