import { matmul, matmulBias, scope, ShapeError, type Tensor } from '@nibble/core';
import { checkSize, Initializer, type LayerOptions } from './init.ts';
import { Module } from './module.ts';

/** Options of {@link Linear}. */
export interface LinearOptions extends LayerOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
}

/**
 * `y = x Wᵀ + b` over the last axis, with W of shape [out, in] as in PyTorch (state dicts map 1:1: `weight`,
 * `bias`). Initialized like PyTorch: W and b uniform in ±1/√in.
 *
 * @example
 * ```ts
 * const fc = new Linear(4, 2, { seed: 1 });
 * const y = fc.forward(ones([3, 4])); // [3, 2]
 * ```
 */
export class Linear extends Module {
  readonly hasBias: boolean;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: LinearOptions = {},
  ) {
    super();
    checkSize('Linear', 'inFeatures', inFeatures);
    checkSize('Linear', 'outFeatures', outFeatures);
    this.hasBias = options.bias ?? true;
    const init = new Initializer('Linear', options);
    const bound = 1 / Math.sqrt(inFeatures);
    this.addParameter('weight', init.uniform('weight', [outFeatures, inFeatures], bound));
    if (this.hasBias) this.addParameter('bias', init.uniform('bias', [outFeatures], bound));
  }

  /** x: [..., in] → [..., out]. */
  forward(x: Tensor): Tensor {
    if (x.shape.at(-1) !== this.inFeatures) {
      throw new ShapeError(`Linear.forward: input has shape [${x.shape.join(',')}]; expected last axis ${this.inFeatures}`);
    }
    return scope(() => {
      // One 2-D matmul over all leading axes (a single large product instead of a batched one).
      const flat = x.rank === 2 ? x : x.reshape([-1, this.inFeatures]);
      // the bias add fused into the product where the backend can (matmulBias), one pass over y instead of two
      const w = this.weight('weight').transpose();
      const y = this.hasBias ? matmulBias(flat, w, this.weight('bias')) : matmul(flat, w);
      return x.rank === 2 ? y : y.reshape([...x.shape.slice(0, -1), this.outFeatures]);
    });
  }
}
