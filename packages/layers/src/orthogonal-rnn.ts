import { hostRandom, matmulBias, scope, ShapeError, type Tensor, ValueError, zeros } from '@nibble/core';
import { type BjorckOptions, bjorck } from './bjorck.ts';
import { bjorckHost, mat, scale } from './host-linalg.ts';
import { checkSize, Initializer, type LayerOptions } from './init.ts';
import { Module } from './module.ts';
import { henaffOrthogonal, randomOrthogonal } from './orthogonal-init.ts';
import { type OrthogonalRNNActivation, orthogonalRnnCell } from './orthogonal-rnn-cell.ts';
import { lowRankSketch, projunnUpdate } from './projunn.ts';
import { scan } from './recurrence.ts';

/** How the recurrent matrix is kept orthogonal. */
export type OrthogonalParametrization = 'bjorck' | 'projunn-d' | 'projunn-t';

/** Options of {@link OrthogonalRNN}. */
export interface OrthogonalRNNOptions extends LayerOptions {
  /** σ (default 'modrelu'). */
  activation?: OrthogonalRNNActivation;
  /**
   * 'bjorck' (default): W = Björck(V) of a free parameter V, differentiable, trained by any optimizer;
   * 'projunn-d' / 'projunn-t': W is stored orthogonal and updated only by {@link OrthogonalRNN.projunnStep}.
   */
  parametrization?: OrthogonalParametrization;
  /** Initial recurrent matrix: 'henaff' (default, 2×2 rotations) or 'random' (Haar orthogonal). */
  init?: 'henaff' | 'random';
  /** Björck settings (default 15 iterations, β = ½, power-iteration pre-scaling). */
  bjorck?: BjorckOptions;
  /** Rank r of the projUNN updates (default 1). */
  projunnRank?: number;
  /** Re-orthonormalize the stored W (float64 Björck) every this many projUNN steps against float32 drift (default 100). */
  reorthonormalizeEvery?: number;
  /** [B, T, F] instead of [T, B, F] (default false). */
  batchFirst?: boolean;
}

/** Result of {@link OrthogonalRNN.forward}. */
export interface OrthogonalRNNOutput {
  /** Hidden states of every step, [T, B, n] (or [B, T, n]). */
  readonly output: Tensor;
  /** Last hidden state [B, n]. */
  readonly h: Tensor;
}

/**
 * The orthogonal RNN of QORNN (spec §7): `h_t = σ(W h_{t−1} + U x_t + b)` with W orthogonal, kept so either by a
 * differentiable Björck parametrization or by projUNN rank-r updates. Parameters: `inputWeight` U [n, I] and
 * `inputBias` b [n] (uniform ±1/√I), `recurrentWeight` (V for Björck, W itself for projUNN; orthogonal at init),
 * and `activationBias` [n] for modReLU (uniform ±0.01). With Björck, a weight transform on `recurrentWeight` (a
 * quantizer) receives the orthogonalized W, as in STE-Björck.
 *
 * @example
 * ```ts
 * const rnn = new OrthogonalRNN(10, 64, { activation: 'modrelu', parametrization: 'bjorck', seed: 0 });
 * const x = randomNormal([20, 4, 10], { seed: 0, stream: 0, counter: 0 }); // [T, B, I]
 * const { output, h } = rnn.forward(x); // output [20, 4, 64], h [4, 64]
 * ```
 */
export class OrthogonalRNN extends Module {
  readonly activation: OrthogonalRNNActivation;
  readonly parametrization: OrthogonalParametrization;
  readonly batchFirst: boolean;
  private readonly bjorckOptions: BjorckOptions;
  private readonly rank: number;
  private readonly reorthonormalizeEvery: number;
  private projunnSteps = 0;

  constructor(
    readonly inputSize: number,
    readonly hiddenSize: number,
    options: OrthogonalRNNOptions = {},
  ) {
    super();
    checkSize('OrthogonalRNN', 'inputSize', inputSize);
    checkSize('OrthogonalRNN', 'hiddenSize', hiddenSize);
    this.activation = options.activation ?? 'modrelu';
    this.parametrization = options.parametrization ?? 'bjorck';
    this.batchFirst = options.batchFirst ?? false;
    this.bjorckOptions = options.bjorck ?? {};
    this.rank = options.projunnRank ?? 1;
    this.reorthonormalizeEvery = options.reorthonormalizeEvery ?? 100;
    if (!['modrelu', 'relu', 'tanh'].includes(this.activation)) {
      throw new ValueError(`OrthogonalRNN: activation '${this.activation}'; expected 'modrelu', 'relu' or 'tanh'`);
    }
    if (!['bjorck', 'projunn-d', 'projunn-t'].includes(this.parametrization)) {
      throw new ValueError(`OrthogonalRNN: parametrization '${this.parametrization}'; expected 'bjorck', 'projunn-d' or 'projunn-t'`);
    }
    if (!Number.isInteger(this.rank) || this.rank < 1 || this.rank > hiddenSize) {
      throw new ValueError(`OrthogonalRNN: projunnRank ${this.rank}; expected an integer in [1, ${hiddenSize}]`);
    }
    const n = hiddenSize;
    const init = new Initializer('OrthogonalRNN', options);
    const bound = 1 / Math.sqrt(inputSize);
    this.addParameter('inputWeight', init.uniform('inputWeight', [n, inputSize], bound));
    this.addParameter('inputBias', init.uniform('inputBias', [n], bound));
    const kind = options.init ?? 'henaff';
    if (kind !== 'henaff' && kind !== 'random') throw new ValueError(`OrthogonalRNN: init '${String(kind)}'; expected 'henaff' or 'random'`);
    const w =
      kind === 'henaff'
        ? henaffOrthogonal(n, init.hostUniform('recurrentWeight', Math.floor(n / 2), -Math.PI, Math.PI))
        : randomOrthogonal(n, init.hostNormal('recurrentWeight', n * n));
    this.addParameter('recurrentWeight', init.values([n, n], w.data));
    if (this.activation === 'modrelu') this.addParameter('activationBias', init.uniform('activationBias', [n], 0.01));
  }

