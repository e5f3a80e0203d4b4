import { scope, tensor } from '@nibble/core';
import { describe, expect, it } from 'vitest';
import { checkModuleGradients, pseudoRandom, useCpu } from '../test/helpers.ts';
import { LearnedPositionalEncoding, SinusoidalPositionalEncoding } from './positional.ts';

useCpu();

describe('positional encodings', () => {
  it('sinusoidal: PE[p, 2i] = sin(p·10000^(−2i/d)), PE[p, 2i+1] = cos(...), added per position (both layouts)', () => {
    const d = 6;
    const pe = new SinusoidalPositionalEncoding(d, 50, { batchFirst: true });
    const seqFirst = new SinusoidalPositionalEncoding(d, 50);
    scope(() => {
      const y = pe.forward(tensor(new Float32Array(2 * 7 * d), { shape: [2, 7, d] })).dataSync();
      for (const [p, j] of [[0, 0], [0, 1], [3, 2], [6, 5], [5, 4]] as const) {
        const angle = p * Math.exp((-Math.log(10000) * 2 * Math.floor(j / 2)) / d);
        const expected = j % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
        expect(y[p * d + j]).toBeCloseTo(expected, 6);
        expect(y[7 * d + p * d + j]).toBeCloseTo(expected, 6); // second batch element
      }
      const z = seqFirst.forward(tensor(new Float32Array(7 * 2 * d), { shape: [7, 2, d] })).dataSync();
      expect(z[3 * 2 * d + d + 2]).toBeCloseTo(y[3 * d + 2]!, 7);
    });
    expect(() => pe.forward(tensor(new Float32Array(51 * d), { shape: [1, 51, d] }))).toThrow(/T ≤ 50/);
    expect(pe.namedParameters().size).toBe(0);
    expect([...pe.stateDict().keys()]).toEqual(['pe']);
  });

  it('learned: gradients match float64 central differences', () => {
    checkModuleGradients((runtime) => new LearnedPositionalEncoding(3, 5, { seed: 1, runtime }), (m, [x]) => m.forward(x!).square(), [{ shape: [4, 2, 3], values: pseudoRandom(24, 1) }]);
  });
});
