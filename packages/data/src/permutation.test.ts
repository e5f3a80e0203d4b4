import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { invertPermutation, permutation, shuffle } from './permutation.js';
import { PhiloxRandom } from './philox.js';

const isBijection = (perm: Int32Array): boolean => {
  const seen = new Uint8Array(perm.length);
  for (const p of perm) {
    if (p < 0 || p >= perm.length || seen[p] === 1) return false;
    seen[p] = 1;
  }
  return true;
};

describe('permutation', () => {
  it('is a bijection of 0..n-1 for every n, seed and stream', () => {
    fc.assert(
      fc.property(fc.nat({ max: 500 }), fc.nat(), fc.nat(), (n, seed, stream) => {
        const perm = permutation(n, seed, stream);
        expect(perm.length).toBe(n);
        expect(isBijection(perm)).toBe(true);
      }),
    );
  });

  it('is deterministic for a (seed, stream) and changes with either', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat({ max: 1000 }), (seed, stream) => {
        const a = permutation(50, seed, stream);
        expect(permutation(50, seed, stream)).toEqual(a);
        expect(permutation(50, seed, stream + 1)).not.toEqual(a); // 1/50! chance of a false failure
        expect(permutation(50, seed + 1, stream)).not.toEqual(a);
      }),
    );
  });

  it('puts each element at each position about equally often (Fisher–Yates without an off-by-one)', () => {
    // The classic mistake, j = nextInt(n) instead of nextInt(i + 1), biases positions; so does never swapping with i.
    const n = 4;
    const trials = 24_000;
    const counts = new Array<number>(n * n).fill(0);
    for (let t = 0; t < trials; t++) {
      const perm = permutation(n, 5, t);
      perm.forEach((value, position) => {
        counts[value * n + position] = (counts[value * n + position] ?? 0) + 1;
      });
    }
    const expected = trials / n;
    for (const c of counts) expect(Math.abs(c - expected)).toBeLessThan(5 * Math.sqrt(expected)); // 5 sigma
  });

  it('hits all n! orders of 3 elements with equal frequency', () => {
    const seen = new Map<string, number>();
    const trials = 6000;
    for (let t = 0; t < trials; t++) {
      const key = permutation(3, 11, t).join(',');
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    expect(seen.size).toBe(6);
    for (const c of seen.values()) expect(Math.abs(c - 1000)).toBeLessThan(5 * Math.sqrt(1000));
  });

  it('invertPermutation undoes the permutation', () => {
    fc.assert(
      fc.property(fc.nat({ max: 200 }), fc.nat(), (n, seed) => {
        const perm = permutation(n, seed);
        const inverse = invertPermutation(perm);
        for (let i = 0; i < n; i++) expect(inverse[perm[i] as number]).toBe(i);
      }),
    );
  });
});

describe('shuffle', () => {
  it('reorders a plain array in place, keeping the multiset of items', () => {
    fc.assert(
      fc.property(fc.array(fc.string()), fc.nat(), (items, seed) => {
        const copy = [...items];
        const out = shuffle(copy, new PhiloxRandom(seed));
        expect(out).toBe(copy);
        expect([...out].sort()).toEqual([...items].sort());
      }),
    );
  });

  it('gives a typed array the same order as permutation() for the same seed', () => {
    const values = Float32Array.from({ length: 30 }, (_, i) => i);
    shuffle(values, new PhiloxRandom(3, 2));
    expect(Array.from(values)).toEqual(Array.from(permutation(30, 3, 2)));
  });
});