  /**
   * The recurrent matrix the forward pass uses: Björck(V) (then the weight transform) or the stored W (through its
   * transform).
   */
  recurrentMatrix(): Tensor {
    if (this.parametrization !== 'bjorck') return this.weight('recurrentWeight');
    return scope(() => this.applyWeightTransform('recurrentWeight', bjorck(this.rawParameter('recurrentWeight'), this.bjorckOptions)));
  }

  /** x: [T, B, I] (or [B, T, I]); `h0`: [B, n] (zeros when omitted). */
  forward(x: Tensor, h0?: Tensor): OrthogonalRNNOutput {
    if (x.rank !== 3 || x.shape[2] !== this.inputSize) {
      throw new ShapeError(`OrthogonalRNN.forward: input has shape [${x.shape.join(',')}]; expected [${this.batchFirst ? 'B, T' : 'T, B'}, ${this.inputSize}]`);
    }
    const [T, B] = this.batchFirst ? [x.shape[1]!, x.shape[0]!] : [x.shape[0]!, x.shape[1]!];
    const n = this.hiddenSize;
    if (T === 0) throw new ShapeError(`OrthogonalRNN.forward: input has shape [${x.shape.join(',')}]; expected at least one time step`);
    if (h0 && (h0.rank !== 2 || h0.shape[0] !== B || h0.shape[1] !== n)) {
      throw new ShapeError(`OrthogonalRNN.forward: h0 has shape [${h0.shape.join(',')}]; expected [${B}, ${n}]`);
    }
    return scope(() => {
      const seq = this.batchFirst ? x.transpose(0, 1) : x;
      // Hoisted input projection: U x_t + b for every step in one product.
      const u = matmulBias(seq.reshape([T * B, this.inputSize]), this.weight('inputWeight').transpose(), this.weight('inputBias'));
      const params = [this.recurrentMatrix()];
      if (this.activation === 'modrelu') params.push(this.weight('activationBias'));
      const start = h0 ?? zeros([B, n], { runtime: x.runtime, backend: x.backend.name });
      const states = scan(orthogonalRnnCell(this.activation), u.reshape([T, B, n]), start, params);
      const h = states.slice([T - 1], [1]).squeeze(0);
      return { output: this.batchFirst ? states.transpose(0, 1).contiguous() : states, h };
    });
  }

  /**
   * One projUNN step (parametrizations 'projunn-d' / 'projunn-t'): the proposed update Δ = −lr·grad (grad = ∂L/∂W,
   * [n, n]; pass an optimizer's preconditioned direction as `grad` to use RMSprop/Adam) is sketched at rank r and
   * applied so W stays orthogonal; every `reorthonormalizeEvery` steps W is re-orthonormalized in float64.
   *
   * @example
   * ```ts
   * const { grads } = valueAndGrad(loss)(rnn.parameters());
   * rnn.projunnStep(grads['recurrentWeight'], 1e-3);
   * ```
   */
  projunnStep(grad: Tensor, lr: number): void {
    if (this.parametrization === 'bjorck') {
      throw new ValueError(`OrthogonalRNN.projunnStep: parametrization is 'bjorck'; expected 'projunn-d' or 'projunn-t' (Björck trains by gradient)`);
    }
    const n = this.hiddenSize;
    if (grad.rank !== 2 || grad.shape[0] !== n || grad.shape[1] !== n) {
      throw new ShapeError(`OrthogonalRNN.projunnStep: grad has shape [${grad.shape.join(',')}]; expected [${n}, ${n}]`);
    }
    if (!Number.isFinite(lr)) throw new ValueError(`OrthogonalRNN.projunnStep: lr = ${lr}; expected a finite number`);
    const current = this.rawParameter('recurrentWeight');
    const w = mat(n, n, current.hostValuesSync());
    const delta = scale(mat(n, n, grad.hostValuesSync()), -lr);
    const key = this.randomKey('projunn');
    const gaussian = hostRandom.normal({ seed: key.seed, stream: key.stream }, this.projunnSteps * n * this.rank, n * this.rank);
    const { a, b } = lowRankSketch(delta, this.rank, gaussian);
    let next = projunnUpdate(w, a, b, this.parametrization === 'projunn-d' ? 'D' : 'T');
    this.projunnSteps++;
    if (this.reorthonormalizeEvery > 0 && this.projunnSteps % this.reorthonormalizeEvery === 0) next = bjorckHost(next, 3);
    this.assign({ recurrentWeight: new Initializer('OrthogonalRNN', { runtime: current.runtime, backend: current.backend.name }).values([n, n], next.data) });
  }
}
