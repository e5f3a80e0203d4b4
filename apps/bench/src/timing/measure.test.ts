import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { TimingPolicy } from '../cases/train-cases.js';
import { loadCaseFile } from '../cases/train-cases.js';
import { measureSteps, median, timedReps, warmupCount } from './measure.js';

const policy: TimingPolicy = loadCaseFile().timing;

describe('timing policy of train-cases.json', () => {
  it('reads warmup 2, reps 15, minReps 3, budget 30 s, slow 10 s, max 60 s from the file', () => {
    expect(policy).toEqual({ warmup: 2, reps: 15, minReps: 3, caseBudgetS: 30, slowStepS: 10, maxStepS: 60 });
  });

  it('reps = clamp(floor(caseBudgetS / last warm-up time), minReps, reps)', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.001, max: 120_000, noNaN: true }), (ms) => {
        const reps = timedReps(policy, ms);
        const byBudget = Math.floor(30_000 / ms);
        expect(reps).toBe(Math.min(15, Math.max(3, byBudget)));
        expect(reps).toBeGreaterThanOrEqual(3);
        expect(reps).toBeLessThanOrEqual(15);
      }),
    );
    expect(timedReps(policy, 2500)).toBe(12);
    expect(timedReps(policy, 20_000)).toBe(3);
  });

  it('one warm-up step only when the first took more than slowStepS', () => {
    expect(warmupCount(policy, 9_999)).toBe(2);
    expect(warmupCount(policy, 10_001)).toBe(1);
  });

  it('median is the middle of the sorted samples', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 40 }), (xs) => {
        const m = median(xs);
        expect(xs.filter((x) => x < m).length).toBeLessThanOrEqual(xs.length / 2);
        expect(xs.filter((x) => x > m).length).toBeLessThanOrEqual(xs.length / 2);
      }),
    );
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });

  it('measureSteps runs warmup − 1 more untimed steps, then the clamped reps, and reports min ≤ median ≤ max', async () => {
    let calls = 0;
    const timing = await measureSteps(async () => void calls++, { ...policy, reps: 5, minReps: 3 }, 0.01);
    expect(timing.status).toBe('timed');
    if (timing.status !== 'timed') return;
    expect(calls).toBe(1 + 5); // second warm-up + 5 reps (fast steps hit the reps cap)
    expect(timing.warmupMs).toHaveLength(2);
    expect(timing.samplesMs).toHaveLength(5);
    expect(timing.minMs).toBeLessThanOrEqual(timing.medianMs);
    expect(timing.medianMs).toBeLessThanOrEqual(timing.maxMs);
  });

  it('skips the case when the first step took more than maxStepS, without running more steps', async () => {
    let calls = 0;
    const timing = await measureSteps(async () => void calls++, policy, 61_000);
    expect(timing.status).toBe('skipped');
    expect(calls).toBe(0);
  });
});
