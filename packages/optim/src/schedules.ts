import { OptimizerError } from './errors.ts';

/**
 * A learning rate as a pure function of the optimizer step: `schedule(k)` is the rate of the update that takes the
 * state from `k` completed steps to `k + 1` (so `k` starts at 0). Pure, so a resumed run gets the same rates.
 */
export type Schedule = (step: number) => number;

/** A learning rate: a constant or a {@link Schedule}. */
export type LearningRate = number | Schedule;

function finiteNonNegative(fn: string, what: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new OptimizerError(`${fn}: ${what} is ${value}; expected a finite number ≥ 0`);
  return value;
}

function positiveInteger(fn: string, what: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new OptimizerError(`${fn}: ${what} is ${value}; expected an integer ≥ 1`);
  return value;
}

function checkStep(fn: string, step: number): number {
  if (!Number.isSafeInteger(step) || step < 0) throw new OptimizerError(`${fn}: step is ${step}; expected an integer ≥ 0`);
  return step;
}

/** The rate of a {@link LearningRate} at `step`. */
export function learningRateAt(lr: LearningRate, step: number): number {
  const value = typeof lr === 'number' ? lr : lr(step);
  if (!Number.isFinite(value) || value < 0) {
    throw new OptimizerError(`learningRateAt: the schedule gave ${value} at step ${step}; expected a finite number ≥ 0`);
  }
  return value;
}

/**
 * The same rate at every step.
 *
 * @example
 * ```ts
 * constant(1e-3)(500); // 0.001
 * ```
 */
export function constant(lr: number): Schedule {
  finiteNonNegative('constant', 'lr', lr);
  return (step) => (checkStep('constant', step), lr);
}

/**
 * `lr · gamma^⌊step / stepSize⌋` (PyTorch `StepLR`).
 *
 * @example
 * ```ts
 * const s = stepDecay({ lr: 0.1, stepSize: 10, gamma: 0.5 });
 * s(9); s(10); // 0.1, 0.05
 * ```
 */
export function stepDecay(options: { lr: number; stepSize: number; gamma: number }): Schedule {
  const lr = finiteNonNegative('stepDecay', 'lr', options.lr);
  const stepSize = positiveInteger('stepDecay', 'stepSize', options.stepSize);
  const gamma = finiteNonNegative('stepDecay', 'gamma', options.gamma);
  return (step) => lr * gamma ** Math.floor(checkStep('stepDecay', step) / stepSize);
}

/**
 * Cosine annealing from `lr` at step 0 to `minLr` at `steps`, constant after (the closed form of PyTorch
 * `CosineAnnealingLR` with `T_max = steps`, `eta_min = minLr`): `minLr + (lr − minLr)(1 + cos(π·min(k, steps)/steps))/2`.
 *
 * @example
 * ```ts
 * const s = cosineDecay({ lr: 1, steps: 100 });
 * s(0); s(50); s(100); // 1, 0.5, 0
 * ```
 */
export function cosineDecay(options: { lr: number; steps: number; minLr?: number }): Schedule {
  const lr = finiteNonNegative('cosineDecay', 'lr', options.lr);
  const steps = positiveInteger('cosineDecay', 'steps', options.steps);
  const minLr = finiteNonNegative('cosineDecay', 'minLr', options.minLr ?? 0);
  return (step) => {
    const k = Math.min(checkStep('cosineDecay', step), steps);
    return minLr + ((lr - minLr) * (1 + Math.cos((Math.PI * k) / steps))) / 2;
  };
}

/**
 * Linear warm-up in front of another schedule: the rate is `after(k) · f(k)` with the factor
 * `f(k) = startFactor + (1 − startFactor) · min(k, steps) / steps` (PyTorch `LinearLR` with `end_factor = 1`, `total_iters
 * = steps`), so it reaches the full rate at step `steps`.
 *
 * @example
 * ```ts
 * const s = linearWarmup({ steps: 4, startFactor: 0 }, 0.1);
 * s(0); s(2); s(4); s(9); // 0, 0.05, 0.1, 0.1
 * ```
 */
export function linearWarmup(options: { steps: number; startFactor?: number }, after: LearningRate): Schedule {
  const steps = positiveInteger('linearWarmup', 'steps', options.steps);
  const startFactor = finiteNonNegative('linearWarmup', 'startFactor', options.startFactor ?? 0);
  if (startFactor > 1) throw new OptimizerError(`linearWarmup: startFactor is ${startFactor}; expected a number in [0, 1]`);
  return (step) => {
    const k = checkStep('linearWarmup', step);
    const factor = startFactor + ((1 - startFactor) * Math.min(k, steps)) / steps;
    return learningRateAt(after, k) * factor;
  };
}

/** One phase of {@link sequential}: `schedule` runs for `steps` steps and sees its own step count from 0. */
export interface SchedulePhase {
  readonly schedule: LearningRate;
  readonly steps: number;
}

/**
 * Phases one after another (PyTorch `SequentialLR`): each phase sees steps counted from its own start; the last
 * schedule continues forever.
 *
 * @example
 * ```ts
 * // 100 warm-up steps to 1e-3, then cosine decay over 900 steps
 * const s = sequential([{ schedule: linearWarmup({ steps: 100 }, 1e-3), steps: 100 }], cosineDecay({ lr: 1e-3, steps: 900 }));
 * s(100); // 0.001 (step 0 of the cosine phase)
 * ```
 */
export function sequential(phases: readonly SchedulePhase[], last: LearningRate): Schedule {
  for (const [i, p] of phases.entries()) positiveInteger('sequential', `phases[${i}].steps`, p.steps);
  return (step) => {
    let k = checkStep('sequential', step);
    for (const p of phases) {
      if (k < p.steps) return learningRateAt(p.schedule, k);
      k -= p.steps;
    }
    return learningRateAt(last, k);
  };
}

/**
 * The product of schedules (e.g. a base rate times a decay factor).
 *
 * @example
 * ```ts
 * product(constant(0.1), stepDecay({ lr: 1, stepSize: 10, gamma: 0.5 }))(10); // 0.05
 * ```
 */
export function product(...schedules: readonly LearningRate[]): Schedule {
  return (step) => schedules.reduce<number>((acc, s) => acc * learningRateAt(s, checkStep('product', step)), 1);
}
