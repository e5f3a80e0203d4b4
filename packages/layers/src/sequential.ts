import { scope, type Tensor } from '@nibble/core';
import { Module } from './module.ts';

/** A module with a single-tensor forward pass, as chained by {@link Sequential}. */
export interface UnaryModule extends Module {
  forward(x: Tensor): Tensor;
}

/**
 * Chains modules: `forward(x)` = `m_n(...m_1(x))`; intermediates are freed. Children are named `0`, `1`, ... as in
 * PyTorch.
 *
 * @example
 * ```ts
 * const mlp = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 2));
 * const y = mlp.forward(ones([3, 4])); // [3, 2]
 * ```
 */
export class Sequential extends Module {
  readonly layers: readonly UnaryModule[];

  constructor(...layers: UnaryModule[]) {
    super();
    this.layers = layers.map((m, i) => this.addModule(String(i), m));
  }

  forward(x: Tensor): Tensor {
    return scope(() => {
      const y = this.layers.reduce((h, m) => m.forward(h), x);
      return y === x ? x.reshape(x.shape) : y; // always a new handle the caller owns
    });
  }
}

/** max(x, 0) as a module (for {@link Sequential}). @example `new Sequential(new Linear(4, 8), new ReLU())` */
export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return x.relu();
  }
}

/** tanh as a module. @example `new Sequential(new Linear(4, 8), new Tanh())` */
export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return x.tanh();
  }
}

/** GELU (exact erf form) as a module. @example `new Sequential(new Linear(4, 8), new GELU())` */
export class GELU extends Module {
  forward(x: Tensor): Tensor {
    return x.gelu();
  }
}
