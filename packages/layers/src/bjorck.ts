import { noGrad, scope, ShapeError, type Tensor, tensorLike, ValueError } from '@nibble/core';

/** Options of {@link bjorck}. */
export interface BjorckOptions {
  /** Iterations (default 15, as in QORNN and deel-torchlip). */
  iterations?: number;
  /** Step β of `A ← (1 + β)A − β A AᵀA` (default 0.5). */
  beta?: number;
  /**
   * Division before iterating, so the largest singular value is about 1 (the iteration diverges above √5):
   * 'power' (default) = ‖A v‖ after `powerIterations` of power iteration on AᵀA (v is not differentiated, ‖A v‖
   * is); 'frobenius' = ‖A‖_F (never below σ_max, but shrinks the small singular values by up to √n); 'none'.
   */
  prescale?: 'power' | 'frobenius' | 'none';
  /** Power iterations of the 'power' estimate (default 3). */
  powerIterations?: number;
}

/** ‖A v‖ with v from power iteration on AᵀA started at the all-ones direction; v carries no gradient. */
function spectralEstimate(a: Tensor, iterations: number): Tensor {
  const n = a.shape[1]!;
  const v = noGrad(() =>
    scope(() => {
      let u = tensorLike(a, new Float32Array(n).fill(1 / Math.sqrt(n)), [n, 1]);
      for (let k = 0; k < iterations; k++) {
        const w = a.transpose().matmul(a.matmul(u));
        u = w.div(w.square().sum().sqrt().add(1e-30));
      }
      return u;
    }),
  );
  return a.matmul(v).square().sum().sqrt();
}

/**
 * Björck–Bowie orthonormalization (first order), differentiable through every iteration: after pre-scaling,
 * `A_{k+1} = (1 + β) A_k − β A_k A_kᵀ A_k`. Each singular value follows f(σ) = 1.5σ − 0.5σ³ (β = ½) and converges
 * to 1 for σ in (0, √3); the limit is the polar factor, the orthogonal matrix closest to A. Works on [m, n] with
 * m ≥ n (orthonormal columns).
 *
 * @example
 * ```ts
 * const v = tensor([[1.2, 0.1], [-0.2, 0.9]]);
 * const w = bjorck(v); // the orthogonal matrix closest to v: ‖wᵀw − I‖ ≈ 1e-7 in float32
 * ```
 */
export function bjorck(a: Tensor, options: BjorckOptions = {}): Tensor {
  const iterations = options.iterations ?? 15;
  const beta = options.beta ?? 0.5;
  const prescale = options.prescale ?? 'power';
  if (a.rank !== 2 || a.shape[0]! < a.shape[1]!) {
    throw new ShapeError(`bjorck: input has shape [${a.shape.join(',')}]; expected a matrix [m, n] with m ≥ n`);
  }
  if (!Number.isInteger(iterations) || iterations < 0) throw new ValueError(`bjorck: iterations = ${iterations}; expected a non-negative integer`);
  if (!(beta > 0 && beta <= 1)) throw new ValueError(`bjorck: beta = ${beta}; expected a value in (0, 1]`);
  if (prescale !== 'power' && prescale !== 'frobenius' && prescale !== 'none') {
    throw new ValueError(`bjorck: prescale '${String(prescale)}'; expected 'power', 'frobenius' or 'none'`);
  }
  return scope(() => {
    let x =
      prescale === 'none'
        ? a.reshape(a.shape)
        : a.div(prescale === 'frobenius' ? a.square().sum().sqrt() : spectralEstimate(a, options.powerIterations ?? 3));
    for (let k = 0; k < iterations; k++) {
      const next = scope(() => x.mul(1 + beta).sub(x.matmul(x.transpose().matmul(x)).mul(beta)));
      x = next;
    }
    return x;
  });
}
