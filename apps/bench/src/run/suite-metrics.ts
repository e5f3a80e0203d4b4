// Metrics of the suite-cases.json rows that compare rows of one target across cases: a quantizer's training-step
// overhead against the float step, a packed model's speed-up against the float model, a QAT run's final loss
// against the float run.
import type { BenchCase } from '../cases/train-cases.js';
import type { RowResult } from '../report/bench-result.js';

/** Bytes an elementwise or reduction step moves (inputs read once, output written once); undefined otherwise. */
export function memoryBytes(c: BenchCase): number | undefined {
  if (c.kind === 'elementwise') return 4 * (2 * c.rows * c.cols + (c.op === 'add' || c.op === 'mul' ? c.cols : 0));
  if (c.kind === 'reduce') return 4 * (c.rows * c.cols + (c.axis === 1 ? c.rows : c.cols));
  return undefined;
}

/** The id of the float case a suite case is compared with, or undefined. */
function floatCaseOf(c: BenchCase, all: readonly BenchCase[]): BenchCase | undefined {
  if (c.kind !== 'qat_step' && c.kind !== 'qat_run' && c.kind !== 'packed_infer') return undefined;
  if (c.quantizer === null) return undefined;
  return all.find((o) => o.kind === c.kind && o.quantizer === null);
}

/**
 * Fills overheadPct (qat_step), speedupVsFloat (packed_infer) and qatRun.floatFinalLoss (qat_run) once every row has
 * run; a row without its float row in the run (not selected, or failed) gets none.
 */
export function deriveSuiteMetrics(cases: readonly BenchCase[], rows: RowResult[]): void {
  for (const r of rows) {
    const c = cases.find((k) => k.id === r.caseId);
    const f = c && floatCaseOf(c, cases);
    if (!c || !f || r.status !== 'ok' || !r.timing) continue;
    const base = rows.find((o) => o.caseId === f.id && o.targetId === r.targetId && o.status === 'ok');
    if (!base?.timing) continue;
    if (c.kind === 'qat_step') r.overheadPct = 100 * (r.timing.medianMs / base.timing.medianMs - 1);
    if (c.kind === 'packed_infer') r.speedupVsFloat = base.timing.medianMs / r.timing.medianMs;
    if (c.kind === 'qat_run' && r.qatRun && base.qatRun) r.qatRun.floatFinalLoss = base.qatRun.finalLoss;
  }
}
