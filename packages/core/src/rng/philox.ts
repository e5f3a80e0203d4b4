/**
 * Philox-4x32-10, the counter-based generator of Salmon, Moraes, Dror and Shaw, "Parallel Random Numbers: As Easy
 * as 1, 2, 3" (SC'11), exactly as the Random123 library defines it, and the one stream layout every nibble backend
 * draws its random bits from.
 *
 * A counter-based generator has no state: the output is a pure function of (counter, key). That is what lets the
 * CPU reference, WebGPU and native backends produce the same bits for the same {@link RngKey} without sharing a
 * sequential state, and what lets each element of a tensor be drawn independently in parallel.
 *
 * @module
 */

import { ValueError } from '../errors.ts';

/** Multiplier of the first Philox S-box (Random123 `PHILOX_M4x32_0`). */
export const PHILOX_M0 = 0xd2511f53;
/** Multiplier of the second Philox S-box (Random123 `PHILOX_M4x32_1`). */
export const PHILOX_M1 = 0xcd9e8d57;
/** Weyl increment added to key word 0 between rounds (golden ratio, Random123 `PHILOX_W32_0`). */
export const PHILOX_W0 = 0x9e3779b9;
/** Weyl increment added to key word 1 between rounds (sqrt(3) - 1, Random123 `PHILOX_W32_1`). */
export const PHILOX_W1 = 0xbb67ae85;
/** Rounds of the standard Philox-4x32-10. */
export const PHILOX_ROUNDS = 10;

/** Four uint32 words: a Philox-4x32 counter or output block. */
export type Philox4x32Block = [number, number, number, number];

/**
 * Thrown when a Philox counter or key, an {@link RngKey}, a stream range or a distribution parameter is outside its
 * documented domain. A {@link ValueError}, so `catch (e) { if (e instanceof ValueError) ... }` sees it too.
 */
export class RngError extends ValueError {
  override name = 'RngError';
}

const TWO_POW_32 = 0x1_0000_0000;

/**
 * High 32 bits of the 64-bit product of two uint32 values.
 *
 * JavaScript numbers hold 53 bits, so `a * b` (up to 64 bits) would be rounded. Splitting b into 16-bit halves keeps
 * every intermediate below 2^49, hence exact in a double:
 * `a·b = a·b_hi·2^16 + a·b_lo`, so `floor(a·b / 2^32) = floor((a·b_hi + floor(a·b_lo / 2^16)) / 2^16)`.
 * (WGSL has no 64-bit integers at all: a WebGPU kernel splits both factors into 16-bit halves so that every partial
 * product fits in a u32, and gets the same high word.)
 *
 * @example
 * mulhi32(0xffffffff, 0xffffffff) // 0xfffffffe
 */
export function mulhi32(a: number, b: number): number {
  return Math.floor((a * (b >>> 16) + Math.floor((a * (b & 0xffff)) / 65536)) / 65536);
}

function checkWords(what: string, words: ArrayLike<number>, length: number): void {
  if (words.length !== length) {
    throw new RngError(`philox4x32: ${what} must have ${length} uint32 words, got ${words.length}`);
  }
  for (let i = 0; i < length; i++) {
    const w = words[i];
    if (w === undefined || !Number.isInteger(w) || w < 0 || w >= TWO_POW_32) {
      throw new RngError(`philox4x32: ${what}[${i}] must be an integer in [0, 2^32), got ${String(w)}`);
    }
  }
}

/**
 * Writes philox4x32_R(counter = [c0, c1, c2, c3], key = [k0, k1]) into `out[at..at+3]`. The hot loop of
 * {@link randomBits}: no allocation and no validation (callers pass uint32 words).
 */
function philoxBlockInto(
  c0: number,
  c1: number,
  c2: number,
  c3: number,
  k0: number,
  k1: number,
  rounds: number,
  out: Uint32Array,
  at: number,
): void {
  for (let r = 0; r < rounds; r++) {
    if (r > 0) {
      // Random123 bumps the key before every round but the first.
      k0 = (k0 + PHILOX_W0) >>> 0;
      k1 = (k1 + PHILOX_W1) >>> 0;
    }
    const hi0 = mulhi32(PHILOX_M0, c0);
    const lo0 = Math.imul(PHILOX_M0, c0) >>> 0;
    const hi1 = mulhi32(PHILOX_M1, c2);
    const lo1 = Math.imul(PHILOX_M1, c2) >>> 0;
    const n0 = (hi1 ^ c1 ^ k0) >>> 0;
    const n2 = (hi0 ^ c3 ^ k1) >>> 0;
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
  }
  out[at] = c0;
  out[at + 1] = c1;
  out[at + 2] = c2;
  out[at + 3] = c3;
}

