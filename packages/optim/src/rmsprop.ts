import { checkLearningRate, checkRange, createOptimizer, type Optimizer, type OptimizerOptions, type UpdateRule } from './optimizer.ts';

/** Hyperparameters of {@link rmsprop} (PyTorch names, camel-cased). */
export interface RmspropHyperparameters {
  /** Smoothing constant α of the squared-gradient average (default 0.99). */
  alpha: number;
  /** Added after the square root (default 1e-8). */
  eps: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
  /** Momentum factor (default 0). */
  momentum: number;
  /** Normalize by an estimate of the variance instead of the raw second moment (default false). */
  centered: boolean;
}

const rule: UpdateRule<RmspropHyperparameters> = {
  name: 'rmsprop',
  defaults: { alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false },
  validate(h, where) {
    checkLearningRate(where, h.lr);
    checkRange(where, 'alpha', h.alpha, 0, 1);
    checkRange(where, 'eps', h.eps, 0, Number.MAX_VALUE);
    checkRange(where, 'weightDecay', h.weightDecay, 0, Number.MAX_VALUE);
    checkRange(where, 'momentum', h.momentum, 0, Number.MAX_VALUE);
  },
  slots: (h) => ['squareAvg', ...(h.momentum > 0 ? ['momentumBuffer'] : []), ...(h.centered ? ['gradAvg'] : [])],
  // PyTorch: g ← g + λθ; v ← αv + (1−α)g²; ṽ ← v − ḡ² with ḡ ← αḡ + (1−α)g when centered;
  // d ← √ṽ + ε; b ← μb + g/d, θ ← θ − γb (momentum) or θ ← θ − γ g/d
  apply({ param, grad, slots, h, lr }) {
    const g = h.weightDecay !== 0 ? grad.add(param.mul(h.weightDecay)) : grad;
    const squareAvg = slots.squareAvg!.mul(h.alpha).add(g.square().mul(1 - h.alpha));
    const out: Record<string, typeof g> = { squareAvg };
    let variance = squareAvg;
    if (h.centered) {
      const gradAvg = (out.gradAvg = slots.gradAvg!.mul(h.alpha).add(g.mul(1 - h.alpha)));
      variance = squareAvg.sub(gradAvg.square());
    }
    const ratio = g.div(variance.sqrt().add(h.eps));
    if (h.momentum > 0) {
      const buf = (out.momentumBuffer = slots.momentumBuffer!.mul(h.momentum).add(ratio));
      return { param: param.sub(buf.mul(lr)), slots: out };
    }
    return { param: param.sub(ratio.mul(lr)), slots: out };
  },
};

/**
 * RMSprop with PyTorch's update equations: ε is added after the square root; optional centering, momentum and L2
 * weight decay.
 *
 * @example
 * ```ts
 * const opt = rmsprop({ lr: 1e-3, alpha: 0.9, centered: true });
 * ```
 */
export function rmsprop(options: OptimizerOptions<RmspropHyperparameters>): Optimizer {
  return createOptimizer(rule, options);
}
