import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ADDING_PROBLEM_BASELINE_MSE, addingProblem } from './adding-problem.js';
import { DataArgumentError } from './errors.js';

describe('addingProblem', () => {
  it('has one marker in each half and targets the sum of the two marked values', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 80 }), fc.integer({ min: 1, max: 4 }), fc.nat(), (length, count, seed) => {
        const { x, y } = addingProblem({ length, count, seed });
        expect(x.shape).toEqual([count, length, 2]);
        expect(y.shape).toEqual([count, 1]);
        const half = Math.floor(length / 2);
        for (let i = 0; i < count; i++) {
          const marked: number[] = [];
          let sum = 0;
          for (let t = 0; t < length; t++) {
            const value = x.data[(i * length + t) * 2] as number;
            const marker = x.data[(i * length + t) * 2 + 1] as number;
            expect(value >= 0 && value < 1).toBe(true);
            expect(marker === 0 || marker === 1).toBe(true);
            if (marker === 1) {
              marked.push(t);
              sum += value;
            }
          }
          expect(marked.length).toBe(2);
          expect(marked[0]).toBeLessThan(half);
          expect(marked[1]).toBeGreaterThanOrEqual(half);
          expect(y.data[i]).toBe(Math.fround(sum));
        }
      }),
    );
  });

  it('predicting 1 scores an MSE of about 1/6, and marker positions cover each half uniformly', () => {
    const length = 10;
    const count = 20_000;
    const { x, y } = addingProblem({ length, count, seed: 4 });
    let squared = 0;
    const positions = new Array<number>(length).fill(0);
    for (let i = 0; i < count; i++) {
      squared += ((y.data[i] as number) - 1) ** 2;
      for (let t = 0; t < length; t++) {
        if (x.data[(i * length + t) * 2 + 1] === 1) positions[t] = (positions[t] ?? 0) + 1;
      }
    }
    // The squared error of a sum of two U(0,1) around 1 has standard deviation ≈ 0.2 / sqrt(count) ≈ 0.0015.
    expect(Math.abs(squared / count - ADDING_PROBLEM_BASELINE_MSE)).toBeLessThan(0.008);
    for (const c of positions) expect(Math.abs(c - count / 5)).toBeLessThan(5 * Math.sqrt(count / 5));
  });

  it('is deterministic and rejects T < 2', () => {
    expect(addingProblem({ length: 9, count: 3, seed: 1 })).toEqual(addingProblem({ length: 9, count: 3, seed: 1 }));
    expect(() => addingProblem({ length: 1, count: 1, seed: 0 })).toThrow(DataArgumentError);
  });
});
