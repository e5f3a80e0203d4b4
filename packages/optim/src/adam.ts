import { checkLearningRate, checkRange, createOptimizer, type Optimizer, type OptimizerOptions, type UpdateRule } from './optimizer.ts';

/** Hyperparameters of {@link adam} and {@link adamw} (PyTorch names, camel-cased). */
export interface AdamHyperparameters {
  /** Decay rates (β1, β2) of the first and second moment estimates (default [0.9, 0.999]). */
  betas: readonly [number, number];
  /** Added to the denominator after the square root (default 1e-8). */
  eps: number;
  /** Adam: L2 penalty added to the gradient (default 0). AdamW: decoupled decay θ ← θ(1 − γλ) (default 0.01). */
  weightDecay: number;
  /** The AMSGrad variant: divide by the running maximum of the second moment (default false). */
  amsgrad: boolean;
}

function adamRule(name: 'adam' | 'adamw', decoupled: boolean): UpdateRule<AdamHyperparameters> {
  return {
    name,
    defaults: { betas: [0.9, 0.999], eps: 1e-8, weightDecay: decoupled ? 0.01 : 0, amsgrad: false },
    validate(h, where) {
      checkLearningRate(where, h.lr);
      checkRange(where, 'betas[0]', h.betas[0], 0, 1, true);
      checkRange(where, 'betas[1]', h.betas[1], 0, 1, true);
      checkRange(where, 'eps', h.eps, 0, Number.MAX_VALUE);
      checkRange(where, 'weightDecay', h.weightDecay, 0, Number.MAX_VALUE);
    },
    slots: (h) => (h.amsgrad ? ['expAvg', 'expAvgSq', 'maxExpAvgSq'] : ['expAvg', 'expAvgSq']),
    // PyTorch: (AdamW: θ ← θ(1 − γλ); Adam: g ← g + λθ); m ← β1·m + (1−β1)g; v ← β2·v + (1−β2)g²;
    // θ ← θ − (γ / (1−β1^t)) · m / (√v̂ / √(1−β2^t) + ε), with v̂ = v or, for AMSGrad, max(v̂_{t−1}, v)
    apply({ param, grad, slots, h, t, lr }) {
      const [beta1, beta2] = h.betas;
      let p = param;
      let g = grad;
      if (h.weightDecay !== 0) {
        if (decoupled) p = p.mul(1 - lr * h.weightDecay);
        else g = g.add(p.mul(h.weightDecay));
      }
      const expAvg = slots.expAvg!.mul(beta1).add(g.mul(1 - beta1));
      const expAvgSq = slots.expAvgSq!.mul(beta2).add(g.square().mul(1 - beta2));
      const out: Record<string, typeof p> = { expAvg, expAvgSq };
      let second = expAvgSq;
      if (h.amsgrad) second = out.maxExpAvgSq = slots.maxExpAvgSq!.maximum(expAvgSq);
      const stepSize = lr / (1 - beta1 ** t);
      const denom = second.sqrt().div(Math.sqrt(1 - beta2 ** t)).add(h.eps);
      return { param: p.sub(expAvg.div(denom).mul(stepSize)), slots: out };
    },
  };
}

const adamUpdate = adamRule('adam', false);
const adamwUpdate = adamRule('adamw', true);

/**
 * Adam (Kingma & Ba) with bias correction, optional L2 weight decay and AMSGrad, with PyTorch's update equations
 * (ε added after the square root of the bias-corrected second moment).
 *
 * @example
 * ```ts
 * const opt = adam({ lr: cosineDecay({ lr: 1e-3, steps: 10_000 }), betas: [0.9, 0.98] });
 * ```
 */
export function adam(options: OptimizerOptions<AdamHyperparameters>): Optimizer {
  return createOptimizer(adamUpdate, options);
}

/**
 * AdamW (Loshchilov & Hutter): Adam with decoupled weight decay θ ← θ(1 − γλ) applied before the Adam step
 * (PyTorch `torch.optim.AdamW`; default λ = 0.01).
 *
 * @example
 * ```ts
 * const opt = adamw({ lr: 3e-4, weightDecay: 0.1, groups: [{ match: /(bias|norm)/, weightDecay: 0 }] });
 * ```
 */
export function adamw(options: OptimizerOptions<AdamHyperparameters>): Optimizer {
  return createOptimizer(adamwUpdate, options);
}
