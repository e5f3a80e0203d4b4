import { defaultRuntime, scope, tensor, tensorLike, valueAndGrad } from '@nibble/core';
import { describe, expect, it } from 'vitest';
import { checkModuleGradients, useCpu } from '../test/helpers.ts';
import { Embedding } from './embedding.ts';

useCpu();

describe('Embedding', () => {
  it('gradient of the table matches float64 central differences (repeated and padding indices)', () => {
    checkModuleGradients(
      (runtime) => new Embedding(5, 3, { seed: 2, paddingIdx: 0, runtime }),
      (m) => m.forward(tensorLike(m.rawParameter('weight'), new Int32Array([4, 0, 2, 4, 1]), [5], 'int32')).square(),
      [],
    );
  });

  it('gathers rows; the gradient sums the cotangent rows per index; the padding row gets none', () => {
    const emb = new Embedding(4, 2, { seed: 1, paddingIdx: 3 });
    const w = Array.from(emb.rawParameter('weight').dataSync());
    expect(w.slice(6)).toEqual([0, 0]);
    scope(() => {
      const idx = tensor(new Int32Array([2, 0, 2, 3]), { shape: [2, 2] });
      const before = defaultRuntime.memory();
      scope(() => {
        emb.forward(idx);
      });
      expect(defaultRuntime.memory()).toEqual(before);
      expect(emb.forward(idx).arraySync()).toEqual([[[w[4], w[5]], [w[0], w[1]]], [[w[4], w[5]], [0, 0]]]);
      const r = tensor([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]);
      const { grads } = valueAndGrad((_p: Record<string, import('@nibble/core').Tensor>) => emb.forward(idx).mul(r).sum())(emb.parameters());
      expect(grads[0]['weight']!.arraySync()).toEqual([[3, 4], [0, 0], [6, 8], [0, 0]]);
    });
    expect(() => emb.forward(tensor([1]))).toThrow(/indices have dtype float32; expected int32/);
    emb.dispose();
  });
});
