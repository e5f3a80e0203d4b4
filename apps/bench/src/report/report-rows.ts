// The rows and columns shown in the terminal table and the Markdown report (one definition for both).
import type { BenchResult, RowResult } from './bench-result.js';
import { fmtMs, fmtNum, fmtPct, fmtRatio } from './format.js';

/** Column headers of the result table. */
export const TABLE_HEADER = ['case', 'target', 'median ms', 'min', 'max', 'reps', 'GFLOP/s', '% FMA peak', 'weights GB/s', '% read BW', '÷ fastest peer', 'status'] as const;

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

/** Lines listing targets that did not run and why. */
export function skippedTargetLines(result: BenchResult): string[] {
  return result.targets.filter((t) => !t.available).map((t) => `${t.id}: skipped: ${t.reason ?? 'unavailable'}`);
}

/** Lines giving the nibble rows' speed-up against each peer (peer median / nibble median). */
export function speedupLines(result: BenchResult): string[] {
  return result.rows
    .filter((r) => r.targetKind === 'nibble' && r.speedupVsPeers && Object.keys(r.speedupVsPeers).length > 0)
    .map((r) => `${r.caseId} ${r.targetLabel}: ` + Object.entries(r.speedupVsPeers ?? {}).map(([id, v]) => `${fmtRatio(v)} vs ${id}`).join(', '));
}