/**
 * The Philox-4x32 block function: 128-bit counter and 64-bit key in, 128 random bits out.
 *
 * Each round computes (hi, lo) = M × x for two words and mixes them Feistel-style with the other two words and the
 * round key; the key gets the Weyl increments (W0, W1) before every round but the first. With `rounds = 10` this is
 * Random123's `philox4x32` and reproduces its published known-answer vectors.
 *
 * @param counter - 4 uint32 words (word 0 is the least significant).
 * @param key - 2 uint32 words.
 * @param rounds - 10 by default; 7 is Random123's faster `philox4x32_7` (only for testing against its vectors).
 * @returns 4 uint32 words.
 * @throws {@link RngError} when a word is not an integer in [0, 2^32) or an array has the wrong length.
 *
 * @example
 * philox4x32([0, 0, 0, 0], [0, 0]) // [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]
 */
export function philox4x32(
  counter: ArrayLike<number>,
  key: ArrayLike<number>,
  rounds: number = PHILOX_ROUNDS,
): Philox4x32Block {
  checkWords('counter', counter, 4);
  checkWords('key', key, 2);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 16) {
    throw new RngError(`philox4x32: rounds must be an integer in [1, 16], got ${rounds}`);
  }
  const out = new Uint32Array(4);
  philoxBlockInto(
    counter[0] as number,
    counter[1] as number,
    counter[2] as number,
    counter[3] as number,
    key[0] as number,
    key[1] as number,
    rounds,
    out,
    0,
  );
  return [out[0] as number, out[1] as number, out[2] as number, out[3] as number];
}

/**
 * Identifies one random stream.
 *
 * - `seed`: an integer in [0, 2^53 − 1] (any non-negative safe integer). It becomes the Philox key
 *   `[seed mod 2^32, floor(seed / 2^32)]`.
 * - `stream`: an integer in [0, 2^32 − 1]. It becomes counter word 2, so different streams of one seed never share
 *   a counter value and are independent by construction (e.g. one stream per layer, per quantizer or per step).
 *
 * @example
 * const key: RngKey = { seed: 42, stream: 3 };
 */
export interface RngKey {
  readonly seed: number;
  readonly stream: number;
}

function checkKey(fn: string, key: RngKey): void {
  if (!Number.isSafeInteger(key.seed) || key.seed < 0) {
    throw new RngError(`${fn}: key.seed must be an integer in [0, 2^53 - 1], got ${String(key.seed)}`);
  }
  if (!Number.isInteger(key.stream) || key.stream < 0 || key.stream >= TWO_POW_32) {
    throw new RngError(`${fn}: key.stream must be an integer in [0, 2^32 - 1], got ${String(key.stream)}`);
  }
}

/**
 * Checks that the `words` uint32 words starting at block `counterOffset` address counters below 2^53 and returns the
 * number of Philox blocks they span. Exported for the distributions, which validate before drawing.
 *
 * @internal
 */
export function checkStreamRange(fn: string, key: RngKey, counterOffset: number, words: number): number {
  checkKey(fn, key);
  if (!Number.isSafeInteger(counterOffset) || counterOffset < 0) {
    throw new RngError(`${fn}: counterOffset must be an integer in [0, 2^53 - 1], got ${String(counterOffset)}`);
  }
  if (!Number.isSafeInteger(words) || words < 0) {
    throw new RngError(`${fn}: element count must be a non-negative safe integer, got ${String(words)}`);
  }
  const blocks = blocksForWords(words);
  // Written as a difference: counterOffset + blocks - 1 could round back below 2^53.
  if (blocks > 0 && blocks - 1 > Number.MAX_SAFE_INTEGER - counterOffset) {
    throw new RngError(
      `${fn}: counters ${counterOffset}..${counterOffset} + ${blocks - 1} pass 2^53 - 1; use a smaller counterOffset`,
    );
  }
  return blocks;
}

