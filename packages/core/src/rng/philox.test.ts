import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  RngError,
  bitsToUniform,
  blocksForWords,
  mulhi32,
  philox4x32,
  randomBits,
  randomBitsInto,
  type RngKey,
} from './philox.ts';

interface PhiloxFixture {
  blocks: { counter: number[]; key: number[]; out: number[] }[];
  streams: { seed: number; stream: number; counterOffset: number; n: number; words: number[] }[];
}
const fixture = JSON.parse(
  readFileSync(new URL('../../test/fixtures/philox4x32-10.json', import.meta.url), 'utf8'),
) as PhiloxFixture;

// Random123 examples/kat_vectors (D. E. Shaw Research): name, rounds, counter[4], key[2] -> output[4].
const KAT_VECTORS = `
philox4x32 7 00000000 00000000 00000000 00000000 00000000 00000000   5f6fb709 0d893f64 4f121f81 4f730a48
philox4x32 7 ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff   5207ddc2 45165e59 4d8ee751 8c52f662
philox4x32 7 243f6a88 85a308d3 13198a2e 03707344 a4093822 299f31d0   4dfccaba 190a87f0 c47362ba b6b5242a
philox4x32 10 00000000 00000000 00000000 00000000 00000000 00000000   6627e8d5 e169c58d bc57ac4c 9b00dbd8
philox4x32 10 ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff   408f276d 41c83b0e a20bc7c6 6d5451fd
philox4x32 10 243f6a88 85a308d3 13198a2e 03707344 a4093822 299f31d0   d16cfe09 94fdcceb 5001e420 24126ea1
`
  .trim()
  .split('\n')
  .map((line) => {
    const [, rounds, ...hex] = line.trim().split(/\s+/);
    const words = hex.map((h) => Number.parseInt(h, 16));
    return { rounds: Number(rounds), counter: words.slice(0, 4), key: words.slice(4, 6), out: words.slice(6, 10) };
  });

const uint32 = fc.nat({ max: 0xffffffff });

describe('mulhi32', () => {
  it('equals the high word of the exact 64-bit product (BigInt oracle)', () => {
    fc.assert(
      fc.property(uint32, uint32, (a, b) => {
        expect(mulhi32(a, b)).toBe(Number((BigInt(a) * BigInt(b)) >> 32n));
      }),
      { numRuns: 20_000 },
    );
  });

  it('is exact at the extremes where a float64 product would round', () => {
    for (const [a, b] of [
      [0xffffffff, 0xffffffff],
      [0xd2511f53, 0xffffffff],
      [0xcd9e8d57, 0x80000001],
      [0, 0xffffffff],
      [0x10000, 0x10000],
    ] as const) {
      expect(mulhi32(a, b)).toBe(Number((BigInt(a) * BigInt(b)) >> 32n));
    }
  });
});

