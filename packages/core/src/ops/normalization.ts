import type { Tensor } from '../tensor.ts';
import { bind } from './bind.ts';

/**
 * Layer normalization over the last axis, `(x − mean) / √(var + eps) · gamma + beta` with the population (biased)
 * variance, as `torch.nn.functional.layer_norm(x, [D], gamma, beta, eps)`. One fused kernel forward and one backward
 * where the backend has the `layerNorm` capability; core's composite of primitives elsewhere.
 *
 * @param x - float32 [..., D]
 * @param gamma - float32 [D], the per-feature scale
 * @param beta - float32 [D], the per-feature shift
 * @param eps - added to the variance (default 1e-5)
 *
 * @example
 * ```ts
 * const x = tensor([[1, 2, 3], [2, 4, 6]]);
 * const y = layerNorm(x, ones([3]), zeros([3])); // each row: [-1.2247, 0, 1.2247]
 * ```
 */
export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps = 1e-5): Tensor {
  return bind('layerNorm', [x, gamma, beta], { eps });
}
