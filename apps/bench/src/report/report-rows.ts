// The rows and columns shown in the terminal table and the Markdown report (one definition for both).
import type { BenchResult, RowResult } from './bench-result.js';
import { fmtMs, fmtNum, fmtPct, fmtRatio } from './format.js';

/** Column headers of the result table. */
export const TABLE_HEADER = ['case', 'target', 'median ms', 'min', 'max', 'reps', 'GFLOP/s', '% FMA peak', 'weights GB/s', '% read BW', '÷ fastest peer', 'notes', 'status'] as const;

/**
 * The per-kind figure of a suite-cases.json row: memory GB/s (ops), step overhead against the float step (qat_step),
 * speed-up against the float model (packed_infer), steps/s and losses (qat_run).
 */
export function notesOf(r: RowResult): string {
  const parts: string[] = [];
  if (r.memGBs !== undefined) parts.push(`${fmtNum(r.memGBs)} GB/s mem`);
  if (r.overheadPct !== undefined) parts.push(`${r.overheadPct >= 0 ? '+' : ''}${r.overheadPct.toFixed(1)}% vs float step`);
  if (r.speedupVsFloat !== undefined) parts.push(`${fmtRatio(r.speedupVsFloat)} vs f32`);
  if (r.qatRun) {
    const q = r.qatRun;
    parts.push(`${q.steps} steps, ${fmtNum(q.stepsPerS)} steps/s, loss ${fmtNum(q.firstLoss, 4)} → ${fmtNum(q.finalLoss, 4)}`);
    if (q.floatFinalLoss !== undefined) parts.push(`(float ${fmtNum(q.floatFinalLoss, 4)})`);
  }
  return parts.join(' ') || '–';
}

function status(r: RowResult): string {
  if (r.status === 'ok') return 'ok';
  return `${r.status}: ${r.reason ?? ''}`;
}

/** The table body: one line per row that ran or was attempted (rows of kinds a target lacks are left out). */
export function tableRows(result: BenchResult): string[][] {
  return result.rows
    .filter((r) => !(r.status === 'skipped' && r.timing === undefined && r.checks.length === 0 && r.reason?.includes('does not implement')))
    .map((r) => [
      r.caseId,
      r.targetLabel,
      fmtMs(r.timing?.medianMs),
      fmtMs(r.timing?.minMs),
      fmtMs(r.timing?.maxMs),
      r.timing ? String(r.timing.samplesMs.length) : '–',
      fmtNum(r.gflops),
      fmtPct(r.pctOfPeak),
      fmtNum(r.weightGBs),
      fmtPct(r.pctOfStream),
      fmtRatio(r.vsFastestPeer),
      notesOf(r),
      status(r),
    ]);
}

/** Lines describing the machine limits and the run's noise. */
export function machineLines(result: BenchResult): string[] {
  const m = result.machine;
  const lines = [`${m.cpuModel}, ${m.logicalCpus} logical CPUs, ${m.totalMemGiB} GiB, Node ${m.node}`];
  if (m.limits) {
    const l = m.limits;
    lines.push(
      `FMA peak fp32 (${l.vectorBits}-bit): ${fmtNum(l.fmaGflops1)} GFLOP/s on 1 thread, ${fmtNum(l.fmaGflopsAll)} on ${l.threads}; ` +
        `read bandwidth: ${fmtNum(l.readGBs1)} GB/s on 1 thread, ${fmtNum(l.readGBsAll)} on ${l.threads} (${l.compiler})`,
    );
    if (l.threads > 1 && l.fmaGflopsAll < 0.8 * l.threads * l.fmaGflops1) {
      lines.push(`warning: the ${l.threads}-thread FMA peak is below 80% of ${l.threads} × the 1-thread peak: other load on the machine probably depressed it, so "% FMA peak" reads high`);
    }
  } else {
    lines.push(`machine limits not measured: ${m.limitsUnavailableReason ?? 'unknown reason'} (no % of peak)`);
  }
  if (m.otherCpuPercent !== null) lines.push(`other processes used ${m.otherCpuPercent}% of the machine's CPU during the run`);
  return lines;
}

/** What peers lack, by case kind (shown when a run has such cases). */
const PEERLESS_KINDS: Readonly<Record<string, string>> = {
  qat_step: 'no peer runs nibble\'s quantizer plugins (ste, lsq, quant-noise, quant-noisier, rand, pq)',
  qat_run: 'no peer runs nibble\'s quantizer plugins',
  packed_infer: 'no peer loads nibble\'s packed files (ort\'s int8 / int4 MatMulNBits rows are in the qmatvec cases)',
};

/** Lines listing targets that did not run and why, and the case kinds of the run no peer implements. */
export function skippedTargetLines(result: BenchResult): string[] {
  const lines = result.targets.filter((t) => !t.available).map((t) => `${t.id}: skipped: ${t.reason ?? 'unavailable'}`);
  const kinds = [...new Set(result.rows.map((r) => r.caseKind))];
  const peers = result.targets.filter((t) => t.kind === 'peer');
  for (const k of kinds) {
    if (peers.length > 0 && !peers.some((t) => t.caseKinds.includes(k))) lines.push(`${k}: no peer rows: ${PEERLESS_KINDS[k] ?? 'no peer implements this case kind'}`);
  }
  return lines;
}

/** Lines giving the nibble rows' speed-up against each peer (peer median / nibble median). */
export function speedupLines(result: BenchResult): string[] {
  return result.rows
    .filter((r) => r.targetKind === 'nibble' && r.speedupVsPeers && Object.keys(r.speedupVsPeers).length > 0)
    .map((r) => `${r.caseId} ${r.targetLabel}: ` + Object.entries(r.speedupVsPeers ?? {}).map(([id, v]) => `${fmtRatio(v)} vs ${id}`).join(', '));
}