/**
 * Number of Philox blocks (counter values) that `words` uint32 words use: `ceil(words / 4)`. Add it to a
 * `counterOffset` to get the offset of the next, non-overlapping draw of the same key.
 *
 * @example
 * blocksForWords(10) // 3
 */
export function blocksForWords(words: number): number {
  return Math.ceil(words / 4);
}

/**
 * Fills `out` with the stream of `key` starting at block `counterOffset`; see {@link randomBits} for the layout.
 *
 * @example
 * const bits = new Uint32Array(8);
 * randomBitsInto({ seed: 1, stream: 0 }, 0, bits);
 */
export function randomBitsInto(key: RngKey, counterOffset: number, out: Uint32Array): Uint32Array {
  const n = out.length;
  const blocks = checkStreamRange('randomBits', key, counterOffset, n);
  const k0 = key.seed % TWO_POW_32;
  const k1 = Math.floor(key.seed / TWO_POW_32);
  const c2 = key.stream;
  const block = new Uint32Array(4);
  const whole = Math.floor(n / 4);
  let cLo = counterOffset % TWO_POW_32;
  let cHi = Math.floor(counterOffset / TWO_POW_32);
  for (let b = 0; b < blocks; b++) {
    if (b < whole) {
      philoxBlockInto(cLo, cHi, c2, 0, k0, k1, PHILOX_ROUNDS, out, 4 * b);
    } else {
      // The last, partial block: only its first n mod 4 words are used.
      philoxBlockInto(cLo, cHi, c2, 0, k0, k1, PHILOX_ROUNDS, block, 0);
      for (let w = 0; 4 * b + w < n; w++) out[4 * b + w] = block[w] as number;
    }
    cLo += 1;
    if (cLo === TWO_POW_32) {
      cLo = 0;
      cHi += 1;
    }
  }
  return out;
}

/**
 * `n` random uint32 words of the stream `key`, starting at block `counterOffset`. This layout is the contract every
 * backend (CPU reference, WebGPU, native) reimplements bit for bit:
 *
 * ```
 * word i = philox4x32_10(counter = [c mod 2^32, floor(c / 2^32), key.stream, 0],
 *                        key     = [key.seed mod 2^32, floor(key.seed / 2^32)])[i mod 4]
 *   where c = counterOffset + floor(i / 4)
 * ```
 *
 * So element i depends only on (key, counterOffset, i): a kernel computes it independently, and a draw of `n` words
 * consumes `blocksForWords(n)` counter values. Two draws of one key do not overlap when the second starts at
 * `counterOffset + blocksForWords(n)` or later.
 *
 * Domain: `counterOffset` and `counterOffset + blocksForWords(n) − 1` are integers in [0, 2^53 − 1]; see
 * {@link RngKey} for seed and stream.
 *
 * @throws {@link RngError} when the key, offset or count is outside that domain.
 *
 * @example
 * const bits = randomBits({ seed: 42, stream: 0 }, 0, 6); // Uint32Array(6)
 * const next = randomBits({ seed: 42, stream: 0 }, blocksForWords(6), 6); // the following, non-overlapping draw
 */
export function randomBits(key: RngKey, counterOffset: number, n: number): Uint32Array {
  checkStreamRange('randomBits', key, counterOffset, n);
  return randomBitsInto(key, counterOffset, new Uint32Array(n));
}

/** 2^-24: the spacing of {@link bitsToUniform}'s results. */
export const UNIFORM_STEP = 1 / 16_777_216;

/**
 * Maps a uint32 word to a uniform number in [0, 1): `(u32 >>> 8) * 2^-24`.
 *
 * It keeps the top 24 bits, so every result is a multiple of 2^-24 below 1 and is exactly representable as a
 * float32: WGSL `f32(u >> 8u) * 5.9604645e-8` gives the same value bit for bit. (Using all 32 bits would round
 * to 1.0 in float32.)
 *
 * @example
 * bitsToUniform(0xffffffff) // 0.999999940395355 (1 - 2^-24)
 */
export function bitsToUniform(u32: number): number {
  return (u32 >>> 8) * UNIFORM_STEP;
}
