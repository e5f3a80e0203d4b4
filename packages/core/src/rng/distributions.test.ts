import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bernoulli, normal, permutation, randint, uniform } from './distributions.ts';
import { RngError, blocksForWords, randomBits, type RngKey } from './philox.ts';

interface DistributionCase {
  fn: 'uniform' | 'normal' | 'bernoulli' | 'randint' | 'permutation';
  key: RngKey;
  counterOffset: number;
  n: number;
  args: number[];
  out: number[];
}
const fixture = JSON.parse(
  readFileSync(new URL('../../test/fixtures/philox4x32-10.json', import.meta.url), 'utf8'),
) as { distributions: DistributionCase[] };

function draw(c: DistributionCase): ArrayLike<number> {
  const [a = 0, b = 1] = c.args;
  switch (c.fn) {
    case 'uniform':
      return uniform(c.key, c.counterOffset, c.n, a, b);
    case 'normal':
      return normal(c.key, c.counterOffset, c.n, a, b);
    case 'bernoulli':
      return bernoulli(c.key, c.counterOffset, c.n, a);
    case 'randint':
      return randint(c.key, c.counterOffset, c.n, a, b);
    case 'permutation':
      return permutation(c.key, c.counterOffset, c.n);
  }
}

const mean = (xs: ArrayLike<number>): number => Array.from(xs).reduce((s, x) => s + x, 0) / xs.length;
const variance = (xs: ArrayLike<number>): number => {
  const m = mean(xs);
  return Array.from(xs).reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1);
};
/** Pearson chi-square statistic of observed counts against equal expected counts. */
const chiSquare = (counts: ArrayLike<number>, total: number): number => {
  const expected = total / counts.length;
  return Array.from(counts).reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
};
/** 5-sigma upper bound of a chi-square with df degrees of freedom (mean df, variance 2 df). */
const chiSquareBound = (df: number): number => df + 5 * Math.sqrt(2 * df);

const N = 100_000;
const keyArb = fc.record({ seed: fc.nat({ max: Number.MAX_SAFE_INTEGER }), stream: fc.nat({ max: 0xffffffff }) });

describe('distributions match the formulas re-derived in Python from randomgen words (fixture)', () => {
  it.each(fixture.distributions)('$fn($args) n=$n', (c) => {
    const got = Array.from(draw(c));
    expect(got.length).toBe(c.out.length);
    if (c.fn === 'normal') {
      // log/cos/sin of two libms may differ in the last float64 bit; after float32 rounding allow one float32 ulp.
      got.forEach((x, i) => expect(Math.abs(x - (c.out[i] as number))).toBeLessThanOrEqual(2 ** -23 * Math.max(1, Math.abs(x))));
    } else {
      expect(got).toEqual(c.out);
    }
  });
});

describe('determinism', () => {
  it('the same key and offset give the same values bit for bit; another stream gives others', () => {
    fc.assert(
      fc.property(keyArb, fc.nat({ max: 2 ** 40 }), fc.integer({ min: 8, max: 64 }), (key, offset, n) => {
        const other = { seed: key.seed, stream: (key.stream + 1) % 2 ** 32 };
        for (const f of [
          (k: RngKey) => uniform(k, offset, n, -2, 3),
          (k: RngKey) => normal(k, offset, n),
          (k: RngKey) => randint(k, offset, n, -1000, 1000),
          (k: RngKey) => permutation(k, offset, n),
        ]) {
          const a = f(key);
          expect(new Uint8Array(f(key).buffer)).toEqual(new Uint8Array(a.buffer));
          expect(new Uint8Array(f(other).buffer)).not.toEqual(new Uint8Array(a.buffer));
        }
        expect(bernoulli(key, offset, n, 0.5)).toEqual(bernoulli(key, offset, n, 0.5));
      }),
      { numRuns: 50 },
    );
  });
});

