// The timing policy of train-cases.json ("timing"): warm-up, clamp of the number of reps by a time budget,
// median / min / max of the timed reps. The policy is a pure function of the measured step times so it can be
// tested without a clock.
import type { TimingPolicy } from '../cases/train-cases.js';

/** Result of timing one case on one target. */
export type Timing =
  | {
      readonly status: 'timed';
      readonly warmupMs: readonly number[];
      readonly samplesMs: readonly number[];
      readonly medianMs: number;
      readonly minMs: number;
      readonly maxMs: number;
    }
  | { readonly status: 'skipped'; readonly reason: string; readonly warmupMs: readonly number[] };

/** Number of untimed warm-up steps: `warmup`, or only 1 when the first step took more than slowStepS. */
export function warmupCount(policy: TimingPolicy, firstStepMs: number): number {
  return firstStepMs > policy.slowStepS * 1000 ? 1 : Math.max(1, policy.warmup);
}

/** Timed reps = clamp(floor(caseBudgetS / last warm-up step time), minReps, reps). */
export function timedReps(policy: TimingPolicy, lastWarmupMs: number): number {
  const byBudget = Math.floor((policy.caseBudgetS * 1000) / Math.max(lastWarmupMs, 1e-6));
  return Math.min(policy.reps, Math.max(policy.minReps, byBudget));
}

/** Median of a non-empty list (mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Milliseconds elapsed since a `process.hrtime.bigint()` start. */
export function msSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Callbacks the runner uses to show progress. */
export interface MeasureHooks {
  /** Called after each step with the number of steps done and the (current) total. */
  onStep?(done: number, total: number): void;
}

/**
 * Times `step` following the policy. The first step (already run by the caller to check its output, taking
 * `firstStepMs`) counts as the first warm-up step.
 *
 * @example
 * const t0 = process.hrtime.bigint(); await prepared.step(); const first = msSince(t0);
 * const timing = await measureSteps(() => prepared.step(), policy, first);
 */
export async function measureSteps(
  step: () => Promise<unknown>,
  policy: TimingPolicy,
  firstStepMs: number,
  hooks: MeasureHooks = {},
): Promise<Timing> {
  const warmupMs = [firstStepMs];
  if (firstStepMs > policy.maxStepS * 1000) {
    return {
      status: 'skipped',
      reason: `first step took ${(firstStepMs / 1000).toFixed(1)} s > maxStepS = ${policy.maxStepS} s`,
      warmupMs,
    };
  }
  const warmups = warmupCount(policy, firstStepMs);
  let total = warmups + policy.reps;
  hooks.onStep?.(1, total);
  for (let i = 1; i < warmups; i++) {
    const t0 = process.hrtime.bigint();
    await step();
    warmupMs.push(msSince(t0));
    hooks.onStep?.(i + 1, total);
  }
  const reps = timedReps(policy, warmupMs[warmupMs.length - 1] as number);
  total = warmups + reps;
  const samplesMs: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    await step();
    samplesMs.push(msSince(t0));
    hooks.onStep?.(warmups + i + 1, total);
  }
  return {
    status: 'timed',
    warmupMs,
    samplesMs,
    medianMs: median(samplesMs),
    minMs: Math.min(...samplesMs),
    maxMs: Math.max(...samplesMs),
  };
}
