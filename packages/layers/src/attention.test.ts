import fc from 'fast-check';
import { defaultRuntime, scope, tensor, tensorLike } from '@nibble/core';
import { describe, expect, it } from 'vitest';
import { checkModuleGradients, pseudoRandom, useCpu } from '../test/helpers.ts';
import { MultiHeadAttention } from './attention.ts';

useCpu();

describe('MultiHeadAttention', () => {
  it('gradients match float64 central differences: causal, key padding, attention dropout in training', () => {
    const [B, T, E] = [2, 3, 4];
    checkModuleGradients(
      (runtime) => {
        const m = new MultiHeadAttention(E, 2, { batchFirst: true, dropout: 0.2, seed: 3, runtime });
        m.setProgress({ step: 5, seed: 1 });
        return m;
      },
      (m, [x, kv]) => {
        const pad = tensorLike(x!, new Uint8Array([0, 0, 0, 0, 0, 1]), [B, T], 'bool');
        return m.forward(x!, kv!, kv!, { causal: true, keyPaddingMask: pad });
      },
      [
        { shape: [B, T, E], values: pseudoRandom(B * T * E, 1) },
        { shape: [B, T, E], values: pseudoRandom(B * T * E, 2) },
      ],
    );
  });

  it('causal: outputs at step t do not depend on inputs after t (sequence-first layout)', () => {
    const mha = new MultiHeadAttention(4, 2, { seed: 1 });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 1000 }), (t, seed) => {
        scope(() => {
          const T = 5;
          const base = pseudoRandom(T * 4, seed);
          const changed = Float32Array.from(base, (v, i) => (Math.floor(i / 4) >= t ? v + 1 : v));
          const run = (v: Float32Array) => {
            const x = tensor(v, { shape: [T, 1, 4] });
            return Array.from(mha.forward(x, x, x, { causal: true }).dataSync()).slice(0, t * 4);
          };
          const a = run(base);
          const b = run(changed);
          a.forEach((v, i) => expect(Math.abs(v - b[i]!)).toBeLessThan(1e-6));
        });
      }),
      { numRuns: 20 },
    );
    mha.dispose();
  });

  it('a float attention mask is added to the scores; a bool one forbids; memory is freed', () => {
    const mha = new MultiHeadAttention(4, 1, { batchFirst: true, seed: 2 });
    const x = tensor(pseudoRandom(12, 3), { shape: [1, 3, 4] });
    const before = defaultRuntime.memory();
    scope(() => {
      const boolMask = tensor(new Uint8Array([0, 1, 1, 0, 0, 1, 0, 0, 0]), { shape: [3, 3], dtype: 'bool' });
      const floatMask = tensor([0, -1e9, -1e9, 0, 0, -1e9, 0, 0, 0], { shape: [3, 3] });
      const causal = Array.from(mha.forward(x, x, x, { causal: true }).dataSync());
      Array.from(mha.forward(x, x, x, { attnMask: boolMask }).dataSync()).forEach((v, i) => expect(v).toBeCloseTo(causal[i]!, 6));
      Array.from(mha.forward(x, x, x, { attnMask: floatMask }).dataSync()).forEach((v, i) => expect(v).toBeCloseTo(causal[i]!, 6));
    });
    expect(defaultRuntime.memory()).toEqual(before);
    expect(() => new MultiHeadAttention(6, 4)).toThrow(/embedDim 6 is not divisible by numHeads 4/);
    mha.dispose();
    x.dispose();
  });
});