describe('uniform', () => {
  it('lies in [fround(lo), fround(hi)) for any finite bounds, including ranges one ulp wide', () => {
    const f32 = fc.double({ noNaN: true, min: -1e30, max: 1e30 });
    fc.assert(
      fc.property(keyArb, f32, f32, (key, a, b) => {
        fc.pre(Math.fround(a) !== Math.fround(b));
        const [lo, hi] = a < b ? [a, b] : [b, a];
        for (const x of uniform(key, 0, 64, lo, hi)) {
          expect(x).toBeGreaterThanOrEqual(Math.fround(lo));
          expect(x).toBeLessThan(Math.fround(hi));
        }
      }),
    );
    const tight = uniform({ seed: 1, stream: 0 }, 0, 1000, 1, 1 + 2 ** -23);
    expect(tight.every((x) => x === 1)).toBe(true);
  });

  it('uniform(0, 1) is bitsToUniform of the stream: 1e5 draws pass a 100-bin chi-square and moment checks', () => {
    const u = uniform({ seed: 2026, stream: 0 }, 0, N);
    const counts = new Array<number>(100).fill(0);
    for (const x of u) counts[Math.floor(x * 100)]! += 1;
    expect(chiSquare(counts, N)).toBeLessThan(chiSquareBound(99));
    expect(Math.abs(mean(u) - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / N));
    expect(Math.abs(variance(u) - 1 / 12)).toBeLessThan(5 * Math.sqrt(1 / 180 / N)); // Var of (U-1/2)^2 is 1/180
  });

  it('refuses empty or non-finite ranges with RngError', () => {
    const key = { seed: 0, stream: 0 };
    expect(() => uniform(key, 0, 4, 1, 1)).toThrow(/need lo < hi after rounding to float32/);
    expect(() => uniform(key, 0, 4, 1, 1 + 1e-12)).toThrow(RngError);
    expect(() => uniform(key, 0, 4, 0, Number.POSITIVE_INFINITY)).toThrow(/hi must be a finite number/);
    expect(() => uniform(key, 0, 1.5)).toThrow(/n must be a non-negative integer, got 1.5/);
  });
});

describe('normal', () => {
  it('1e5 draws have mean 0 and variance 1 within 5 sigma, and the normal mass within ±1σ and ±2σ', () => {
    const z = normal({ seed: 2026, stream: 1 }, 0, N);
    expect(Math.abs(mean(z))).toBeLessThan(5 / Math.sqrt(N));
    expect(Math.abs(variance(z) - 1)).toBeLessThan(5 * Math.sqrt(2 / N));
    for (const [k, p] of [
      [1, 0.682689492],
      [2, 0.954499736],
    ] as const) {
      const frac = z.filter((x) => Math.abs(x) < k).length / N;
      expect(Math.abs(frac - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / N));
    }
    expect(z.every((x) => Number.isFinite(x) && Math.abs(x) <= 5.78)).toBe(true);
  });

  it('applies mean and std (std = 0 gives the mean exactly)', () => {
    const z = normal({ seed: 3, stream: 3 }, 0, 2000, 10, 0.5);
    expect(Math.abs(mean(z) - 10)).toBeLessThan(5 * 0.5 / Math.sqrt(2000));
    expect(normal({ seed: 3, stream: 3 }, 0, 5, 4, 0)).toEqual(new Float32Array([4, 4, 4, 4, 4]));
  });

  it('an odd n is the prefix of the even draw', () => {
    const key = { seed: 11, stream: 0 };
    expect(Array.from(normal(key, 5, 7))).toEqual(Array.from(normal(key, 5, 8).subarray(0, 7)));
  });

  it('refuses a negative std with RngError', () => {
    expect(() => normal({ seed: 0, stream: 0 }, 0, 4, 0, -1)).toThrow(/std must be >= 0, got -1/);
  });
});

describe('bernoulli', () => {
  it('has mean p within 5 sigma over 1e5 draws, and p = 0 / p = 1 are constant', () => {
    for (const p of [0.1, 0.5, 0.97]) {
      const b = bernoulli({ seed: 5, stream: 2 }, 0, N, p);
      expect(b.every((x) => x === 0 || x === 1)).toBe(true);
      expect(Math.abs(mean(b) - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / N));
    }
    expect(bernoulli({ seed: 5, stream: 2 }, 0, 1000, 0).every((x) => x === 0)).toBe(true);
    expect(bernoulli({ seed: 5, stream: 2 }, 0, 1000, 1).every((x) => x === 1)).toBe(true);
  });

  it('refuses p outside [0, 1] with RngError', () => {
    expect(() => bernoulli({ seed: 0, stream: 0 }, 0, 4, 1.5)).toThrow(/p must be in \[0, 1\], got 1.5/);
    expect(() => bernoulli({ seed: 0, stream: 0 }, 0, 4, Number.NaN)).toThrow(RngError);
  });
});

