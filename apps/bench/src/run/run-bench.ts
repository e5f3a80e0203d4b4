// Runs the selected cases on the selected targets: availability, first-step checks, timing, derived metrics.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { relative } from 'node:path';
import { caseData, type CaseData } from '../cases/case-data.js';
import { caseFlops, qmatvecWeightBytes, TRAIN_CASES_PATH, type BenchCase, type CaseFile, type TimingPolicy } from '../cases/train-cases.js';
import { lastLevelCacheBytes } from '../machine/cache-size.js';
import { cpuSnapshot, otherCpuPercent } from '../machine/cpu-noise.js';
import type { MachineProbeResult } from '../machine/machine-probe.js';
import { BENCH_RESULT_SCHEMA, type BenchResult, type RowResult, type TargetInfo } from '../report/bench-result.js';
import { reasonOf, UnsupportedCaseError, type BenchTarget, type CaseFactory, type PreparedCase, type StepOutput } from '../targets/bench-target.js';
import { measureSteps, median, msSince } from '../timing/measure.js';
import { checkAgainst, checkLoss1, scalarOf } from './output-checks.js';
import { firstStepChecks } from './suite-checks.js';
import { deriveSuiteMetrics, memoryBytes } from './suite-metrics.js';
import { policyFor } from './suites.js';
import { Progress, type ProgressStream } from './progress.js';

/** What to run. */
export interface RunPlan {
  readonly suite: string;
  readonly size: string;
  readonly repeat: number | null;
  readonly backends: readonly string[];
  readonly peers: readonly string[];
  readonly caseFile: CaseFile;
  readonly caseFilePath?: string;
  readonly cases: readonly BenchCase[];
  readonly targets: readonly BenchTarget[];
  readonly policy: TimingPolicy;
  readonly machine: MachineProbeResult;
  readonly progress?: ProgressStream;
}

function factoryFor(t: BenchTarget, c: BenchCase): ((c: BenchCase, d: CaseData) => Promise<PreparedCase>) | undefined {
  return t.cases[c.kind] as CaseFactory<typeof c.kind> as ((c: BenchCase, d: CaseData) => Promise<PreparedCase>) | undefined;
}

/** Preference order for the loss1 reference: the case file says to compare loss1 with the TensorFlow.js run. */
const LOSS1_REFERENCE_ORDER = ['tfjs-cpu', 'tfjs-wasm', 'tfjs-webgpu'];

async function describeTargets(targets: readonly BenchTarget[], progress: Progress): Promise<TargetInfo[]> {
  const infos: TargetInfo[] = [];
  for (const t of targets) {
    const caseKinds = Object.keys(t.cases);
    let availability;
    try {
      availability = await t.available();
    } catch (err) {
      availability = { ok: false as const, reason: reasonOf(err) };
    }
    if (!availability.ok) {
      progress.note(`${t.id}: skipped (${availability.reason})`);
      infos.push({ id: t.id, label: t.label, kind: t.kind, available: false, reason: availability.reason, caseKinds });
      continue;
    }
    let info: Readonly<Record<string, string | number | boolean>> | undefined;
    try {
      info = await t.describe?.();
    } catch (err) {
      info = { describeError: reasonOf(err) };
    }
    infos.push({ id: t.id, label: t.label, kind: t.kind, available: true, caseKinds, ...(info ? { info } : {}) });
  }
  return infos;
}

