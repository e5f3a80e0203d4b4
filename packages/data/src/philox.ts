/**
 * Philox-4x32-10, the counter-based generator of Salmon, Moraes, Dror and Shaw, "Parallel random numbers: as easy as
 * 1, 2, 3" (SC 2011), as implemented by the Random123 library. A block function maps a 128-bit counter and a 64-bit
 * key to 128 random bits; nothing else is stateful, so the n-th number of a stream is known without drawing the
 * n-1 before it, and the same (seed, stream) gives the same numbers on every platform. Checked against Random123's
 * published known-answer vectors (tests/kat_vectors) in philox.test.ts.
 */
import { requireInteger } from './argument-checks.js';

/** Four 32-bit counter words, least significant first. */
export type PhiloxCounter = readonly [number, number, number, number];
/** Two 32-bit key words. */
export type PhiloxKey = readonly [number, number];
/** Four 32-bit output words. */
export type PhiloxBlock = [number, number, number, number];

const MULTIPLIER_0 = 0xd2511f53;
const MULTIPLIER_1 = 0xcd9e8d57;
const WEYL_0 = 0x9e3779b9; // golden ratio
const WEYL_1 = 0xbb67ae85; // sqrt(3) - 1
const TWO_POW_32 = 0x1_0000_0000;

/**
 * High 32 bits of the 64-bit product of two uint32 values. JavaScript numbers hold 53 bits exactly, so the product is
 * assembled from four 16×16-bit partial products, each of which is exact.
 */
export function mulHi32(a: number, b: number): number {
  const aHi = a >>> 16;
  const aLo = a & 0xffff;
  const bHi = b >>> 16;
  const bLo = b & 0xffff;
  const loLo = aLo * bLo;
  const hiLo = aHi * bLo;
  const loHi = aLo * bHi;
  const carry = ((loLo >>> 16) + (hiLo & 0xffff) + (loHi & 0xffff)) >>> 16;
  return (aHi * bHi + (hiLo >>> 16) + (loHi >>> 16) + carry) >>> 0;
}

/**
 * The Philox-4x32 block function with `rounds` rounds (10 is the standard, "Philox-4x32-10").
 *
 * @example
 * ```ts
 * philox4x32([0, 0, 0, 0], [0, 0]); // [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]
 * ```
 */
export function philox4x32(counter: PhiloxCounter, key: PhiloxKey, rounds = 10): PhiloxBlock {
  const out: PhiloxBlock = [0, 0, 0, 0];
  philox4x32Into(out, counter[0], counter[1], counter[2], counter[3], key[0], key[1], rounds);
  return out;
}

/** Allocation-free form of {@link philox4x32} used by the stream: writes the block into `out`. */
function philox4x32Into(
  out: PhiloxBlock | Uint32Array,
  c0: number,
  c1: number,
  c2: number,
  c3: number,
  k0: number,
  k1: number,
  rounds: number,
): void {
  c0 >>>= 0;
  c1 >>>= 0;
  c2 >>>= 0;
  c3 >>>= 0;
  k0 >>>= 0;
  k1 >>>= 0;
  for (let round = 0; round < rounds; round++) {
    if (round > 0) {
      // Random123 bumps the key before every round but the first.
      k0 = (k0 + WEYL_0) >>> 0;
      k1 = (k1 + WEYL_1) >>> 0;
    }
    const hi0 = mulHi32(MULTIPLIER_0, c0);
    const lo0 = Math.imul(MULTIPLIER_0, c0) >>> 0;
    const hi1 = mulHi32(MULTIPLIER_1, c2);
    const lo1 = Math.imul(MULTIPLIER_1, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

/**
 * A reproducible stream of random numbers built on {@link philox4x32}.
 *
 * The key is the seed (low and high 32 bits of a non-negative safe integer). The counter is
 * `[block low, block high, stream low, stream high]`, so streams with different `stream` numbers never overlap and
 * draw n of a stream is word `n mod 4` of block `floor(n / 4)`.
 *
 * @example
 * ```ts
 * const rng = new PhiloxRandom(42, 3); // seed 42, stream 3 (e.g. epoch 3)
 * rng.nextUint32(); // a uint32, the same on every run and platform
 * rng.nextFloat();  // in [0, 1), a multiple of 2^-24 (exact in float32)
 * rng.nextInt(8);   // uniform in {0, ..., 7}, unbiased
 * ```
 */
export class PhiloxRandom {
  readonly seed: number;
  readonly stream: number;
  private readonly key0: number;
  private readonly key1: number;
  private readonly stream0: number;
  private readonly stream1: number;
  private readonly block = new Uint32Array(4);
  private blockIndex = 0;
  private wordInBlock = 4; // 4 = the buffered block is used up

  constructor(seed: number, stream = 0) {
    this.seed = requireInteger('PhiloxRandom', 'seed', seed, 0);
    this.stream = requireInteger('PhiloxRandom', 'stream', stream, 0);
    this.key0 = seed % TWO_POW_32;
    this.key1 = Math.floor(seed / TWO_POW_32);
    this.stream0 = stream % TWO_POW_32;
    this.stream1 = Math.floor(stream / TWO_POW_32);
  }

  /** The next uniformly distributed 32-bit unsigned integer. */
  nextUint32(): number {
    if (this.wordInBlock === 4) {
      const index = this.blockIndex++;
      philox4x32Into(
        this.block,
        index % TWO_POW_32,
        Math.floor(index / TWO_POW_32),
        this.stream0,
        this.stream1,
        this.key0,
        this.key1,
        10,
      );
      this.wordInBlock = 0;
    }
    return this.block[this.wordInBlock++] as number;
  }

  /** A uniform number in [0, 1) with 24 random bits, so it is exactly representable in float32 and never rounds to 1. */
  nextFloat(): number {
    return (this.nextUint32() >>> 8) / 0x100_0000;
  }

  /**
   * A uniform integer in [0, bound), without modulo bias: draws above the largest multiple of `bound` below 2^32
   * are rejected and redrawn.
   */
  nextInt(bound: number): number {
    requireInteger('PhiloxRandom.nextInt', 'bound', bound, 1, TWO_POW_32);
    const limit = TWO_POW_32 - (TWO_POW_32 % bound);
    for (;;) {
      const u = this.nextUint32();
      if (u < limit) return u % bound;
    }
  }
}
