import { scope, type Tensor, ValueError } from '@nibble/core';
import { type AttentionMasks, MultiHeadAttention } from './attention.ts';
import { Dropout } from './dropout.ts';
import { checkProbability, checkSize, childOptions, type LayerOptions } from './init.ts';
import { LayerNorm } from './layer-norm.ts';
import { Linear } from './linear.ts';
import { Module } from './module.ts';

/** Options shared by {@link TransformerEncoderLayer} and {@link TransformerDecoderLayer} (PyTorch's defaults). */
export interface TransformerLayerOptions extends LayerOptions {
  /** Hidden size of the feed-forward block (default 2048). */
  dimFeedforward?: number;
  /** Dropout after attention, inside and after the feed-forward block (default 0.1). */
  dropout?: number;
  /** Feed-forward activation (default 'relu'). */
  activation?: 'relu' | 'gelu';
  /** LayerNorm epsilon (default 1e-5). */
  layerNormEps?: number;
  /** [B, T, E] instead of [T, B, E] (default false). */
  batchFirst?: boolean;
  /** Pre-norm (`x + f(norm(x))`) instead of post-norm (`norm(x + f(x))`) (default false). */
  normFirst?: boolean;
}

interface Resolved {
  dimFeedforward: number;
  dropout: number;
  activation: 'relu' | 'gelu';
  eps: number;
  batchFirst: boolean;
  normFirst: boolean;
}

function resolve(where: string, dModel: number, nhead: number, o: TransformerLayerOptions): Resolved {
  checkSize(where, 'dModel', dModel);
  checkSize(where, 'nhead', nhead);
  const r: Resolved = {
    dimFeedforward: o.dimFeedforward ?? 2048,
    dropout: o.dropout ?? 0.1,
    activation: o.activation ?? 'relu',
    eps: o.layerNormEps ?? 1e-5,
    batchFirst: o.batchFirst ?? false,
    normFirst: o.normFirst ?? false,
  };
  checkSize(where, 'dimFeedforward', r.dimFeedforward);
  checkProbability(where, 'dropout', r.dropout);
  if (r.activation !== 'relu' && r.activation !== 'gelu') throw new ValueError(`${where}: activation '${String(r.activation)}'; expected 'relu' or 'gelu'`);
  return r;
}

/** linear2(dropout(act(linear1(x)))). */
class FeedForward {
  constructor(
    private readonly linear1: Linear,
    private readonly linear2: Linear,
    private readonly dropout: Dropout,
    private readonly activation: 'relu' | 'gelu',
  ) {}

  forward(x: Tensor): Tensor {
    const h = this.linear1.forward(x);
    return this.linear2.forward(this.dropout.forward(this.activation === 'relu' ? h.relu() : h.gelu()));
  }
}

/**
 * PyTorch's `nn.TransformerEncoderLayer`: self-attention and a feed-forward block, each with a residual connection,
 * dropout and LayerNorm, post-norm by default or pre-norm with `normFirst`. Child names follow PyTorch's in camel
 * case (`selfAttn`, `linear1`, `linear2`, `norm1`, `norm2`, `dropout`, `dropout1`, `dropout2`).
 *
 * @example
 * ```ts
 * const enc = new TransformerEncoderLayer(32, 4, { dimFeedforward: 64, batchFirst: true, seed: 0 });
 * const x = randomNormal([2, 5, 32], { seed: 0, stream: 0, counter: 0 });
 * const keyPaddingMask = tensor(new Uint8Array([0, 0, 0, 1, 1, 0, 0, 0, 0, 0]), { shape: [2, 5], dtype: 'bool' });
 * const y = enc.forward(x, { keyPaddingMask }); // [2, 5, 32]
 * ```
 */
export class TransformerEncoderLayer extends Module {
  private readonly cfg: Resolved;
  private readonly selfAttn: MultiHeadAttention;
  private readonly ff: FeedForward;
  private readonly norm1: LayerNorm;
  private readonly norm2: LayerNorm;
  private readonly dropout1: Dropout;
  private readonly dropout2: Dropout;

  constructor(
    readonly dModel: number,
    readonly nhead: number,
    options: TransformerLayerOptions = {},
  ) {
    super();
    const c = (this.cfg = resolve('TransformerEncoderLayer', dModel, nhead, options));
    this.selfAttn = this.addModule('selfAttn', new MultiHeadAttention(dModel, nhead, { ...childOptions(options, 'TransformerEncoderLayer', 'selfAttn'), dropout: c.dropout, batchFirst: c.batchFirst }));
    const linear1 = this.addModule('linear1', new Linear(dModel, c.dimFeedforward, childOptions(options, 'TransformerEncoderLayer', 'linear1')));
    const dropout = this.addModule('dropout', new Dropout(c.dropout));
    const linear2 = this.addModule('linear2', new Linear(c.dimFeedforward, dModel, childOptions(options, 'TransformerEncoderLayer', 'linear2')));
    this.ff = new FeedForward(linear1, linear2, dropout, c.activation);
    this.norm1 = this.addModule('norm1', new LayerNorm(dModel, { ...childOptions(options, 'TransformerEncoderLayer', 'norm1'), eps: c.eps }));
    this.norm2 = this.addModule('norm2', new LayerNorm(dModel, { ...childOptions(options, 'TransformerEncoderLayer', 'norm2'), eps: c.eps }));
    this.dropout1 = this.addModule('dropout1', new Dropout(c.dropout));
    this.dropout2 = this.addModule('dropout2', new Dropout(c.dropout));
  }

