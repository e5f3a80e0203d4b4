import { ValueError } from '../errors.ts';
import { assertShape, numel } from '../shape.ts';
import type { RngKey } from '../spi/ops.ts';
import type { Tensor } from '../tensor.ts';
import { bind } from './bind.ts';
import { type CreateOptions, fromHost, placement } from './create.ts';
import { permutation } from '../rng/distributions.ts';
import { add, cast, cos, floor, log, lt, mul, sqrt, sub, withTemps } from './elementwise.ts';

/** Philox blocks (4 words each) needed for `n` draws: the next independent draw starts this many blocks later. */
export function blocksFor(n: number): number {
  return Math.ceil(n / 4);
}

function checkKey(where: string, key: RngKey): void {
  if (!Number.isSafeInteger(key.seed) || key.seed < 0) throw new ValueError(`${where}: seed ${key.seed}; expected an integer in [0, 2^53)`);
  if (!Number.isInteger(key.stream) || key.stream < 0 || key.stream > 0xffffffff) throw new ValueError(`${where}: stream ${key.stream}; expected an unsigned 32-bit integer`);
  if (!Number.isSafeInteger(key.counter) || key.counter < 0) throw new ValueError(`${where}: counter ${key.counter}; expected an integer in [0, 2^53)`);
}

/** Raw Philox-4x32-10 words as int32 (holding the uint32 bits); identical on every backend. */
export function randomBits(shape: readonly number[], key: RngKey, opts: CreateOptions = {}): Tensor {
  assertShape('randomBits', shape);
  checkKey('randomBits', key);
  return bind('randomBits', [], { key, shape, as: 'bits' }, placement(opts));
}

/**
 * Uniform samples in [lo, hi), identical on every backend for the same key.
 *
 * @example
 * ```ts
 * const u = randomUniform([2, 3], { seed: 42, stream: 0, counter: 0 });
 * ```
 */
export function randomUniform(shape: readonly number[], key: RngKey, lo = 0, hi = 1, opts: CreateOptions = {}): Tensor {
  assertShape('randomUniform', shape);
  checkKey('randomUniform', key);
  const u = bind('randomBits', [], { key, shape, as: 'uniform' }, placement(opts));
  if (lo === 0 && hi === 1) return u;
  return withTemps((t) => add(t(mul(t(u), hi - lo)), lo));
}

/** Standard normal samples by Box–Muller: √(−2 ln(1 − u₁)) · cos(2π u₂), u₂ drawn after u₁'s blocks. */
export function randomNormal(shape: readonly number[], key: RngKey, mean = 0, std = 1, opts: CreateOptions = {}): Tensor {
  const n = numel(shape);
  return withTemps((t) => {
    const u1 = t(randomUniform(shape, key, 0, 1, opts));
    const u2 = t(randomUniform(shape, { ...key, counter: key.counter + blocksFor(n) }, 0, 1, opts));
    const r = t(sqrt(t(mul(t(log(t(sub(1, u1)))), -2))));
    const z = t(mul(r, t(cos(t(mul(u2, 2 * Math.PI))))));
    return mean === 0 && std === 1 ? z.clone() : add(t(mul(z, std)), mean);
  });
}

/** Bernoulli(p) samples as float32 0/1 (1 with probability p). */
export function bernoulli(shape: readonly number[], p: number, key: RngKey, opts: CreateOptions = {}): Tensor {
  if (!(p >= 0 && p <= 1)) throw new ValueError(`bernoulli: p = ${p}; expected a probability in [0, 1]`);
  return withTemps((t) => cast(t(lt(t(randomUniform(shape, key, 0, 1, opts)), p)), 'float32'));
}

/** Integers in [lo, hi) as int32 (floor of a scaled uniform; bias < 2^-24 · (hi − lo)). */
export function randint(shape: readonly number[], lo: number, hi: number, key: RngKey, opts: CreateOptions = {}): Tensor {
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || hi <= lo || hi - lo > 2 ** 24) {
    throw new ValueError(`randint: range [${lo}, ${hi}) is invalid; expected integers with 0 < hi − lo ≤ 2^24`);
  }
  return withTemps((t) => cast(t(add(t(floor(t(mul(t(randomUniform(shape, key, 0, 1, opts)), hi - lo)))), lo)), 'int32'));
}

/** A uniformly random permutation of 0..n−1 (int32), Fisher–Yates driven by the Philox stream of `key`. */
export function randomPermutation(n: number, key: RngKey, opts: CreateOptions = {}): Tensor {
  if (!Number.isSafeInteger(n) || n < 0) throw new ValueError(`randomPermutation: n = ${n}; expected a non-negative integer`);
  checkKey('randomPermutation', key);
  const { runtime, backend } = placement(opts);
  return fromHost(runtime, backend, 'int32', [n], permutation({ seed: key.seed, stream: key.stream }, key.counter, n));
}
