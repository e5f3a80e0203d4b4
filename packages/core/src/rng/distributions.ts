/**
 * Random distributions drawn from the Philox stream of {@link randomBits}, as pure typed-array functions.
 *
 * Every function takes `(key, counterOffset, n, ...)`, documents exactly which words of the stream element i reads
 * and how many counter blocks the call consumes (so the next independent draw can start right after it), and uses
 * a fixed number of words per element: a GPU kernel can compute any element on its own. Integer and boolean results
 * (bernoulli, randint, permutation) are bit-exact across backends; float results are exact for `uniform(0, 1)` and
 * within an ulp or two of float32 elsewhere, because backends evaluate log/cos/sin and the affine map in their own
 * precision.
 *
 * @module
 */

import {
  RngError,
  UNIFORM_STEP,
  bitsToUniform,
  checkStreamRange,
  mulhi32,
  randomBits,
  type RngKey,
} from './philox.ts';

const TWO_POW_32 = 0x1_0000_0000;
const INT32_MIN = -0x8000_0000;
const INT32_LIMIT = 0x8000_0000;

/** Largest float32 strictly below the float32 `x`. */
function float32Below(x: number): number {
  const f = new Float32Array([x]);
  const bits = new Int32Array(f.buffer);
  if (x > 0) bits[0] = (bits[0] as number) - 1;
  else if (x < 0) bits[0] = (bits[0] as number) + 1;
  else return -(2 ** -149);
  return f[0] as number;
}

function checkCount(fn: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RngError(`${fn}: n must be a non-negative integer, got ${n}`);
}

function checkFinite(fn: string, name: string, value: number): void {
  if (!Number.isFinite(value)) throw new RngError(`${fn}: ${name} must be a finite number, got ${value}`);
}

/**
 * `n` float32 values uniform in [lo, hi).
 *
 * Element i reads word i: `v = fround(lo' + (hi' − lo') · bitsToUniform(word_i))` in float64 with
 * `lo' = fround(lo)`, `hi' = fround(hi)`; a `v` that rounds up to `hi'` becomes the largest float32 below `hi'`.
 * Consumes `blocksForWords(n)` counter blocks. For lo = 0, hi = 1 the result is `bitsToUniform(word_i)` exactly.
 *
 * @throws {@link RngError} when lo/hi are not finite or fround(lo) ≥ fround(hi), or the key/range is invalid.
 *
 * @example
 * const u = uniform({ seed: 7, stream: 0 }, 0, 1000, -1, 1); // Float32Array(1000) in [-1, 1)
 */
export function uniform(key: RngKey, counterOffset: number, n: number, lo = 0, hi = 1): Float32Array {
  checkCount('uniform', n);
  checkFinite('uniform', 'lo', lo);
  checkFinite('uniform', 'hi', hi);
  const lo32 = Math.fround(lo);
  const hi32 = Math.fround(hi);
  if (!(lo32 < hi32)) {
    throw new RngError(`uniform: need lo < hi after rounding to float32, got lo=${lo} (${lo32}), hi=${hi} (${hi32})`);
  }
  const words = randomBits(key, counterOffset, n);
  const out = new Float32Array(n);
  const width = hi32 - lo32;
  const top = float32Below(hi32);
  for (let i = 0; i < n; i++) {
    const v = Math.fround(lo32 + width * bitsToUniform(words[i] as number));
    out[i] = v >= hi32 ? top : v;
  }
  return out;
}

/**
 * `n` float32 values from a normal distribution N(mean, std²) by the Box–Muller transform.
 *
 * Pair j (elements 2j and 2j+1) reads words 2j and 2j+1:
 * ```
 * u1 = ((word_2j >>> 8) + 1) · 2^-24      in (0, 1], so log(u1) is finite
 * u2 =  (word_2j+1 >>> 8)    · 2^-24      in [0, 1)
 * r  = sqrt(−2 · ln u1),   θ = 2π · u2
 * element 2j   = fround(mean + std · r · cos θ)
 * element 2j+1 = fround(mean + std · r · sin θ)
 * ```
 * evaluated in float64. Consumes `blocksForWords(2 · ceil(n / 2))` counter blocks (an odd n drops the last sine).
 * Since u1 ≥ 2^-24, |z| ≤ sqrt(48 ln 2) ≈ 5.77: the tail beyond 5.77σ (probability 8e-9) is cut off.
 *
 * @throws {@link RngError} when mean/std are not finite or std < 0, or the key/range is invalid.
 *
 * @example
 * const z = normal({ seed: 7, stream: 1 }, 0, 1000); // Float32Array(1000), mean ≈ 0, variance ≈ 1
 */
export function normal(key: RngKey, counterOffset: number, n: number, mean = 0, std = 1): Float32Array {
  checkCount('normal', n);
  checkFinite('normal', 'mean', mean);
  checkFinite('normal', 'std', std);
  if (std < 0) throw new RngError(`normal: std must be >= 0, got ${std}`);
  const pairs = Math.ceil(n / 2);
  checkStreamRange('normal', key, counterOffset, 2 * pairs);
  const words = randomBits(key, counterOffset, 2 * pairs);
  const out = new Float32Array(n);
  for (let j = 0; j < pairs; j++) {
    const u1 = (((words[2 * j] as number) >>> 8) + 1) * UNIFORM_STEP;
    const u2 = ((words[2 * j + 1] as number) >>> 8) * UNIFORM_STEP;
    const r = Math.sqrt(-2 * Math.log(u1));
    const theta = 2 * Math.PI * u2;
    out[2 * j] = mean + std * (r * Math.cos(theta));
    if (2 * j + 1 < n) out[2 * j + 1] = mean + std * (r * Math.sin(theta));
  }
  return out;
}