  /** src [T, B, E] (or [B, T, E]) → same shape. */
  forward(src: Tensor, masks: AttentionMasks = {}): Tensor {
    return scope(() => {
      const sa = (x: Tensor): Tensor => this.dropout1.forward(this.selfAttn.forward(x, x, x, masks));
      const ff = (x: Tensor): Tensor => this.dropout2.forward(this.ff.forward(x));
      if (this.cfg.normFirst) {
        const x = src.add(sa(this.norm1.forward(src)));
        return x.add(ff(this.norm2.forward(x)));
      }
      const x = this.norm1.forward(src.add(sa(src)));
      return this.norm2.forward(x.add(ff(x)));
    });
  }
}

/** Masks of a decoder layer call. */
export interface DecoderMasks {
  /** Masks of the self-attention over the target (usually `{ causal: true }`). */
  tgt?: AttentionMasks;
  /** Masks of the cross-attention over the memory (e.g. its key padding). */
  memory?: AttentionMasks;
}

/**
 * PyTorch's `nn.TransformerDecoderLayer`: self-attention over the target, cross-attention over the encoder memory and
 * a feed-forward block, each with residual, dropout and LayerNorm (post-norm or pre-norm). Children: `selfAttn`,
 * `crossAttn` (PyTorch's `multihead_attn`), `linear1`, `linear2`, `norm1..3`, `dropout`, `dropout1..3`.
 *
 * @example
 * ```ts
 * const dec = new TransformerDecoderLayer(32, 4, { dimFeedforward: 64, batchFirst: true, seed: 0 });
 * const tgt = randomNormal([2, 4, 32], { seed: 0, stream: 0, counter: 0 });
 * const memory = randomNormal([2, 7, 32], { seed: 0, stream: 1, counter: 0 });
 * const y = dec.forward(tgt, memory, { tgt: { causal: true } }); // [2, 4, 32]
 * ```
 */
export class TransformerDecoderLayer extends Module {
  private readonly cfg: Resolved;
  private readonly selfAttn: MultiHeadAttention;
  private readonly crossAttn: MultiHeadAttention;
  private readonly ff: FeedForward;
  private readonly norms: [LayerNorm, LayerNorm, LayerNorm];
  private readonly drops: [Dropout, Dropout, Dropout];

  constructor(
    readonly dModel: number,
    readonly nhead: number,
    options: TransformerLayerOptions = {},
  ) {
    super();
    const c = (this.cfg = resolve('TransformerDecoderLayer', dModel, nhead, options));
    const child = (name: string): LayerOptions => childOptions(options, 'TransformerDecoderLayer', name);
    const attn = (name: string): MultiHeadAttention => new MultiHeadAttention(dModel, nhead, { ...child(name), dropout: c.dropout, batchFirst: c.batchFirst });
    this.selfAttn = this.addModule('selfAttn', attn('selfAttn'));
    this.crossAttn = this.addModule('crossAttn', attn('crossAttn'));
    const linear1 = this.addModule('linear1', new Linear(dModel, c.dimFeedforward, child('linear1')));
    const dropout = this.addModule('dropout', new Dropout(c.dropout));
    const linear2 = this.addModule('linear2', new Linear(c.dimFeedforward, dModel, child('linear2')));
    this.ff = new FeedForward(linear1, linear2, dropout, c.activation);
    const norm = (i: number): LayerNorm => this.addModule(`norm${i}`, new LayerNorm(dModel, { ...child(`norm${i}`), eps: c.eps }));
    this.norms = [norm(1), norm(2), norm(3)];
    const drop = (i: number): Dropout => this.addModule(`dropout${i}`, new Dropout(c.dropout));
    this.drops = [drop(1), drop(2), drop(3)];
  }

  /** tgt [T, B, E], memory [S, B, E] (or batch-first) → like tgt. */
  forward(tgt: Tensor, memory: Tensor, masks: DecoderMasks = {}): Tensor {
    return scope(() => {
      const [n1, n2, n3] = this.norms;
      const [d1, d2, d3] = this.drops;
      const sa = (x: Tensor): Tensor => d1.forward(this.selfAttn.forward(x, x, x, masks.tgt));
      const ca = (x: Tensor): Tensor => d2.forward(this.crossAttn.forward(x, memory, memory, masks.memory));
      const ff = (x: Tensor): Tensor => d3.forward(this.ff.forward(x));
      if (this.cfg.normFirst) {
        let x = tgt.add(sa(n1.forward(tgt)));
        x = x.add(ca(n2.forward(x)));
        return x.add(ff(n3.forward(x)));
      }
      let x = n1.forward(tgt.add(sa(tgt)));
      x = n2.forward(x.add(ca(x)));
      return n3.forward(x.add(ff(x)));
    });
  }
}
