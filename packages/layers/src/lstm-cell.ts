import { concat, matmul, sub, type Tensor, zerosLike } from '@nibble/core';
import type { RecurrentCell, StepGradients } from './recurrence.ts';

/** Width of the packed LSTM state per hidden unit: h, c and the four gate activations i, f, g, o. */
export const LSTM_STATE_PARTS = 6;

function part(t: Tensor, k: number, hidden: number): Tensor {
  return t.slice([0, k * hidden], [t.shape[0]!, hidden]);
}

/**
 * The LSTM recurrence (PyTorch's equations, gate order i, f, g, o) on a packed state [B, 6H] = [h | c | i | f | g | o]:
 * the gate activations ride along in the state so the backward pass reads them instead of recomputing
 * `h_{t−1} W_hhᵀ`. The step input is the hoisted input projection `x_t W_ihᵀ + b_ih + b_hh` ([B, 4H]); the only
 * parameter is W_hh [4H, H].
 */
export const lstmCell: RecurrentCell = {
  step(state, projected, [weightHh]) {
    const hidden = weightHh!.shape[1]!;
    const h = part(state, 0, hidden);
    const cPrev = part(state, 1, hidden);
    const z = projected.add(matmul(h, weightHh!.transpose()));
    const i = part(z, 0, hidden).sigmoid();
    const f = part(z, 1, hidden).sigmoid();
    const g = part(z, 2, hidden).tanh();
    const o = part(z, 3, hidden).sigmoid();
    const c = f.mul(cPrev).add(i.mul(g));
    return concat([o.mul(c.tanh()), c, i, f, g, o], 1);
  },

  backward(state, _projected, [weightHh], grad, next): StepGradients {
    const hidden = weightHh!.shape[1]!;
    const cPrev = part(state, 1, hidden);
    const [c, i, f, g, o] = [1, 2, 3, 4, 5].map((k) => part(next, k, hidden)) as [Tensor, Tensor, Tensor, Tensor, Tensor];
    // Only h and c flow onward; gradients reaching the carried gate slots are ignored (nothing reads them).
    const dh = part(grad, 0, hidden);
    const tc = c.tanh();
    // σ' = σ − σ², tanh' = 1 − tanh²: written with as few kernels as possible (each is a full pass over [B, H]).
    const dc = part(grad, 1, hidden).add(dh.mul(o).mul(sub(1, tc.square()))); // dc_t from the next step + dh·o·tanh'(c_t)
    const dzi = dc.mul(g).mul(i.sub(i.square()));
    const dzf = dc.mul(cPrev).mul(f.sub(f.square()));
    const dzg = dc.mul(i).mul(sub(1, g.square()));
    const dzo = dh.mul(tc).mul(o.sub(o.square()));
    const dz = concat([dzi, dzf, dzg, dzo], 1);
    const noGate = zerosLike(dz); // the previous step's carried gates do not influence this step
    return {
      state: concat([matmul(dz, weightHh!), dc.mul(f), noGate], 1),
      input: dz,
      params: [null], // dW_hh comes from batchedParamGradients
    };
  },

  batchedParamGradients(previous, dz, [weightHh]) {
    // dW_hh = Σ_t dz_tᵀ h_{t−1}: one [4H, T·B] × [T·B, H] product.
    const [T, B] = previous.shape as [number, number, number];
    const [fourH, hidden] = weightHh!.shape as [number, number];
    const h = previous.slice([0, 0, 0], [T, B, hidden]).reshape([T * B, hidden]);
    return [matmul(dz.reshape([T * B, fourH]).transpose(), h)];
  },
};
