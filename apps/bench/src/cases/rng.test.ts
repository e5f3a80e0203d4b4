import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { glorot, labels, lcg32Next, lcg32Uniforms, uniformSym } from './rng.js';

describe('lcg32 (train-cases.json "rng")', () => {
  it('matches the published Numerical Recipes ranqd1 sequence from seed 0', () => {
    // Numerical Recipes in C, 2nd ed., §7.1: idum = 1664525 * idum + 1013904223 from 0 gives these values.
    expect(lcg32Next(0)).toBe(1013904223);
    expect(lcg32Next(1013904223)).toBe(1196435762);
    expect(lcg32Next(1196435762)).toBe(3519870697);
  });

  it('u = float32(s / 2^32 - 0.5) lies in [-0.5, 0.5) and is exactly a float32', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (seed) => {
        const u = lcg32Uniforms(seed, 64);
        let s = seed;
        for (const v of u) {
          s = lcg32Next(s);
          expect(v).toBe(Math.fround(s / 2 ** 32 - 0.5));
          expect(v).toBeGreaterThanOrEqual(-0.5);
          expect(v).toBeLessThan(0.5);
        }
      }),
    );
  });

  it('uniformSym stays in [-scale, scale] and labels in [0, C)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.double({ min: 1e-3, max: 10, noNaN: true }), fc.integer({ min: 1, max: 300 }), (seed, scale, classes) => {
        for (const v of uniformSym(seed, 32, scale)) expect(Math.abs(v)).toBeLessThanOrEqual(Math.fround(scale));
        for (const y of labels(seed, 32, classes)) {
          expect(Number.isInteger(y)).toBe(true);
          expect(y).toBeGreaterThanOrEqual(0);
          expect(y).toBeLessThan(classes);
        }
      }),
    );
  });

  it('glorot uses sqrt(6 / (fanIn + fanOut)) as its scale', () => {
    const w = glorot(13, 32, 512);
    const u = lcg32Uniforms(13, 32 * 512);
    const scale = Math.sqrt(6 / (32 + 512));
    expect(w[7]).toBe(Math.fround(2 * scale * u[7]!));
  });
});
