import { DTypeError, matmul, scope, ShapeError, type Tensor, tensorLike, ValueError, where } from '@nibble/core';
import { Dropout } from './dropout.ts';
import { checkProbability, checkSize, childOptions, type LayerOptions } from './init.ts';
import { Linear } from './linear.ts';
import { Module } from './module.ts';

/** Options of {@link MultiHeadAttention}. */
export interface MultiHeadAttentionOptions extends LayerOptions {
  /** Learn biases on the q, k, v and output projections (default true). */
  bias?: boolean;
  /** Dropout on the attention weights, in training (default 0). */
  dropout?: number;
  /** Inputs and outputs are [B, T, E] instead of [T, B, E] (default false, as in PyTorch). */
  batchFirst?: boolean;
  /** Key/value input sizes when they differ from `embedDim` (cross-attention). */
  kdim?: number;
  vdim?: number;
}

/** Masks of one attention call. */
export interface AttentionMasks {
  /** Forbid attending to later positions (query i sees keys j ≤ i). */
  causal?: boolean;
  /**
   * [Tq, Tk]: bool where `true` forbids attention (PyTorch's convention), or
   * float32 added to the scores.
   */
  attnMask?: Tensor;
  /** [B, Tk] bool: `true` marks padding keys that no query may attend to. */
  keyPaddingMask?: Tensor;
}

/** Score given to forbidden positions: exp underflows to exactly 0, and a fully masked row stays finite. */
const MASKED = -1e9;

/** The [Tq, Tk] causal mask as bool (true = forbidden), on the backend of `like`. @example `causalMask(x, 4, 4)` */
export function causalMask(like: Tensor, tq: number, tk: number): Tensor {
  const data = new Uint8Array(tq * tk);
  for (let i = 0; i < tq; i++) for (let j = i + 1; j < tk; j++) data[i * tk + j] = 1;
  return tensorLike(like, data, [tq, tk], 'bool');
}

/**
 * Multi-head scaled dot-product attention with separate q, k, v and output projections (child modules `q`, `k`, `v`,
 * `out`, each a {@link Linear} with `weight` [E, E]; PyTorch's packed `in_proj_weight` splits into the first three in
 * order). Weights start like Linear's (uniform ±1/√E).
 *
 * @example
 * ```ts
 * const mha = new MultiHeadAttention(16, 4, { batchFirst: true, seed: 0 });
 * const x = randomNormal([2, 5, 16], { seed: 0, stream: 0, counter: 0 }); // [B, T, E]
 * const y = mha.forward(x, x, x, { causal: true }); // [2, 5, 16]
 * ```
 */
export class MultiHeadAttention extends Module {
  readonly headDim: number;
  readonly batchFirst: boolean;
  private readonly q: Linear;
  private readonly k: Linear;
  private readonly v: Linear;
  private readonly out: Linear;
  private readonly attnDropout: Dropout;

  constructor(
    readonly embedDim: number,
    readonly numHeads: number,
    options: MultiHeadAttentionOptions = {},
  ) {
    super();
    checkSize('MultiHeadAttention', 'embedDim', embedDim);
    checkSize('MultiHeadAttention', 'numHeads', numHeads);
    if (embedDim % numHeads !== 0) {
      throw new ValueError(`MultiHeadAttention: embedDim ${embedDim} is not divisible by numHeads ${numHeads}; expected a multiple`);
    }
    this.headDim = embedDim / numHeads;
    this.batchFirst = options.batchFirst ?? false;
    const dropout = options.dropout ?? 0;
    checkProbability('MultiHeadAttention', 'dropout', dropout);
    const { kdim, vdim, bias } = options;
    const sub = (name: string) => ({ ...childOptions(options, 'MultiHeadAttention', name), ...(bias === undefined ? {} : { bias }) });
    this.q = this.addModule('q', new Linear(embedDim, embedDim, sub('q')));
    this.k = this.addModule('k', new Linear(kdim ?? embedDim, embedDim, sub('k')));
    this.v = this.addModule('v', new Linear(vdim ?? embedDim, embedDim, sub('v')));
    this.out = this.addModule('out', new Linear(embedDim, embedDim, sub('out')));
    this.attnDropout = this.addModule('attnDropout', new Dropout(dropout));
  }

  /** query [Tq, B, E], key/value [Tk, B, E] (or batch-first) → [Tq, B, E] (or batch-first). */
  forward(query: Tensor, key: Tensor, value: Tensor, masks: AttentionMasks = {}): Tensor {
    for (const [name, t] of [['query', query], ['key', key], ['value', value]] as const) {
      if (t.rank !== 3) throw new ShapeError(`MultiHeadAttention.forward: ${name} has shape [${t.shape.join(',')}]; expected rank 3`);
    }
    return scope(() => {
      const bf = (t: Tensor): Tensor => (this.batchFirst ? t : t.transpose(0, 1));
      const [q, k, v] = [bf(query), bf(key), bf(value)]; // [B, T, E]
      const B = q.shape[0]!;
      const Tq = q.shape[1]!;
      const Tk = k.shape[1]!;
      if (k.shape[0] !== B || v.shape[0] !== B || v.shape[1] !== Tk) {
        throw new ShapeError(`MultiHeadAttention.forward: query/key/value batch or length disagree: [${query.shape}], [${key.shape}], [${value.shape}]`);
      }
      const heads = (t: Tensor, len: number): Tensor => t.reshape([B, len, this.numHeads, this.headDim]).permute([0, 2, 1, 3]);
      const qh = heads(this.q.forward(q), Tq); // [B, h, Tq, d]
      const kh = heads(this.k.forward(k), Tk);
      const vh = heads(this.v.forward(v), Tk);
      let scores = matmul(qh, kh.transpose()).mul(1 / Math.sqrt(this.headDim)); // [B, h, Tq, Tk]
      if (masks.causal) scores = where(causalMask(scores, Tq, Tk), MASKED, scores);
      if (masks.attnMask) scores = this.applyAttnMask(scores, masks.attnMask, Tq, Tk);
      if (masks.keyPaddingMask) {
        const m = masks.keyPaddingMask;
        if (m.dtype !== 'bool') throw new DTypeError(`MultiHeadAttention.forward: keyPaddingMask has dtype ${m.dtype}; expected bool`);
        if (m.rank !== 2 || m.shape[0] !== B || m.shape[1] !== Tk) {
          throw new ShapeError(`MultiHeadAttention.forward: keyPaddingMask has shape [${m.shape.join(',')}]; expected [${B}, ${Tk}]`);
        }
        scores = where(m.reshape([B, 1, 1, Tk]), MASKED, scores);
      }
      const weights = this.attnDropout.forward(scores.softmax(-1));
      const context = matmul(weights, vh).permute([0, 2, 1, 3]).reshape([B, Tq, this.embedDim]);
      const y = this.out.forward(context);
      return this.batchFirst ? y : y.transpose(0, 1).contiguous();
    });
  }

  private applyAttnMask(scores: Tensor, mask: Tensor, tq: number, tk: number): Tensor {
    if (mask.rank !== 2 || mask.shape[0] !== tq || mask.shape[1] !== tk) {
      throw new ShapeError(`MultiHeadAttention.forward: attnMask has shape [${mask.shape.join(',')}]; expected [${tq}, ${tk}]`);
    }
    if (mask.dtype === 'bool') return where(mask, MASKED, scores);
    if (mask.dtype === 'float32') return scores.add(mask);
    throw new DTypeError(`MultiHeadAttention.forward: attnMask has dtype ${mask.dtype}; expected bool or float32`);
  }
}
