import { stopGradient } from '../autograd/stop.ts';
import { normalizeAxes, normalizeAxis } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { bind } from './bind.ts';
import { add, div, exp, log, mul, neg, square, sub, withTemps } from './elementwise.ts';
import { reshape } from './movement.ts';

/** Axes given by the user: one axis, a list, or undefined for all. */
export type Axes = number | readonly number[] | undefined;

function reduce(op: 'sum' | 'max', x: Tensor, axes: Axes, keepDims: boolean): Tensor {
  x.assertLive(op);
  const list = normalizeAxes(op, axes, x.rank);
  const kept = bind(op, [x], { axes: list });
  if (keepDims) return kept;
  try {
    return reshape(kept, x.shape.filter((_, i) => !list.includes(i)));
  } finally {
    kept.dispose();
  }
}

/**
 * Sum over axes (all by default).
 *
 * @example
 * ```ts
 * tensor([[1, 2], [3, 4]]).sum(1); // [3, 7]
 * ```
 */
export const sum = (x: Tensor, axes?: Axes, keepDims = false): Tensor => reduce('sum', x, axes, keepDims);
/** Maximum over axes; the gradient is shared equally between tied maxima. */
export const max = (x: Tensor, axes?: Axes, keepDims = false): Tensor => reduce('max', x, axes, keepDims);
/** Minimum over axes. */
export function min(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  normalizeAxes('min', axes, x.rank); // errors name the function the user called
  return withTemps((t) => neg(t(max(t(neg(x)), axes, keepDims))));
}

function count(x: Tensor, axes: Axes): number {
  return normalizeAxes('mean', axes, x.rank).reduce((n, a) => n * x.shape[a]!, 1);
}

/** Mean over axes. */
export function mean(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  const n = count(x, axes);
  return withTemps((t) => div(t(sum(x, axes, keepDims)), n));
}

/** Population (biased) variance over axes. */
export function variance(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  normalizeAxes('variance', axes, x.rank);
  return withTemps((t) => mean(t(square(t(sub(x, t(mean(x, axes, true)))))), axes, keepDims));
}

/** Index of the maximum along an axis (first one at ties), int32. */
export function argmax(x: Tensor, axis = -1, keepDims = false): Tensor {
  const a = normalizeAxis('argmax', axis, x.rank);
  const kept = bind('argmax', [x], { axis: a });
  if (keepDims) return kept;
  try {
    return reshape(kept, x.shape.filter((_, i) => i !== a));
  } finally {
    kept.dispose();
  }
}

/** log Σ exp, computed stably by subtracting the maximum. */
export function logSumExp(x: Tensor, axes: Axes = -1, keepDims = false): Tensor {
  normalizeAxes('logSumExp', axes, x.rank);
  return withTemps((t) => {
    const m = t(stopGradient(t(max(x, axes, true))));
    const lse = t(add(t(log(t(sum(t(exp(t(sub(x, m)))), axes, true)))), m));
    return keepDims ? lse.clone() : reshape(lse, x.shape.filter((_, i) => !normalizeAxes('logSumExp', axes, x.rank).includes(i)));
  });
}

/**
 * log softmax along an axis, as (x − m) − log Σ exp(x − m) with m the (gradient-free) maximum: subtracting the
 * maximum first keeps the result exact for large logits (x − logSumExp(x) would cancel catastrophically).
 */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  normalizeAxis('logSoftmax', axis, x.rank);
  return withTemps((t) => {
    const shifted = t(sub(x, t(stopGradient(t(max(x, axis, true))))));
    return sub(shifted, t(log(t(sum(t(exp(shifted)), axis, true)))));
  });
}

/**
 * softmax along an axis, `exp(x − max) / Σ exp(x − max)`: one fused kernel where the backend has the `softmax`
 * capability, core's log-softmax composite elsewhere.
 *
 * @example
 * ```ts
 * const p = softmax(tensor([[1, 2, 3]]), -1); // [[0.090, 0.245, 0.665]], rows sum to 1
 * ```
 */
export function softmax(x: Tensor, axis = -1): Tensor {
  return bind('softmax', [x], { axis: normalizeAxis('softmax', axis, x.rank) });
}

/** Scales `x` by a number (helper used by composites). */
export const scale = (x: Tensor, s: number): Tensor => mul(x, s);
