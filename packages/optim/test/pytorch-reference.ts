/**
 * Float64 transcriptions of PyTorch's documented update equations (torch.optim.SGD, Adam, AdamW, RMSprop; the
 * "Algorithm" boxes of the PyTorch 2.x docs), one element at a time, written independently of the tensor code under
 * test. Each returns the parameter trajectory after every step.
 */

export interface RefSgd { kind: 'sgd'; lr: number; momentum: number; dampening: number; nesterov: boolean; weightDecay: number }
export interface RefAdam { kind: 'adam' | 'adamw'; lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; amsgrad: boolean }
export interface RefRmsprop { kind: 'rmsprop'; lr: number; alpha: number; eps: number; weightDecay: number; momentum: number; centered: boolean }
export type RefConfig = RefSgd | RefAdam | RefRmsprop;

/** Runs `grads.length` steps from `theta0`; `lrAt(k)` overrides the rate of step k (0-based) when given. */
export function referenceTrajectory(cfg: RefConfig, theta0: readonly number[], grads: readonly (readonly number[])[], lrAt?: (k: number) => number): number[][] {
  const n = theta0.length;
  const theta = Float64Array.from(theta0);
  const b = new Float64Array(n);
  const m = new Float64Array(n);
  const v = new Float64Array(n);
  const vmax = new Float64Array(n);
  const gave = new Float64Array(n);
  const out: number[][] = [];
  grads.forEach((gradT, k) => {
    const t = k + 1;
    const lr = lrAt ? lrAt(k) : cfg.lr;
    for (let i = 0; i < n; i++) {
      let g = gradT[i]!;
      const th = theta[i]!;
      if (cfg.kind === 'sgd') {
        if (cfg.weightDecay !== 0) g += cfg.weightDecay * th;
        if (cfg.momentum !== 0) {
          b[i] = t > 1 ? cfg.momentum * b[i]! + (1 - cfg.dampening) * g : g;
          g = cfg.nesterov ? g + cfg.momentum * b[i]! : b[i]!;
        }
        theta[i] = th - lr * g;
      } else if (cfg.kind === 'adam' || cfg.kind === 'adamw') {
        let p = th;
        if (cfg.kind === 'adamw') p = p - lr * cfg.weightDecay * p;
        else if (cfg.weightDecay !== 0) g += cfg.weightDecay * th;
        m[i] = cfg.beta1 * m[i]! + (1 - cfg.beta1) * g;
        v[i] = cfg.beta2 * v[i]! + (1 - cfg.beta2) * g * g;
        const mhat = m[i]! / (1 - cfg.beta1 ** t);
        let vhat = v[i]! / (1 - cfg.beta2 ** t);
        if (cfg.amsgrad) {
          vmax[i] = Math.max(vmax[i]!, v[i]!); // PyTorch keeps the max of the raw v and bias-corrects afterwards
          vhat = vmax[i]! / (1 - cfg.beta2 ** t);
        }
        theta[i] = p - (lr * mhat) / (Math.sqrt(vhat) + cfg.eps);
      } else if (cfg.kind === 'rmsprop') {
        if (cfg.weightDecay !== 0) g += cfg.weightDecay * th;
        v[i] = cfg.alpha * v[i]! + (1 - cfg.alpha) * g * g;
        let vt = v[i]!;
        if (cfg.centered) {
          gave[i] = cfg.alpha * gave[i]! + (1 - cfg.alpha) * g;
          vt -= gave[i]! * gave[i]!;
        }
        if (cfg.momentum > 0) {
          b[i] = cfg.momentum * b[i]! + g / (Math.sqrt(vt) + cfg.eps);
          theta[i] = th - lr * b[i]!;
        } else {
          theta[i] = th - (lr * g) / (Math.sqrt(vt) + cfg.eps);
        }
      }
    }
    out.push([...theta]);
  });
  return out;
}
