import { bernoulli, scope, type Tensor } from '@nibble/core';
import { checkProbability } from './init.ts';
import { Module } from './module.ts';

/**
 * Inverted dropout: in training, zeroes each element with probability `p` and scales the rest by 1/(1 − p); the
 * identity in evaluation mode. Masks come from the counter-based RNG keyed by the seed and step set with
 * `setProgress` and this module's path, so they differ per step, match on every backend and repeat on resume. The
 * forward pass is a pure function of the input and the progress: calling it twice in one step gives the same mask
 * (recomputation-safe), so give each use site its own Dropout module.
 *
 * @example
 * ```ts
 * const drop = new Dropout(0.1);
 * drop.setProgress({ step: 3, seed: 7 });
 * const y = drop.forward(ones([4, 8])); // entries are 0 or 1/0.9
 * drop.eval().forward(ones([4, 8]));    // unchanged
 * ```
 */
export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    checkProbability('Dropout', 'p', p);
  }

  forward(x: Tensor): Tensor {
    // A new handle (a view), so callers may dispose the result whatever the mode.
    if (!this.training || this.p === 0) return x.reshape(x.shape);
    const key = this.randomKey('mask');
    return scope(() => {
      const mask = bernoulli(x.shape, 1 - this.p, key, { runtime: x.runtime, backend: x.backend.name });
      return x.mul(mask.mul(1 / (1 - this.p)));
    });
  }
}
