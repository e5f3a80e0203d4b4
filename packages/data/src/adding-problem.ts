/**
 * The adding problem (Hochreiter & Schmidhuber 1997), in the standard form of Le, Jaitly & Hinton 2015 and
 * Arjovsky, Shah & Bengio 2016. Each step has two input channels:
 * - channel 0: a value drawn uniformly from [0, 1);
 * - channel 1: a marker, 1 at exactly two positions and 0 elsewhere. The first marked position is drawn uniformly from
 *   the first half, [0, ⌊T/2⌋), the second uniformly from the second half, [⌊T/2⌋, T).
 * The target is the sum of the two marked values.
 */
import { requireInteger } from './argument-checks.js';
import { PhiloxRandom } from './philox.js';
import type { ShapedArray } from './shaped-array.js';

/** Options of {@link addingProblem}. */
export interface AddingProblemOptions {
  /** Sequence length T, at least 2. */
  readonly length: number;
  /** Number of examples N. */
  readonly count: number;
  /** Seed: example i depends only on (seed, i). */
  readonly seed: number;
}

/** Adding-problem examples: `x` Float32Array [N, T, 2] (value, marker), `y` Float32Array [N, 1] (the sum). */
export interface AddingProblemData {
  readonly x: ShapedArray<Float32Array>;
  readonly y: ShapedArray<Float32Array>;
}

/**
 * Mean squared error of the baseline that always predicts 1, the mean of the sum of two independent U(0, 1) values:
 * the variance of that sum, 2 · 1/12 = 1/6. A model has learned something only below this.
 */
export const ADDING_PROBLEM_BASELINE_MSE = 1 / 6;

/**
 * Generates N adding-problem examples. Example i draws from `PhiloxRandom(seed, i)`: T values, then the first marked
 * position, then the second.
 *
 * @example
 * ```ts
 * const { x, y } = addingProblem({ length: 200, count: 1000, seed: 3 });
 * x.shape; // [1000, 200, 2]
 * y.shape; // [1000, 1], each in [0, 2)
 * ```
 */
export function addingProblem(options: AddingProblemOptions): AddingProblemData {
  const length = requireInteger('addingProblem', 'length', options.length, 2);
  const count = requireInteger('addingProblem', 'count', options.count, 0);
  const seed = requireInteger('addingProblem', 'seed', options.seed, 0);
  const half = Math.floor(length / 2);
  const x = new Float32Array(count * length * 2);
  const y = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const rng = new PhiloxRandom(seed, i);
    const row = i * length * 2;
    for (let t = 0; t < length; t++) x[row + 2 * t] = rng.nextFloat();
    const first = rng.nextInt(half);
    const second = half + rng.nextInt(length - half);
    x[row + 2 * first + 1] = 1;
    x[row + 2 * second + 1] = 1;
    // The float32 values are summed in float64 and rounded once, so y equals the sum of what the model sees.
    y[i] = (x[row + 2 * first] as number) + (x[row + 2 * second] as number);
  }
  return { x: { data: x, shape: [count, length, 2] }, y: { data: y, shape: [count, 1] } };
}
