import { OptimizerError } from './errors.ts';
import { checkLearningRate, checkRange, createOptimizer, type Optimizer, type OptimizerOptions, type UpdateRule } from './optimizer.ts';

/** Hyperparameters of {@link sgd} (PyTorch `torch.optim.SGD` names, camel-cased). */
export interface SgdHyperparameters {
  /** Momentum factor μ (default 0: plain SGD, no buffer). */
  momentum: number;
  /** Dampening τ of the momentum buffer (default 0). */
  dampening: number;
  /** Nesterov momentum (default false; needs momentum > 0 and dampening 0). */
  nesterov: boolean;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay: number;
}

const rule: UpdateRule<SgdHyperparameters> = {
  name: 'sgd',
  defaults: { momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 },
  validate(h, where) {
    checkLearningRate(where, h.lr);
    checkRange(where, 'momentum', h.momentum, 0, Number.MAX_VALUE);
    checkRange(where, 'dampening', h.dampening, 0, 1);
    checkRange(where, 'weightDecay', h.weightDecay, 0, Number.MAX_VALUE);
    if (h.nesterov && (h.momentum <= 0 || h.dampening !== 0)) {
      throw new OptimizerError(`${where}: nesterov needs momentum > 0 and dampening 0; got momentum ${h.momentum}, dampening ${h.dampening}`);
    }
  },
  slots: (h) => (h.momentum !== 0 ? ['momentumBuffer'] : []),
  // PyTorch: g ← g + λθ; b ← g at t = 1, else μb + (1−τ)g; g ← g + μb (Nesterov) or b; θ ← θ − γg
  apply({ param, grad, slots, h, t, lr }) {
    let g = h.weightDecay !== 0 ? grad.add(param.mul(h.weightDecay)) : grad;
    if (h.momentum === 0) return { param: param.sub(g.mul(lr)), slots: {} };
    const buf = t === 1 ? g : slots.momentumBuffer!.mul(h.momentum).add(g.mul(1 - h.dampening));
    g = h.nesterov ? g.add(buf.mul(h.momentum)) : buf;
    return { param: param.sub(g.mul(lr)), slots: { momentumBuffer: buf } };
  },
};

/**
 * Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight decay, with PyTorch's update
 * equations (the first step's momentum buffer is the gradient itself).
 *
 * @example
 * ```ts
 * const opt = sgd({ lr: 0.1, momentum: 0.9, nesterov: true, groups: [{ match: '*.bias', weightDecay: 0 }], weightDecay: 1e-4 });
 * ```
 */
export function sgd(options: OptimizerOptions<SgdHyperparameters>): Optimizer {
  return createOptimizer(rule, options);
}
