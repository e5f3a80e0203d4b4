import { ones, scope } from '@nibble/core';
import { describe, expect, it } from 'vitest';
import { checkModuleGradients, pseudoRandom, useCpu } from '../test/helpers.ts';
import { Dropout } from './dropout.ts';

useCpu();

describe('Dropout', () => {
  it('training: zeroes about p of the entries and scales the rest by 1/(1 − p)', () => {
    const drop = new Dropout(0.25);
    drop.setProgress({ step: 1, seed: 3 });
    scope(() => {
      const y = Array.from(drop.forward(ones([100, 100])).dataSync());
      const zeros = y.filter((v) => v === 0).length;
      expect(y.every((v) => v === 0 || Math.abs(v - 1 / 0.75) < 1e-6)).toBe(true);
      // 10⁴ Bernoulli(0.25) draws: 4σ ≈ 173
      expect(Math.abs(zeros - 2500)).toBeLessThan(173);
    });
  });

  it('masks repeat for the same step and seed, and change with either', () => {
    const drop = new Dropout(0.5);
    const mask = (step: number, seed: number) => {
      drop.setProgress({ step, seed });
      return scope(() => Array.from(drop.forward(ones([64])).dataSync()));
    };
    expect(mask(4, 1)).toEqual(mask(4, 1));
    expect(mask(4, 1)).not.toEqual(mask(5, 1));
    expect(mask(4, 1)).not.toEqual(mask(4, 2));
  });

  it('is the identity in evaluation mode', () => {
    const drop = new Dropout(0.9).eval();
    scope(() => expect(Array.from(drop.forward(ones([8])).dataSync())).toEqual(new Array(8).fill(1)));
  });

  it('gradient (training, fixed mask) matches float64 central differences', () => {
    checkModuleGradients(
      () => {
        const d = new Dropout(0.3);
        d.setProgress({ step: 2, seed: 11 });
        return d;
      },
      (m, [x]) => m.forward(x!),
      [{ shape: [4, 5], values: pseudoRandom(20, 5) }],
    );
  });
});
