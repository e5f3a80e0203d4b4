import { defaultRuntime, randomNormal, scope } from '@nibble/core';
import { describe, expect, it } from 'vitest';
import { checkModuleGradients, pseudoRandom, useCpu } from '../test/helpers.ts';
import { LSTM } from './lstm.ts';

useCpu();

describe('LSTM', () => {
  it('gradients match float64 central differences: 2 layers, batch-first, initial state, dropout between layers', () => {
    const [T, B, I, H, L] = [4, 2, 3, 3, 2];
    checkModuleGradients(
      (runtime) => {
        const m = new LSTM(I, H, { numLayers: L, batchFirst: true, dropout: 0.25, seed: 7, runtime });
        m.setProgress({ step: 1, seed: 2 });
        return m;
      },
      (m, [x, h0, c0]) => {
        const r = m.forward(x!, { h: h0!, c: c0! });
        return r.output.sum().add(r.h.mul(0.7).sum()).add(r.c.mul(-0.4).sum()).add(r.output.square().sum());
      },
      [
        { shape: [B, T, I], values: pseudoRandom(B * T * I, 1) },
        { shape: [L, B, H], values: pseudoRandom(L * B * H, 2) },
        { shape: [L, B, H], values: pseudoRandom(L * B * H, 3) },
      ],
    );
  });

  it('gradients match for the sequence-first layout with zero initial state and no bias', () => {
    checkModuleGradients((runtime) => new LSTM(2, 3, { bias: false, seed: 1, runtime }), (m, [x]) => m.forward(x!).output, [{ shape: [5, 2, 2], values: pseudoRandom(20, 4) }]);
  });

  it('gradients match for a single time step (batched W_hh gradient with T = 1)', () => {
    checkModuleGradients((runtime) => new LSTM(2, 2, { numLayers: 2, seed: 3, runtime }), (m, [x]) => m.forward(x!).c, [{ shape: [1, 3, 2], values: pseudoRandom(6, 9) }]);
  });

  it('names parameters like PyTorch and leaves no tensor behind after a forward pass', () => {
    const lstm = new LSTM(3, 4, { numLayers: 2, dropout: 0.1, seed: 0 });
    expect([...lstm.namedParameters().keys()]).toEqual(['weightIh0', 'weightHh0', 'biasIh0', 'biasHh0', 'weightIh1', 'weightHh1', 'biasIh1', 'biasHh1']);
    expect(lstm.rawParameter('weightIh1').shape).toEqual([16, 4]);
    const x = randomNormal([6, 2, 3], { seed: 0, stream: 1, counter: 0 });
    const before = defaultRuntime.memory();
    scope(() => {
      const r = lstm.forward(x);
      expect(r.output.shape).toEqual([6, 2, 4]);
      expect(r.h.shape).toEqual([2, 2, 4]);
    });
    expect(defaultRuntime.memory()).toEqual(before);
    expect(() => lstm.forward(randomNormal([6, 2, 5], { seed: 0, stream: 1, counter: 0 }))).toThrow(/expected \[T, B, 3\]/);
    lstm.dispose();
    x.dispose();
  });

  it('dropout between layers is off in evaluation mode (same output for any step)', () => {
    const lstm = new LSTM(2, 3, { numLayers: 2, dropout: 0.5, seed: 0 }).eval();
    scope(() => {
      const x = randomNormal([3, 1, 2], { seed: 0, stream: 1, counter: 0 });
      lstm.setProgress({ step: 1 });
      const a = Array.from(lstm.forward(x).output.dataSync());
      lstm.setProgress({ step: 2 });
      expect(Array.from(lstm.forward(x).output.dataSync())).toEqual(a);
      lstm.train();
      expect(Array.from(lstm.forward(x).output.dataSync())).not.toEqual(a);
    });
    lstm.dispose();
  });
});
