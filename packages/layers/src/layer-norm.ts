import { layerNorm, scope, ShapeError, type Tensor } from '@nibble/core';
import { checkSize, Initializer, type LayerOptions } from './init.ts';
import { Module } from './module.ts';

/** Options of {@link LayerNorm}. */
export interface LayerNormOptions extends LayerOptions {
  /** Added to the variance (default 1e-5, as in PyTorch). */
  eps?: number;
  /** Learn a per-feature scale `weight` and shift `bias` (default true). */
  elementwiseAffine?: boolean;
}

/**
 * Layer normalization over the trailing axes given by `normalizedShape`: `(x − mean) / √(var + eps) · weight + bias`,
 * with the population (biased) variance, as in PyTorch.
 *
 * @example
 * ```ts
 * const ln = new LayerNorm(8);
 * const y = ln.forward(randomNormal([2, 5, 8], { seed: 0, stream: 0, counter: 0 })); // zero mean, unit variance rows
 * ```
 */
export class LayerNorm extends Module {
  readonly normalizedShape: readonly number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;

  constructor(normalizedShape: number | readonly number[], options: LayerNormOptions = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    this.normalizedShape.forEach((d, i) => checkSize('LayerNorm', `normalizedShape[${i}]`, d));
    this.eps = options.eps ?? 1e-5;
    this.elementwiseAffine = options.elementwiseAffine ?? true;
    if (this.elementwiseAffine) {
      const init = new Initializer('LayerNorm', options);
      this.addParameter('weight', init.constant(this.normalizedShape, 1));
      this.addParameter('bias', init.constant(this.normalizedShape, 0));
    }
  }

  /** x: [..., *normalizedShape] → same shape. */
  forward(x: Tensor): Tensor {
    const k = this.normalizedShape.length;
    if (x.rank < k || this.normalizedShape.some((d, i) => x.shape[x.rank - k + i] !== d)) {
      throw new ShapeError(`LayerNorm.forward: input has shape [${x.shape.join(',')}]; expected trailing axes [${this.normalizedShape.join(',')}]`);
    }
    if (this.elementwiseAffine) {
      // one fused kernel over the flattened trailing axes (views, no copies)
      const d = this.normalizedShape.reduce((a, b) => a * b, 1);
      return scope(() => layerNorm(x.reshape([...x.shape.slice(0, x.rank - k), d]), this.weight('weight').reshape([d]), this.weight('bias').reshape([d]), this.eps).reshape(x.shape));
    }
    return scope(() => {
      const axes = this.normalizedShape.map((_, i) => x.rank - k + i);
      const centered = x.sub(x.mean(axes, true));
      return centered.mul(centered.square().mean(axes, true).add(this.eps).rsqrt());
    });
  }
}
