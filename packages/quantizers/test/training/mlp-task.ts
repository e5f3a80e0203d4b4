// A synthetic classification task on which 4-bit per-tensor weight quantization genuinely hurts: labels come from a
// fixed random linear teacher on standardized features, but two of the 16 input features are fed at 1/20 of their
// scale. The trained first layer therefore grows ~20× larger weights on those two columns (outliers), and a per-tensor
// max-abs 4-bit grid built around them rounds most of the other weights to 0 or ±1 step.
import { Linear, ReLU, Sequential } from '@nibble/layers';
import { gaussian, type HostBatch } from './harness.ts';

export const FEATURES = 16;
export const HIDDEN = 32;
export const CLASSES = 4;
/** Features 0..SMALL_FEATURES−1 are scaled by SMALL_SCALE. */
export const SMALL_FEATURES = 2;
export const SMALL_SCALE = 0.05;

/** `n` examples; `seed` picks the inputs, the teacher is fixed. */
export function outlierTask(n: number, seed: number): HostBatch {
  const z = gaussian(n * FEATURES, seed);
  const teacher = gaussian(CLASSES * FEATURES, 999);
  const x = new Float32Array(n * FEATURES);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestValue = -Infinity;
    for (let c = 0; c < CLASSES; c++) {
      let v = 0;
      for (let j = 0; j < FEATURES; j++) v += teacher[c * FEATURES + j]! * z[i * FEATURES + j]!;
      if (v > bestValue) [bestValue, best] = [v, c];
    }
    y[i] = best;
    for (let j = 0; j < FEATURES; j++) x[i * FEATURES + j] = z[i * FEATURES + j]! * (j < SMALL_FEATURES ? SMALL_SCALE : 1);
  }
  return { x, y, n, features: FEATURES };
}

/** Linear(16, 32) → ReLU → Linear(32, 4) with fixed initialization seeds. */
export function buildMlp(): Sequential {
  return new Sequential(new Linear(FEATURES, HIDDEN, { seed: 1 }), new ReLU(), new Linear(HIDDEN, CLASSES, { seed: 2 }));
}

/** max|w| / std(w) of a weight's values (std about the mean, population). */
export function peakToStd(w: Float32Array): number {
  let max = 0;
  let sum = 0;
  for (const v of w) {
    max = Math.max(max, Math.abs(v));
    sum += v;
  }
  const mean = sum / w.length;
  let ss = 0;
  for (const v of w) ss += (v - mean) ** 2;
  return max / Math.sqrt(ss / w.length);
}
