import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { constant, cosineDecay, linearWarmup, OptimizerError, product, sequential, stepDecay } from './index.ts';

describe('schedules at key steps', () => {
  it('constant', () => {
    expect(constant(0.3)(0)).toBe(0.3);
    expect(constant(0.3)(10_000)).toBe(0.3);
  });
  it('stepDecay (StepLR): lr·γ^⌊k/stepSize⌋', () => {
    const s = stepDecay({ lr: 0.1, stepSize: 10, gamma: 0.5 });
    expect([s(0), s(9), s(10), s(19), s(20), s(35)]).toEqual([0.1, 0.1, 0.05, 0.05, 0.025, 0.0125]);
  });
  it('cosineDecay: lr at 0, midpoint at steps/2, minLr at and after steps', () => {
    const s = cosineDecay({ lr: 1, steps: 100, minLr: 0.1 });
    expect(s(0)).toBe(1);
    expect(s(50)).toBeCloseTo(0.55, 12);
    expect(s(25)).toBeCloseTo(0.1 + 0.9 * (1 + Math.SQRT1_2) / 2, 12);
    expect(s(100)).toBeCloseTo(0.1, 12);
    expect(s(1000)).toBeCloseTo(0.1, 12);
  });
  it('linearWarmup (LinearLR): factor from startFactor to 1 over `steps`, then the inner schedule', () => {
    const s = linearWarmup({ steps: 4 }, 0.1);
    expect([0, 1, 2, 4, 9].map(s)).toEqual([0, 0.025, 0.05, 0.1, 0.1]);
    const t = linearWarmup({ steps: 10, startFactor: 0.5 }, stepDecay({ lr: 1, stepSize: 5, gamma: 0.1 }));
    expect(t(0)).toBe(0.5);
    expect(t(5)).toBeCloseTo(0.1 * 0.75, 12);
  });
  it('sequential: each phase counts from its own start; the last continues', () => {
    const s = sequential([{ schedule: linearWarmup({ steps: 10 }, 1), steps: 10 }], cosineDecay({ lr: 1, steps: 90 }));
    expect(s(5)).toBe(0.5);
    expect(s(10)).toBe(1);
    expect(s(55)).toBeCloseTo(0.5, 12);
    expect(s(100)).toBeCloseTo(0, 12);
  });
  it('product multiplies schedules', () => {
    expect(product(constant(0.1), stepDecay({ lr: 1, stepSize: 10, gamma: 0.5 }))(10)).toBe(0.05);
  });
  it('cosineDecay is non-increasing and stays in [minLr, lr] (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 10, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 500 }), (lr, f, steps) => {
        const minLr = lr * f;
        const s = cosineDecay({ lr, steps, minLr });
        let prev = Infinity;
        for (let k = 0; k <= steps + 2; k++) {
          const v = s(k);
          expect(v).toBeLessThanOrEqual(prev + 1e-12);
          expect(v).toBeGreaterThanOrEqual(minLr - 1e-12);
          expect(v).toBeLessThanOrEqual(lr + 1e-12);
          prev = v;
        }
      }),
      { numRuns: 50 },
    );
  });
  it('refuses invalid arguments and steps, naming them', () => {
    expect(() => stepDecay({ lr: 0.1, stepSize: 0, gamma: 0.5 })).toThrow(/stepDecay: stepSize is 0; expected an integer ≥ 1/);
    expect(() => cosineDecay({ lr: -1, steps: 5 })).toThrow(OptimizerError);
    expect(() => constant(0.1)(-1)).toThrow(/constant: step is -1/);
    expect(() => linearWarmup({ steps: 3, startFactor: 2 }, 1)).toThrow(/startFactor is 2/);
  });
});
