import { matmul, sub, type Tensor } from '@nibble/core';
import type { RecurrentCell, StepGradients } from './recurrence.ts';

/** Activations of the orthogonal RNN (spec §7.1). */
export type OrthogonalRNNActivation = 'modrelu' | 'relu' | 'tanh';

/** modReLU: sign(z)·relu(|z| + b). @example `modReLU(z, bias)` // bias: [n], z: [B, n] */
export function modReLU(z: Tensor, bias: Tensor): Tensor {
  return z.sign().mul(z.abs().add(bias).relu());
}

/**
 * h_t = σ(h_{t−1} Wᵀ + u_t) on state [B, n], with u_t = x_t Uᵀ + b hoisted out of the loop. Parameters: W [n, n],
 * and the modReLU bias [n] when σ is modReLU.
 */
export function orthogonalRnnCell(activation: OrthogonalRNNActivation): RecurrentCell {
  const preactivation = (h: Tensor, u: Tensor, w: Tensor): Tensor => u.add(matmul(h, w.transpose()));
  const act = (z: Tensor, bias: Tensor | undefined): Tensor =>
    activation === 'modrelu' ? modReLU(z, bias!) : activation === 'relu' ? z.relu() : z.tanh();
  return {
    step(h, u, [w, bias]) {
      return act(preactivation(h, u, w!), bias);
    },
    backward(_h, _u, [w], grad, y): StepGradients {
      // Everything comes from the new state y = σ(z), so z is not recomputed:
      // modReLU: y ≠ 0 exactly where |z| + b > 0 (then sign(y) = sign(z)); ReLU: y > 0 ⇔ z > 0; tanh: σ' = 1 − y².
      let dz: Tensor;
      let dBias: Tensor | null = null;
      if (activation === 'modrelu') {
        const sign = y.sign();
        dz = grad.mul(sign.abs());
        dBias = grad.mul(sign).sum(0);
      } else if (activation === 'relu') {
        dz = grad.mul(y.gt(0).cast('float32'));
      } else {
        dz = grad.mul(sub(1, y.square()));
      }
      // dW comes from batchedParamGradients (one large product after the loop).
      return { state: matmul(dz, w!), input: dz, params: activation === 'modrelu' ? [null, dBias] : [null] };
    },
    batchedParamGradients(previous, dz, [w]) {
      const [T, B, n] = previous.shape as [number, number, number];
      const dW = matmul(dz.reshape([T * B, w!.shape[0]!]).transpose(), previous.reshape([T * B, n]));
      return activation === 'modrelu' ? [dW, null] : [dW];
    },
  };
}
