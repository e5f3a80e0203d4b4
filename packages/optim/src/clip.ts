import { add, div, keep, minimum, noGrad, scope, type Tensor } from '@nibble/core';
import { OptimizerError } from './errors.ts';
import type { TensorRecord } from './optimizer.ts';

/**
 * Global-norm gradient clipping (PyTorch `clip_grad_norm_` with the 2-norm): `norm = √Σ‖g‖²` over all gradients; every
 * gradient is scaled by `min(1, maxNorm / (norm + 1e-6))`. Returns new gradient tensors and the norm before clipping
 * (a scalar tensor); the inputs are not disposed.
 *
 * @example
 * ```ts
 * const { grads: clipped, norm } = clipGradNorm(grads, 1.0);
 * console.log(norm.item());
 * ```
 */
export function clipGradNorm(grads: TensorRecord, maxNorm: number): { grads: Record<string, Tensor>; norm: Tensor } {
  if (!Number.isFinite(maxNorm) || maxNorm <= 0) throw new OptimizerError(`clipGradNorm: maxNorm is ${maxNorm}; expected a finite number > 0`);
  const entries = Object.entries(grads);
  if (entries.length === 0) throw new OptimizerError('clipGradNorm: no gradients; expected at least one');
  return noGrad(() =>
    scope(() => {
      const squares = entries.map(([, g]) => g.square().sum());
      const norm = squares.reduce((acc, s) => add(acc, s)).sqrt();
      const coef = minimum(div(maxNorm, norm.add(1e-6)), 1);
      const out: Record<string, Tensor> = {};
      for (const [name, g] of entries) out[name] = g.mul(coef);
      return { grads: out, norm: keep(norm) };
    }),
  );
}
