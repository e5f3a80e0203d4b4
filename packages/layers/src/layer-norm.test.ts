import fc from 'fast-check';
import { scope, tensor } from '@nibble/core';
import { describe, expect, it } from 'vitest';
import { checkModuleGradients, pseudoRandom, useCpu } from '../test/helpers.ts';
import { LayerNorm } from './layer-norm.ts';

useCpu();

describe('LayerNorm', () => {
  it('gradients match float64 central differences (weight, bias, input)', () => {
    checkModuleGradients(
      (runtime) => new LayerNorm(4, { runtime }),
      (m, [x]) => m.forward(x!),
      [{ shape: [3, 4], values: pseudoRandom(12, 3) }],
      { prepare: (m) => scope(() => m.loadStateDict({ weight: tensor([1.2, 0.8, -0.5, 1], { runtime: m.rawParameter('weight').runtime }), bias: tensor([0.1, 0, -0.2, 0.3], { runtime: m.rawParameter('weight').runtime }) })) },
    );
  });

  it('normalizes each row to mean 0 and population variance 1 (over two trailing axes too)', () => {
    fc.assert(
      fc.property(fc.array(fc.float({ min: -100, max: 100, noNaN: true }), { minLength: 12, maxLength: 12 }), (values) => {
        const rows = [values.slice(0, 6), values.slice(6)].map((r) => r.map(Math.fround));
        const varianceOf = (r: number[]) => {
          const m = r.reduce((a, b) => a + b, 0) / r.length;
          return r.reduce((a, b) => a + (b - m) ** 2, 0) / r.length;
        };
        fc.pre(rows.every((r) => varianceOf(r) > 1)); // eps = 1e-5 then moves the variance by < 1e-5
        const ln = new LayerNorm([2, 3]);
        scope(() => {
          const y = Array.from(ln.forward(tensor(values, { shape: [2, 2, 3] })).dataSync());
          for (const row of [y.slice(0, 6), y.slice(6)]) {
            expect(Math.abs(row.reduce((a, b) => a + b, 0) / 6)).toBeLessThan(1e-5);
            expect(Math.abs(varianceOf(row) - 1)).toBeLessThan(1e-4);
          }
        });
        ln.dispose();
      }),
      { numRuns: 50 },
    );
  });
});