/** Fills gflops, % of peak, weight bandwidth and ratios once every row of a case has run. */
function deriveMetrics(c: BenchCase, rows: RowResult[], probe: MachineProbeResult): void {
  const flops = caseFlops(c);
  const peers = rows.filter((r) => r.targetKind === 'peer' && r.status === 'ok' && r.timing);
  const fastestPeer = Math.min(...peers.map((r) => r.timing?.medianMs ?? Infinity));
  for (const r of rows) {
    if (r.status !== 'ok' || !r.timing) continue;
    const s = r.timing.medianMs / 1000;
    if (flops !== undefined) {
      r.gflops = flops / s / 1e9;
      if (probe.ok) r.pctOfPeak = (100 * r.gflops) / probe.limits.fmaGflopsAll;
    }
    const bytes = memoryBytes(c);
    if (bytes !== undefined) r.memGBs = bytes / s / 1e9;
    if (c.kind === 'lstm_infer') {
      const whBytes = c.H * 4 * c.H * 4;
      r.weightGBs = (c.T * whBytes) / s / 1e9; // Wh (fp32) is read once per time step
      // Against DRAM bandwidth only when Wh cannot stay in the last-level cache; otherwise the ratio means nothing.
      const llc = lastLevelCacheBytes();
      if (probe.ok && llc !== undefined && whBytes > llc) r.pctOfStream = (100 * r.weightGBs) / probe.limits.readGBsAll;
    }
    if (c.kind === 'qmatvec') {
      // Targets cycle through copies of the weights larger than the cache (quant-cases.json), so this is DRAM traffic.
      r.weightGBs = qmatvecWeightBytes(c) / s / 1e9;
      if (probe.ok) r.pctOfStream = (100 * r.weightGBs) / probe.limits.readGBsAll;
    }
    if (Number.isFinite(fastestPeer)) r.vsFastestPeer = r.timing.medianMs / fastestPeer;
    if (r.targetKind === 'nibble') {
      r.speedupVsPeers = Object.fromEntries(peers.map((p) => [p.targetId, (p.timing?.medianMs ?? NaN) / r.timing!.medianMs]));
    }
  }
}

/** Cross-checks loss1 of training rows against the tfjs run of the same case (marks mismatching rows failed). */
function checkLoss1Rows(rows: RowResult[]): void {
  const ref = LOSS1_REFERENCE_ORDER.map((id) => rows.find((r) => r.targetId === id && r.loss1 !== undefined)).find((r) => r);
  if (!ref || ref.loss1 === undefined) return;
  for (const r of rows) {
    if (r === ref || r.loss1 === undefined || r.status !== 'ok') continue;
    const check = checkLoss1(r.loss1, ref.loss1, ref.targetId);
    r.checks.push(check);
    if (!check.ok) {
      r.status = 'failed';
      r.reason = `check failed: ${check.name}: ${check.detail}`;
    }
  }
}

async function runRow(
  c: BenchCase,
  data: CaseData,
  t: BenchTarget,
  plan: RunPlan,
  progress: Progress,
  nibbleFirst: { id: string; out: StepOutput } | undefined,
): Promise<{ row: RowResult; first?: StepOutput }> {
  const row: RowResult = { caseId: c.id, caseKind: c.kind, targetId: t.id, targetLabel: t.label, targetKind: t.kind, status: 'skipped', checks: [] };
  const factory = factoryFor(t, c);
  if (!factory) {
    row.reason = `${t.id} does not implement ${c.kind}`;
    return { row };
  }
  progress.startRow(c.id, t.id);
  let prepared: PreparedCase | undefined;
  try {
    prepared = await factory(c, data);
    const t0 = process.hrtime.bigint();
    const first = await prepared.step();
    const firstMs = msSince(t0);
    row.firstScalar = scalarOf(first);
    row.checks.push(...(prepared.checks ?? []), ...firstStepChecks(c, data, first));
    if (nibbleFirst && t.kind === 'peer') row.checks.push(checkAgainst(first, nibbleFirst.out, nibbleFirst.id));
    const failed = row.checks.find((k) => !k.ok);
    if (failed) {
      row.status = 'failed';
      row.reason = `check failed: ${failed.name}: ${failed.detail}`;
      progress.endRow(row.reason);
      return { row, first };
    }
    let calls = 1;
    const runs = first.kind === 'loss' && first.run ? [first.run] : [];
    const step = async (): Promise<void> => {
      const out = await prepared!.step();
      calls++;
      if (out.kind === 'loss') {
        if (!Number.isFinite(out.loss)) throw new Error(`step ${calls} returned a non-finite loss ${out.loss}`);
        if (calls === 2 && !out.run) row.loss1 = out.loss; // a qat_run step is a whole run: its loss is no loss1
        if (out.run) runs.push(out.run);
      }
    };
    const timing = await measureSteps(step, policyFor(c, plan.policy, plan.repeat), firstMs, { onStep: (d, n) => progress.step(d, n) });
    if (first.kind === 'loss' && first.run && timing.status === 'timed') {
      const trainMs = median(runs.slice(-timing.samplesMs.length).map((r) => r.trainMs)); // the timed runs, not the warm-up
      row.qatRun = { steps: first.run.steps, stepsPerS: (1000 * first.run.steps) / trainMs, firstLoss: first.run.firstLoss, finalLoss: first.loss };
    }
    if (timing.status === 'skipped') {
      row.reason = timing.reason;
      progress.endRow(`skipped: ${timing.reason}`);
      return { row, first };
    }
    const { status: _status, ...rest } = timing;
    row.timing = rest;
    row.status = 'ok';
    progress.endRow(`median ${timing.medianMs.toFixed(2)} ms (min ${timing.minMs.toFixed(2)}, max ${timing.maxMs.toFixed(2)}, ${timing.samplesMs.length} reps)`);
    return { row, first };
  } catch (err) {
    row.status = err instanceof UnsupportedCaseError ? 'skipped' : 'failed';
    row.reason = err instanceof UnsupportedCaseError ? err.message : reasonOf(err);
    progress.endRow(`${row.status}: ${row.reason}`);
    return { row };
  } finally {
    try {
      await prepared?.dispose();
    } catch {
      // a failing dispose must not hide the row's own result
    }
  }
}

