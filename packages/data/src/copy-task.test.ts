import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { COPY_TASK, copyTask, copyTaskBaseline } from './copy-task.js';
import { DataArgumentError } from './errors.js';

describe('copyTask (quantizers-spec §7.7)', () => {
  it('input is 10 symbols in 1..8, T-1 blanks, the marker 9, then 10 blanks; target is T+10 blanks then the symbols', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 5 }), fc.nat(), (gap, count, seed) => {
        const { x, y } = copyTask({ gap, count, seed });
        const length = gap + 20;
        expect(x.shape).toEqual([count, length]);
        expect(y.shape).toEqual([count, length]);
        for (let i = 0; i < count; i++) {
          const input = Array.from(x.data.subarray(i * length, (i + 1) * length));
          const target = Array.from(y.data.subarray(i * length, (i + 1) * length));
          const symbols = input.slice(0, 10);
          for (const s of symbols) expect(s >= 1 && s <= 8).toBe(true);
          expect(input.slice(10)).toEqual([...new Array<number>(gap - 1).fill(0), 9, ...new Array<number>(10).fill(0)]);
          expect(target).toEqual([...new Array<number>(gap + 10).fill(0), ...symbols]);
        }
      }),
    );
  });

  it('draws the symbols uniformly from 1..8', () => {
    const { x } = copyTask({ gap: 1, count: 4000, seed: 7 });
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 4000; i++) {
      for (let k = 0; k < 10; k++) {
        const s = x.data[i * 21 + k] as number;
        counts[s] = (counts[s] ?? 0) + 1;
      }
    }
    expect(counts[0]).toBe(0);
    expect(counts[9]).toBe(0);
    for (let s = 1; s <= 8; s++) expect(Math.abs((counts[s] ?? 0) - 5000)).toBeLessThan(5 * Math.sqrt(5000));
  });

  it('is deterministic, and example i does not depend on count', () => {
    const small = copyTask({ gap: 30, count: 3, seed: 5 });
    const large = copyTask({ gap: 30, count: 10, seed: 5 });
    expect(large.x.data.subarray(0, 3 * 50)).toEqual(small.x.data);
    expect(copyTask({ gap: 30, count: 3, seed: 6 }).x.data).not.toEqual(small.x.data);
  });

  it('baseline is 10·ln 8/(T+20): 0.173 at T=100 and 0.0204 at T=1000', () => {
    expect(copyTaskBaseline(100)).toBeCloseTo(0.173, 3);
    expect(copyTaskBaseline(1000)).toBeCloseTo(0.0204, 4);
    expect(copyTaskBaseline(100)).toBe((10 * Math.log(8)) / 120);
  });

  it('baseline equals the cross-entropy of the memoryless predictor on generated data', () => {
    // Predictor: blank with probability 1 before the last 10 steps, uniform over the 8 symbols in the last 10.
    const gap = 37;
    const { y } = copyTask({ gap, count: 20, seed: 2 });
    const length = gap + 20;
    let total = 0;
    for (let i = 0; i < 20 * length; i++) {
      const t = i % length;
      const p = t < length - 10 ? (y.data[i] === 0 ? 1 : 0) : (y.data[i] as number) >= 1 ? 1 / 8 : 0;
      total += -Math.log(p);
    }
    expect(total / (20 * length)).toBeCloseTo(copyTaskBaseline(gap), 12);
  });

  it('exposes the alphabet sizes and rejects T < 1', () => {
    expect(COPY_TASK.inputClasses).toBe(10);
    expect(COPY_TASK.outputClasses).toBe(9);
    expect(() => copyTask({ gap: 0, count: 1, seed: 0 })).toThrow(DataArgumentError);
    expect(() => copyTaskBaseline(0)).toThrow(/copyTaskLength: gap must be an integer >= 1, got 0/);
  });
});
