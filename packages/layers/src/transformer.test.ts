import { defaultRuntime, scope, tensor } from '@nibble/core';
import { describe, expect, it } from 'vitest';
import { checkModuleGradients, pseudoRandom, useCpu } from '../test/helpers.ts';
import { TransformerDecoderLayer, TransformerEncoderLayer } from './transformer.ts';

useCpu();

describe('TransformerEncoderLayer / TransformerDecoderLayer', () => {
  for (const normFirst of [false, true]) {
    it(`encoder (${normFirst ? 'pre' : 'post'}-norm, ${normFirst ? 'GELU' : 'ReLU'}, dropout in training): gradients match float64 central differences`, () => {
      checkModuleGradients(
        (runtime) => {
          const m = new TransformerEncoderLayer(4, 2, { dimFeedforward: 6, dropout: 0.2, activation: normFirst ? 'gelu' : 'relu', normFirst, seed: 1, runtime });
          m.setProgress({ step: 3, seed: 4 });
          return m;
        },
        (m, [x]) => m.forward(x!, { causal: true }),
        [{ shape: [3, 2, 4], values: pseudoRandom(24, 7) }],
      );
    });
  }

  it('decoder (post-norm, dropout in training): gradients match float64 central differences', () => {
    checkModuleGradients(
      (runtime) => {
        const m = new TransformerDecoderLayer(4, 2, { dimFeedforward: 6, dropout: 0.1, batchFirst: true, seed: 2, runtime });
        m.setProgress({ step: 1, seed: 9 });
        return m;
      },
      (m, [tgt, mem]) => m.forward(tgt!, mem!, { tgt: { causal: true } }),
      [
        { shape: [2, 3, 4], values: pseudoRandom(24, 8) },
        { shape: [2, 2, 4], values: pseudoRandom(16, 9) },
      ],
    );
  });

  it('decoder pre-norm: gradients match; child names follow PyTorch; no leak', () => {
    checkModuleGradients(
      (runtime) => new TransformerDecoderLayer(4, 1, { dimFeedforward: 4, dropout: 0, normFirst: true, seed: 3, runtime }),
      (m, [tgt, mem]) => m.forward(tgt!, mem!),
      [
        { shape: [2, 1, 4], values: pseudoRandom(8, 10) },
        { shape: [3, 1, 4], values: pseudoRandom(12, 11) },
      ],
    );
    const dec = new TransformerDecoderLayer(8, 2, { dimFeedforward: 16 });
    expect([...dec.namedParameters().keys()].filter((k) => !k.includes('Attn.'))).toEqual([
      'linear1.weight', 'linear1.bias', 'linear2.weight', 'linear2.bias', 'norm1.weight', 'norm1.bias', 'norm2.weight', 'norm2.bias', 'norm3.weight', 'norm3.bias',
    ]);
    const x = tensor(pseudoRandom(32, 1), { shape: [2, 2, 8] });
    const before = defaultRuntime.memory();
    scope(() => {
      dec.forward(x, x, { tgt: { causal: true } });
    });
    expect(defaultRuntime.memory()).toEqual(before);
    dec.dispose();
    x.dispose();
  });
});
