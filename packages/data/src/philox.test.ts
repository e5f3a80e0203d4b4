import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mulHi32, philox4x32, PhiloxRandom, type PhiloxCounter, type PhiloxKey } from './philox.js';
import { DataArgumentError } from './errors.js';

// Random123 tests/kat_vectors, the three "philox4x32 10" lines: counter (4 words), key (2 words), expected (4 words).
const KNOWN_ANSWERS: readonly [PhiloxCounter, PhiloxKey, readonly number[]][] = [
  [[0, 0, 0, 0], [0, 0], [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]],
  [
    [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
    [0xffffffff, 0xffffffff],
    [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
  ],
  [
    [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
    [0xa4093822, 0x299f31d0],
    [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
  ],
];

describe('philox4x32', () => {
  it.each(KNOWN_ANSWERS)('matches the Random123 known-answer vector for counter %j key %j', (counter, key, expected) => {
    expect(philox4x32(counter, key)).toEqual(expected);
  });

  it('mulHi32 equals the high word of the exact 64-bit product', () => {
    const u32 = fc.integer({ min: 0, max: 0xffffffff });
    fc.assert(
      fc.property(u32, u32, (a, b) => {
        expect(mulHi32(a, b)).toBe(Number((BigInt(a) * BigInt(b)) >> 32n));
      }),
      { numRuns: 2000 },
    );
    expect(mulHi32(0xffffffff, 0xffffffff)).toBe(0xfffffffe);
  });
});

describe('PhiloxRandom', () => {
  it('draw n is word n mod 4 of the block with counter [n / 4, 0, stream, 0] and key [seed low, seed high]', () => {
    const seed = 2 ** 40 + 12345;
    const rng = new PhiloxRandom(seed, 7);
    for (let block = 0; block < 5; block++) {
      const expected = philox4x32([block, 0, 7, 0], [12345, 2 ** 8]);
      const drawn = [rng.nextUint32(), rng.nextUint32(), rng.nextUint32(), rng.nextUint32()];
      expect(drawn).toEqual(expected);
    }
  });

  it('is deterministic for a (seed, stream) and differs across seeds and streams', () => {
    const draw = (seed: number, stream: number) => {
      const rng = new PhiloxRandom(seed, stream);
      return Array.from({ length: 8 }, () => rng.nextUint32());
    };
    expect(draw(1, 0)).toEqual(draw(1, 0));
    expect(draw(1, 0)).not.toEqual(draw(2, 0));
    expect(draw(1, 0)).not.toEqual(draw(1, 1));
  });

  it('nextFloat lies in [0, 1) and is exact in float32', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), (seed, stream) => {
        const rng = new PhiloxRandom(seed, stream);
        for (let i = 0; i < 16; i++) {
          const u = rng.nextFloat();
          expect(u).toBeGreaterThanOrEqual(0);
          expect(u).toBeLessThan(1);
          expect(Math.fround(u)).toBe(u);
        }
      }),
    );
  });

  it('nextInt stays in range and is close to uniform (chi-square over 8 bins, 80 000 draws)', () => {
    const rng = new PhiloxRandom(99);
    const bins = new Array<number>(8).fill(0);
    const draws = 80_000;
    for (let i = 0; i < draws; i++) {
      const k = rng.nextInt(8);
      bins[k] = (bins[k] ?? 0) + 1;
    }
    const expected = draws / 8;
    const chiSquare = bins.reduce((sum, n) => sum + (n - expected) ** 2 / expected, 0);
    expect(chiSquare).toBeLessThan(24.3); // 0.999 quantile of chi-square with 7 degrees of freedom
  });

  it('nextInt(bound) returns only values in [0, bound) for any bound', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 32 }), fc.nat(), (bound, seed) => {
        const rng = new PhiloxRandom(seed);
        for (let i = 0; i < 8; i++) {
          const k = rng.nextInt(bound);
          expect(Number.isInteger(k) && k >= 0 && k < bound).toBe(true);
        }
      }),
    );
  });

  it('rejects seeds, streams and bounds that are not non-negative integers', () => {
    expect(() => new PhiloxRandom(-1)).toThrow(DataArgumentError);
    expect(() => new PhiloxRandom(1.5)).toThrow(/PhiloxRandom: seed must be an integer >= 0, got 1.5/);
    expect(() => new PhiloxRandom(0, Number.NaN)).toThrow(DataArgumentError);
    expect(() => new PhiloxRandom(0).nextInt(0)).toThrow(/nextInt: bound must be an integer in \[1, 4294967296\], got 0/);
  });
});
