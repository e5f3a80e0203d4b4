import { DTypeError, gather, scope, type Tensor, ValueError, where } from '@nibble/core';
import { checkSize, Initializer, type LayerOptions } from './init.ts';
import { Module } from './module.ts';

/** Options of {@link Embedding}. */
export interface EmbeddingOptions extends LayerOptions {
  /** Index whose row starts at zero and receives no gradient (PyTorch's `padding_idx`). */
  paddingIdx?: number;
}

/**
 * A lookup table: int32 indices [...] → rows of `weight` [num, dim] ([..., dim]). Initialized N(0, 1) as in PyTorch.
 *
 * @example
 * ```ts
 * const emb = new Embedding(10, 4, { seed: 1 });
 * const e = emb.forward(tensor(new Int32Array([1, 5, 1]))); // [3, 4]
 * ```
 */
export class Embedding extends Module {
  readonly paddingIdx: number | undefined;

  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    options: EmbeddingOptions = {},
  ) {
    super();
    checkSize('Embedding', 'numEmbeddings', numEmbeddings);
    checkSize('Embedding', 'embeddingDim', embeddingDim);
    const pad = options.paddingIdx;
    if (pad !== undefined && (!Number.isInteger(pad) || pad < 0 || pad >= numEmbeddings)) {
      throw new ValueError(`Embedding: paddingIdx = ${pad}; expected an integer in [0, ${numEmbeddings})`);
    }
    this.paddingIdx = pad;
    const init = new Initializer('Embedding', options);
    const data = init.hostNormal('weight', numEmbeddings * embeddingDim);
    if (pad !== undefined) data.fill(0, pad * embeddingDim, (pad + 1) * embeddingDim);
    this.addParameter('weight', init.values([numEmbeddings, embeddingDim], data));
  }

  /** indices: int32 [...] → [..., dim]. */
  forward(indices: Tensor): Tensor {
    if (indices.dtype !== 'int32') throw new DTypeError(`Embedding.forward: indices have dtype ${indices.dtype}; expected int32`);
    return scope(() => {
      const rows = gather(this.weight('weight'), indices, 0);
      if (this.paddingIdx === undefined) return rows;
      // Zero the padding rows through `where`, so no gradient reaches the padding entry.
      return where(indices.eq(this.paddingIdx).unsqueeze(-1), 0, rows);
    });
  }
}