/**
 * Runs a plan and returns the result (without writing anything).
 *
 * @example
 * const result = await runBench({ suite: 'ops', ..., targets: [tfjsTarget('wasm')] });
 */
export async function runBench(plan: RunPlan): Promise<BenchResult> {
  const started = process.hrtime.bigint();
  const cpuStart = cpuSnapshot();
  const nibbleTargets = plan.targets.filter((t) => t.kind === 'nibble');
  const ordered = [...nibbleTargets, ...plan.targets.filter((t) => t.kind === 'peer')]; // nibble first: peers are compared against it
  const countProgress = new Progress(0, plan.progress);
  const targetInfos = await describeTargets(ordered, countProgress);
  const runnable = ordered.filter((t) => targetInfos.find((i) => i.id === t.id)?.available);
  const totalRows = plan.cases.reduce((n, c) => n + runnable.filter((t) => factoryFor(t, c)).length, 0);
  const progress = new Progress(totalRows, plan.progress);
  const rows: RowResult[] = [];
  for (const c of plan.cases) {
    const data = caseData(c);
    const caseRows: RowResult[] = [];
    let nibbleFirst: { id: string; out: StepOutput } | undefined;
    for (const t of runnable) {
      const { row, first } = await runRow(c, data, t, plan, progress, nibbleFirst);
      if (t.kind === 'nibble' && first && row.status === 'ok' && nibbleFirst === undefined) nibbleFirst = { id: t.id, out: first };
      caseRows.push(row);
    }
    checkLoss1Rows(caseRows);
    deriveMetrics(c, caseRows, plan.machine);
    rows.push(...caseRows);
  }
  deriveSuiteMetrics(plan.cases, rows);
  for (const t of runnable) await t.shutdown?.().catch(() => undefined);
  const casePath = plan.caseFilePath ?? TRAIN_CASES_PATH;
  const noise = otherCpuPercent(cpuStart);
  return {
    schema: BENCH_RESULT_SCHEMA,
    createdAt: new Date().toISOString(),
    suite: plan.suite,
    options: { suite: plan.suite, backends: plan.backends, peers: plan.peers, size: plan.size, repeat: plan.repeat, cases: plan.cases.map((c) => c.id) },
    timingPolicy: plan.policy,
    caseFile: { path: relative(process.cwd(), casePath) || casePath, schema: plan.caseFile.schema, sha256: createHash('sha256').update(readFileSync(casePath)).digest('hex') },
    machine: {
      cpuModel: cpus()[0]?.model ?? 'unknown',
      logicalCpus: cpus().length,
      totalMemGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
      node: process.version,
      platform: process.platform,
      arch: process.arch,
      limits: plan.machine.ok ? plan.machine.limits : null,
      ...(plan.machine.ok ? {} : { limitsUnavailableReason: plan.machine.reason }),
      otherCpuPercent: noise === undefined ? null : Math.round(noise * 10) / 10,
    },
    targets: targetInfos,
    rows,
    durationS: Math.round(msSince(started) / 100) / 10,
  };
}
