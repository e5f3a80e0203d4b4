import { lstmSequence, matmul, matmulBias, scope, ShapeError, stack, type Tensor, zeros } from '@nibble/core';
import { Dropout } from './dropout.ts';
import { checkProbability, checkSize, Initializer, type LayerOptions } from './init.ts';
import { Module } from './module.ts';

/** Options of {@link LSTM}. */
export interface LSTMOptions extends LayerOptions {
  /** Stacked layers (default 1). */
  numLayers?: number;
  /** Learn the biases `biasIh{l}` and `biasHh{l}` (default true). */
  bias?: boolean;
  /** Inputs and outputs are [B, T, F] instead of [T, B, F] (default false, as in PyTorch). */
  batchFirst?: boolean;
  /** Dropout probability on the outputs of every layer but the last, in training (default 0). */
  dropout?: number;
}

/** Hidden and cell state of a stacked LSTM: [numLayers, B, H] each. */
export interface LSTMState {
  readonly h: Tensor;
  readonly c: Tensor;
}

/** Result of {@link LSTM.forward}: the last layer's hidden states at every step, and the final state. */
export interface LSTMOutput extends LSTMState {
  /** [T, B, H] (or [B, T, H] with `batchFirst`). */
  readonly output: Tensor;
}

/**
 * A stacked LSTM with PyTorch's equations, gate order (i, f, g, o) and parameter layout, so a PyTorch state dict maps
 * 1:1 (`weight_ih_l0` → `weightIh0`, `weight_hh_l0` → `weightHh0`, `bias_ih_l0` → `biasIh0`, `bias_hh_l0` →
 * `biasHh0`). All parameters start uniform in ±1/√H. The input projection of every step is one matmul over the
 * whole sequence; the recurrence runs as a single autograd node with a hand-written backward through time.
 *
 * @example
 * ```ts
 * const lstm = new LSTM(8, 16, { numLayers: 2, batchFirst: true, seed: 0 });
 * const x = randomNormal([4, 10, 8], { seed: 0, stream: 0, counter: 0 }); // [B, T, I]
 * const { output, h, c } = lstm.forward(x); // output [4, 10, 16]; h, c [2, 4, 16]
 * ```
 */
export class LSTM extends Module {
  readonly numLayers: number;
  readonly hasBias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  private readonly dropouts: Dropout[] = [];

  constructor(
    readonly inputSize: number,
    readonly hiddenSize: number,
    options: LSTMOptions = {},
  ) {
    super();
    checkSize('LSTM', 'inputSize', inputSize);
    checkSize('LSTM', 'hiddenSize', hiddenSize);
    this.numLayers = options.numLayers ?? 1;
    checkSize('LSTM', 'numLayers', this.numLayers);
    this.hasBias = options.bias ?? true;
    this.batchFirst = options.batchFirst ?? false;
    this.dropout = options.dropout ?? 0;
    checkProbability('LSTM', 'dropout', this.dropout);
    const init = new Initializer('LSTM', options);
    const bound = 1 / Math.sqrt(hiddenSize);
    const H = hiddenSize;
    for (let l = 0; l < this.numLayers; l++) {
      const inSize = l === 0 ? inputSize : H;
      this.addParameter(`weightIh${l}`, init.uniform(`weightIh${l}`, [4 * H, inSize], bound));
      this.addParameter(`weightHh${l}`, init.uniform(`weightHh${l}`, [4 * H, H], bound));
      if (this.hasBias) {
        this.addParameter(`biasIh${l}`, init.uniform(`biasIh${l}`, [4 * H], bound));
        this.addParameter(`biasHh${l}`, init.uniform(`biasHh${l}`, [4 * H], bound));
      }
    }
    for (let l = 0; l + 1 < this.numLayers; l++) this.dropouts.push(this.addModule(`dropout${l}`, new Dropout(this.dropout)));
  }

  /**
   * x: [T, B, I] (or [B, T, I] with `batchFirst`); `state`: initial h and c, [numLayers, B, H] each (zeros when
   * omitted).
   */
  forward(x: Tensor, state?: LSTMState): LSTMOutput {
    if (x.rank !== 3 || x.shape[2] !== this.inputSize) {
      throw new ShapeError(`LSTM.forward: input has shape [${x.shape.join(',')}]; expected [${this.batchFirst ? 'B, T' : 'T, B'}, ${this.inputSize}]`);
    }
    const [T, B] = this.batchFirst ? [x.shape[1]!, x.shape[0]!] : [x.shape[0]!, x.shape[1]!];
    if (T === 0) throw new ShapeError(`LSTM.forward: input has shape [${x.shape.join(',')}]; expected at least one time step`);
    const H = this.hiddenSize;
    const L = this.numLayers;
    if (state) {
      for (const [name, t] of [['h', state.h], ['c', state.c]] as const) {
        if (t.rank !== 3 || t.shape[0] !== L || t.shape[1] !== B || t.shape[2] !== H) {
          throw new ShapeError(`LSTM.forward: initial ${name} has shape [${t.shape.join(',')}]; expected [${L}, ${B}, ${H}]`);
        }
      }
    }
    return scope(() => {
      let seq = this.batchFirst ? x.transpose(0, 1) : x; // [T, B, F]
      const hs: Tensor[] = [];
      const cs: Tensor[] = [];
      for (let l = 0; l < L; l++) {
        const inSize = l === 0 ? this.inputSize : H;
        // Hoisted input projection: one [T·B, F] × [F, 4H] product for all steps.
        const flat = seq.reshape([T * B, inSize]);
        const wih = this.weight(`weightIh${l}`).transpose();
        const projected = this.hasBias ? matmulBias(flat, wih, this.weight(`biasIh${l}`).add(this.weight(`biasHh${l}`))) : matmul(flat, wih);
        const h0 = state ? state.h.slice([l], [1]).squeeze(0) : zeros([B, H], { runtime: x.runtime, backend: x.backend.name });
        const c0 = state ? state.c.slice([l], [1]).squeeze(0) : zeros([B, H], { runtime: x.runtime, backend: x.backend.name });
        // One fused op for the whole layer over time (the backend's lstmSequence kernel, or core's lowering):
        // Y [B, T, 2, H] holds h_t and c_t.
        const xProj = projected.reshape([T, B, 4 * H]).transpose(0, 1);
        const y = lstmSequence(xProj, this.weight(`weightHh${l}`).transpose(), h0, c0);
        seq = y.slice([0, 0, 0, 0], [B, T, 1, H]).reshape([B, T, H]).transpose(0, 1); // [T, B, H]
        hs.push(y.slice([0, T - 1, 0, 0], [B, 1, 1, H]).reshape([B, H]));
        cs.push(y.slice([0, T - 1, 1, 0], [B, 1, 1, H]).reshape([B, H]));
        if (l + 1 < L) seq = this.dropouts[l]!.forward(seq);
      }
      const output = this.batchFirst ? seq.transpose(0, 1).contiguous() : seq.contiguous();
      return { output, h: stack(hs, 0), c: stack(cs, 0) };
    });
  }
}