/**
 * `n` Bernoulli(p) draws as 0/1 bytes.
 *
 * Element i reads word i: `1` when `bitsToUniform(word_i) < fround(p)`, else `0` (p is rounded to float32 first so
 * a float32 GPU kernel compares the same two values). p = 0 gives all zeros, p = 1 all ones. Consumes
 * `blocksForWords(n)` counter blocks.
 *
 * @throws {@link RngError} when p is not in [0, 1], or the key/range is invalid.
 *
 * @example
 * const keep = bernoulli({ seed: 7, stream: 2 }, 0, 1000, 0.9); // Uint8Array, ~90% ones (a dropout mask)
 */
export function bernoulli(key: RngKey, counterOffset: number, n: number, p: number): Uint8Array {
  checkCount('bernoulli', n);
  if (!(p >= 0 && p <= 1)) throw new RngError(`bernoulli: p must be in [0, 1], got ${p}`);
  const words = randomBits(key, counterOffset, n);
  const threshold = Math.fround(p);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = bitsToUniform(words[i] as number) < threshold ? 1 : 0;
  return out;
}

/**
 * `floor(x · range / 2^64)` for the 64-bit `x = hi · 2^32 + lo` and an integer range in [1, 2^32], exactly.
 *
 * This is Lemire's multiply-shift reduction without the rejection step: each of the `range` results has probability
 * floor(2^64 / range) / 2^64 or ceil(2^64 / range) / 2^64, so the bias is below range / 2^64 ≤ 2^-32 — far below
 * anything a test or a training run can see — and every draw uses exactly two words, which GPU kernels need
 * (rejection sampling would make the number of words per element data-dependent).
 */
function scaleWordPair(lo: number, hi: number, range: number): number {
  if (range === TWO_POW_32) return hi;
  // hi · range = h1 · 2^32 + l1 and lo · range = h2 · 2^32 + l2; the result is h1 plus the carry of l1 + h2.
  const h1 = mulhi32(hi, range);
  const l1 = Math.imul(hi, range) >>> 0;
  const h2 = mulhi32(lo, range);
  return h1 + (l1 + h2 >= TWO_POW_32 ? 1 : 0);
}

/**
 * `n` integers uniform in [lo, hi) as int32.
 *
 * Element i reads words 2i and 2i+1 as the 64-bit `x = word_2i+1 · 2^32 + word_2i` and returns
 * `lo + floor(x · (hi − lo) / 2^64)` (the multiply-shift method; bias below 2^-32 per value, see the source).
 * Consumes `blocksForWords(2n)` counter blocks.
 *
 * @throws {@link RngError} when lo/hi are not integers with −2^31 ≤ lo < hi ≤ 2^31, or the key/range is invalid.
 *
 * @example
 * const dice = randint({ seed: 7, stream: 3 }, 0, 100, 1, 7); // Int32Array of values in 1..6
 */
export function randint(key: RngKey, counterOffset: number, n: number, lo: number, hi: number): Int32Array {
  checkCount('randint', n);
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < INT32_MIN || hi > INT32_LIMIT || lo >= hi) {
    throw new RngError(`randint: need integers -2^31 <= lo < hi <= 2^31, got lo=${lo}, hi=${hi}`);
  }
  checkStreamRange('randint', key, counterOffset, 2 * n);
  const words = randomBits(key, counterOffset, 2 * n);
  const range = hi - lo;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + scaleWordPair(words[2 * i] as number, words[2 * i + 1] as number, range);
  return out;
}

/**
 * A uniformly random permutation of 0..n−1 (Fisher–Yates, driven by the stream).
 *
 * Starting from the identity, step t = 0..n−2 sets i = n−1−t, reads words 2t and 2t+1 as in {@link randint} to get
 * `j = floor(x · (i + 1) / 2^64)` in [0, i], and swaps elements i and j. Consumes `blocksForWords(2 · (n − 1))`
 * counter blocks (none for n ≤ 1).
 *
 * @throws {@link RngError} when n is not an integer in [0, 2^31 − 1], or the key/range is invalid.
 *
 * @example
 * const order = permutation({ seed: 7, stream: 4 }, 0, 60000); // shuffled example indices for one epoch
 */
export function permutation(key: RngKey, counterOffset: number, n: number): Int32Array {
  if (!Number.isInteger(n) || n < 0 || n >= INT32_LIMIT) {
    throw new RngError(`permutation: n must be an integer in [0, 2^31 - 1], got ${n}`);
  }
  const steps = Math.max(0, n - 1);
  checkStreamRange('permutation', key, counterOffset, 2 * steps);
  const words = randomBits(key, counterOffset, 2 * steps);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  for (let t = 0; t < steps; t++) {
    const i = n - 1 - t;
    const j = scaleWordPair(words[2 * t] as number, words[2 * t + 1] as number, i + 1);
    const tmp = out[i] as number;
    out[i] = out[j] as number;
    out[j] = tmp;
  }
  return out;
}