describe('randint', () => {
  it('is lo + floor(x · (hi − lo) / 2^64) of the word pair (BigInt oracle), hence in [lo, hi)', () => {
    const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 });
    fc.assert(
      fc.property(keyArb, fc.nat({ max: 1000 }), int32, int32, (key, offset, a, b) => {
        fc.pre(a !== b);
        const [lo, hi] = a < b ? [a, b] : [b, a];
        const n = 16;
        const got = randint(key, offset, n, lo, hi);
        const words = randomBits(key, offset, 2 * n);
        for (let i = 0; i < n; i++) {
          const x = (BigInt(words[2 * i + 1]!) << 32n) | BigInt(words[2 * i]!);
          expect(got[i]).toBe(lo + Number((x * BigInt(hi - lo)) >> 64n));
          expect(got[i]).toBeGreaterThanOrEqual(lo);
          expect(got[i]).toBeLessThan(hi);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('is uniform over a small range (chi-square over 1e5 draws)', () => {
    const r = randint({ seed: 9, stream: 0 }, 0, N, -3, 4);
    const counts = new Array<number>(7).fill(0);
    for (const x of r) counts[x + 3]! += 1;
    expect(chiSquare(counts, N)).toBeLessThan(chiSquareBound(6));
    expect(counts.every((c) => c > 0)).toBe(true);
  });

  it('covers the full int32 range with mean near 0', () => {
    const r = randint({ seed: 9, stream: 1 }, 0, N, -(2 ** 31), 2 ** 31);
    const m = mean(r);
    expect(Math.abs(m)).toBeLessThan((5 * 2 ** 32) / Math.sqrt(12 * N));
    expect(Math.min(...r)).toBeLessThan(-(2 ** 30));
    expect(Math.max(...r)).toBeGreaterThan(2 ** 30);
  });

  it('refuses empty, fractional or out-of-int32 ranges with RngError', () => {
    const key = { seed: 0, stream: 0 };
    expect(() => randint(key, 0, 4, 3, 3)).toThrow(/need integers -2\^31 <= lo < hi <= 2\^31, got lo=3, hi=3/);
    expect(() => randint(key, 0, 4, 0, 2.5)).toThrow(RngError);
    expect(() => randint(key, 0, 4, -(2 ** 31) - 1, 0)).toThrow(RngError);
    expect(() => randint(key, 0, 1.5, 0, 2)).toThrow(RngError);
  });
});

describe('permutation', () => {
  it('is a bijection of 0..n-1', () => {
    fc.assert(
      fc.property(keyArb, fc.nat({ max: 1000 }), fc.nat({ max: 600 }), (key, offset, n) => {
        const p = permutation(key, offset, n);
        expect(p.length).toBe(n);
        const seen = new Uint8Array(n);
        for (const x of p) {
          expect(x).toBeGreaterThanOrEqual(0);
          expect(x).toBeLessThan(n);
          seen[x] = 1;
        }
        expect(seen.every((s) => s === 1)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('draws all 24 permutations of 4 elements equally often (chi-square over 24 000 draws)', () => {
    const key = { seed: 77, stream: 0 };
    const draws = 24_000;
    const step = blocksForWords(2 * 3);
    const counts = new Map<string, number>();
    for (let t = 0; t < draws; t++) {
      const id = permutation(key, t * step, 4).join('');
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    expect(counts.size).toBe(24);
    expect(chiSquare([...counts.values()], draws)).toBeLessThan(chiSquareBound(23));
  });

  it('places element 0 at every position equally often for n = 10 (chi-square)', () => {
    const key = { seed: 78, stream: 0 };
    const draws = 20_000;
    const step = blocksForWords(2 * 9);
    const counts = new Array<number>(10).fill(0);
    for (let t = 0; t < draws; t++) counts[permutation(key, t * step, 10).indexOf(0)]! += 1;
    expect(chiSquare(counts, draws)).toBeLessThan(chiSquareBound(9));
  });

  it('handles n = 0 and n = 1 and refuses invalid n with RngError', () => {
    expect(permutation({ seed: 0, stream: 0 }, 0, 0)).toEqual(new Int32Array(0));
    expect(permutation({ seed: 0, stream: 0 }, 0, 1)).toEqual(new Int32Array([0]));
    expect(() => permutation({ seed: 0, stream: 0 }, 0, -1)).toThrow(/n must be an integer in \[0, 2\^31 - 1\], got -1/);
    expect(() => permutation({ seed: 0, stream: 0 }, 0, 2 ** 31)).toThrow(RngError);
  });
});
