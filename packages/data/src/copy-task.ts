/**
 * The copy task (Hochreiter & Schmidhuber 1997; in the form of Arjovsky, Shah & Bengio 2016 used by QORNN), exactly as
 * quantizers-spec §7.7 defines it. With gap T:
 * - input:  10 symbols from {1..8}, then T−1 blanks (0), a marker (9), then 10 blanks — length T + 20;
 * - target: T + 10 blanks, then the same 10 symbols — length T + 20.
 */
import { requireInteger } from './argument-checks.js';
import { PhiloxRandom } from './philox.js';
import type { ShapedArray } from './shaped-array.js';

/** The copy task's alphabet and sizes (§7.7). */
export const COPY_TASK = {
  /** Blank symbol, in inputs and targets. */
  blank: 0,
  /** "Start recalling now" marker, in inputs only. */
  marker: 9,
  /** Symbols to remember are drawn uniformly from 1..symbolCount. */
  symbolCount: 8,
  /** How many symbols are remembered. */
  memoryLength: 10,
  /** Input ids are 0..9: one-hot size 10. */
  inputClasses: 10,
  /** Target ids are 0..8: 9 output classes. */
  outputClasses: 9,
} as const;

/** Options of {@link copyTask}. */
export interface CopyTaskOptions {
  /** T: the delay between the last symbol and the marker is T−1 blanks. At least 1. */
  readonly gap: number;
  /** Number of examples N. */
  readonly count: number;
  /** Seed: example i depends only on (seed, i), so a larger `count` extends the same dataset. */
  readonly seed: number;
}

/** Copy-task examples: `x` and `y` are both Int32Array ids of shape [N, T + 20]. */
export interface CopyTaskData {
  readonly x: ShapedArray<Int32Array>;
  readonly y: ShapedArray<Int32Array>;
}

/** Sequence length of the copy task with gap T: T + 20. */
export function copyTaskLength(gap: number): number {
  return requireInteger('copyTaskLength', 'gap', gap, 1) + 2 * COPY_TASK.memoryLength;
}

/**
 * Generates N copy-task examples (§7.7). Example i draws its 10 symbols from `PhiloxRandom(seed, i)`.
 *
 * @example
 * ```ts
 * const { x, y } = copyTask({ gap: 100, count: 256, seed: 1 });
 * x.shape; // [256, 120]
 * x.data.subarray(0, 10); // the 10 symbols, each in 1..8 ...
 * y.data.subarray(110, 120); // ... which the target repeats at the end
 * ```
 */
export function copyTask(options: CopyTaskOptions): CopyTaskData {
  const gap = requireInteger('copyTask', 'gap', options.gap, 1);
  const count = requireInteger('copyTask', 'count', options.count, 0);
  const seed = requireInteger('copyTask', 'seed', options.seed, 0);
  const { memoryLength, marker, symbolCount } = COPY_TASK;
  const length = gap + 2 * memoryLength;
  const x = new Int32Array(count * length); // zero-filled: blanks everywhere not written below
  const y = new Int32Array(count * length);
  for (let i = 0; i < count; i++) {
    const rng = new PhiloxRandom(seed, i);
    const row = i * length;
    for (let k = 0; k < memoryLength; k++) {
      const symbol = 1 + rng.nextInt(symbolCount);
      x[row + k] = symbol;
      y[row + gap + memoryLength + k] = symbol;
    }
    x[row + memoryLength + gap - 1] = marker; // after the 10 symbols and T−1 blanks
  }
  return { x: { data: x, shape: [count, length] }, y: { data: y, shape: [count, length] } };
}

/**
 * Cross-entropy (nats per time step) of the memoryless baseline (§7.7): predict blanks until the marker, then a uniform
 * guess over the 8 symbols for the last 10 steps: `10·ln 8 / (T + 20)`. 0.173 at T = 100, 0.0204 at T = 1000.
 *
 * @example
 * ```ts
 * copyTaskBaseline(100); // 0.17328679513998632
 * ```
 */
export function copyTaskBaseline(gap: number): number {
  const length = copyTaskLength(gap);
  return (COPY_TASK.memoryLength * Math.log(COPY_TASK.symbolCount)) / length;
}
