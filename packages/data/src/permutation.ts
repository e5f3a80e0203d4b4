import { requireInteger } from './argument-checks.js';
import { PhiloxRandom } from './philox.js';

/** Anything {@link shuffle} can reorder in place: a plain array or a typed array. */
export interface MutableArrayLike {
  readonly length: number;
  [index: number]: unknown;
}

/**
 * Shuffles `items` in place with the Fisher–Yates algorithm (Durstenfeld's form: for i from n−1 down to 1, swap item
 * i with a uniform item in [0, i]), drawing from `rng`. Every one of the n! orders is equally likely.
 *
 * @returns `items`, reordered.
 * @example
 * ```ts
 * shuffle(['a', 'b', 'c'], new PhiloxRandom(1)); // same order on every run
 * ```
 */
export function shuffle<A extends MutableArrayLike>(items: A, rng: PhiloxRandom): A {
  const a: MutableArrayLike = items;
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    const tmp = a[i];
    a[i] = a[j];
    a[j] = tmp;
  }
  return items;
}

/**
 * A uniformly random permutation of 0..n−1, determined by `seed` and `stream`: `perm[i]` is the original index that
 * goes to position i. Drawn by {@link shuffle} from a {@link PhiloxRandom}(seed, stream).
 *
 * @example
 * ```ts
 * const perm = permutation(5, 42);      // e.g. Int32Array [3, 0, 4, 1, 2], the same every run
 * const epoch1 = permutation(5, 42, 1); // another, independent order
 * ```
 */
export function permutation(n: number, seed: number, stream = 0): Int32Array {
  requireInteger('permutation', 'n', n, 0, 0x7fffffff);
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  shuffle(perm, new PhiloxRandom(seed, stream));
  return perm;
}

/**
 * The inverse of a permutation: `inverse[perm[i]] = i`.
 *
 * @example
 * ```ts
 * invertPermutation(Int32Array.of(2, 0, 1)); // Int32Array [1, 2, 0]
 * ```
 */
export function invertPermutation(perm: Int32Array): Int32Array {
  const inverse = new Int32Array(perm.length);
  for (let i = 0; i < perm.length; i++) inverse[perm[i] as number] = i;
  return inverse;
}
