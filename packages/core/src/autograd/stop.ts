import { Tensor } from '../tensor.ts';

/**
 * The same values with no gradient flowing back through them (a new handle on the same buffer, not taped).
 *
 * @example
 * ```ts
 * const y = x.add(stopGradient(q.sub(x))); // straight-through estimator: value q, gradient of x
 * ```
 */
export function stopGradient(x: Tensor): Tensor {
  x.assertLive('stopGradient');
  x.backend.incRef(x.buffer);
  return new Tensor(x.runtime, x.backend, x.buffer, x.dtype, x.shape, x.strides, x.offset);
}