describe('philox4x32 (Random123 known answers)', () => {
  it.each(KAT_VECTORS)('philox4x32_$rounds($counter, $key) matches kat_vectors', ({ rounds, counter, key, out }) => {
    expect(philox4x32(counter, key, rounds)).toEqual(out);
  });

  it('defaults to 10 rounds', () => {
    const kat = KAT_VECTORS[5];
    expect(kat).toBeDefined();
    expect(philox4x32(kat!.counter, kat!.key)).toEqual(kat!.out);
  });

  it('matches randomgen Philox(4, 32) on 32 random counters and keys (fixture)', () => {
    expect(fixture.blocks.length).toBe(32);
    for (const { counter, key, out } of fixture.blocks) {
      expect(philox4x32(counter, key)).toEqual(out);
    }
  });

  it('accepts Uint32Array inputs', () => {
    expect(philox4x32(new Uint32Array(4), new Uint32Array(2))).toEqual([0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
  });

  it('refuses words outside uint32 and wrong lengths with RngError', () => {
    expect(() => philox4x32([0, 0, 0, -1], [0, 0])).toThrow(RngError);
    expect(() => philox4x32([0, 0, 0, 2 ** 32], [0, 0])).toThrow(/counter\[3\] must be an integer in \[0, 2\^32\)/);
    expect(() => philox4x32([0, 0, 0, 0.5], [0, 0])).toThrow(RngError);
    expect(() => philox4x32([0, 0, 0], [0, 0])).toThrow(/counter must have 4 uint32 words, got 3/);
    expect(() => philox4x32([0, 0, 0, 0], [0])).toThrow(/key must have 2 uint32 words, got 1/);
    expect(() => philox4x32([0, 0, 0, 0], [0, 0], 0)).toThrow(RngError);
  });
});

describe('randomBits stream layout', () => {
  it.each(fixture.streams)(
    'seed $seed, stream $stream, counterOffset $counterOffset, n $n matches randomgen',
    ({ seed, stream, counterOffset, n, words }) => {
      expect(Array.from(randomBits({ seed, stream }, counterOffset, n))).toEqual(words);
    },
  );

  it('word i is word (i mod 4) of philox4x32(counter = [c_lo, c_hi, stream, 0], key = [seed_lo, seed_hi])', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: Number.MAX_SAFE_INTEGER }),
        uint32,
        fc.nat({ max: 2 ** 40 }),
        fc.nat({ max: 40 }),
        (seed, stream, counterOffset, n) => {
          const bits = randomBits({ seed, stream }, counterOffset, n);
          expect(bits.length).toBe(n);
          for (let i = 0; i < n; i++) {
            const c = counterOffset + Math.floor(i / 4);
            const block = philox4x32(
              [c % 2 ** 32, Math.floor(c / 2 ** 32), stream, 0],
              [seed % 2 ** 32, Math.floor(seed / 2 ** 32)],
            );
            expect(bits[i]).toBe(block[i % 4]);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a draw is a prefix of a longer draw, and draws at consecutive offsets concatenate', () => {
    fc.assert(
      fc.property(fc.nat({ max: 1000 }), fc.nat({ max: 50 }), fc.nat({ max: 50 }), (seed, n, m) => {
        const key: RngKey = { seed, stream: 1 };
        const long = randomBits(key, 10, 4 * blocksForWords(n) + m);
        expect(Array.from(randomBits(key, 10, n))).toEqual(Array.from(long.subarray(0, n)));
        const next = randomBits(key, 10 + blocksForWords(n), m);
        expect(Array.from(next)).toEqual(Array.from(long.subarray(4 * blocksForWords(n))));
      }),
    );
  });

  it('randomBitsInto fills the given array with the same words', () => {
    const out = new Uint32Array(11);
    expect(randomBitsInto({ seed: 5, stream: 6 }, 7, out)).toBe(out);
    expect(Array.from(out)).toEqual(Array.from(randomBits({ seed: 5, stream: 6 }, 7, 11)));
  });

  it('different streams and seeds give different words', () => {
    const a = randomBits({ seed: 1, stream: 0 }, 0, 64);
    const b = randomBits({ seed: 1, stream: 1 }, 0, 64);
    const c = randomBits({ seed: 2, stream: 0 }, 0, 64);
    const same = (x: Uint32Array, y: Uint32Array): number => x.filter((v, i) => v === y[i]).length;
    expect(same(a, b)).toBeLessThan(2);
    expect(same(a, c)).toBeLessThan(2);
  });

  it('refuses keys and ranges outside the documented domain with RngError', () => {
    expect(() => randomBits({ seed: -1, stream: 0 }, 0, 1)).toThrow(/key.seed must be an integer in \[0, 2\^53 - 1\], got -1/);
    expect(() => randomBits({ seed: 2 ** 53, stream: 0 }, 0, 1)).toThrow(RngError);
    expect(() => randomBits({ seed: 0.5, stream: 0 }, 0, 1)).toThrow(RngError);
    expect(() => randomBits({ seed: 0, stream: 2 ** 32 }, 0, 1)).toThrow(/key.stream must be an integer in \[0, 2\^32 - 1\]/);
    expect(() => randomBits({ seed: 0, stream: 0 }, -1, 1)).toThrow(/counterOffset/);
    expect(() => randomBits({ seed: 0, stream: 0 }, 0, -1)).toThrow(RngError);
    expect(() => randomBits({ seed: 0, stream: 0 }, 0, 1.5)).toThrow(RngError);
    expect(() => randomBits({ seed: 0, stream: 0 }, Number.MAX_SAFE_INTEGER, 5)).toThrow(/pass 2\^53 - 1/);
    expect(randomBits({ seed: 0, stream: 0 }, Number.MAX_SAFE_INTEGER, 4).length).toBe(4);
    expect(randomBits({ seed: 0, stream: 0 }, 0, 0).length).toBe(0);
  });
});

describe('bitsToUniform', () => {
  it('is (u >>> 8) * 2^-24: in [0, 1), a multiple of 2^-24, exact in float32', () => {
    fc.assert(
      fc.property(uint32, (u) => {
        const x = bitsToUniform(u);
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThan(1);
        expect(x * 2 ** 24).toBe(Math.floor(u / 256));
        expect(Math.fround(x)).toBe(x);
      }),
    );
    expect(bitsToUniform(0)).toBe(0);
    expect(bitsToUniform(0xffffffff)).toBe(1 - 2 ** -24);
    expect(bitsToUniform(0x80000000)).toBe(0.5);
  });
});
