import fc from 'fast-check';
import { concat, defaultRuntime, randomNormal, scope, type Tensor } from '@nibble/core';
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

  const values = (t: Tensor) => Array.from(t.hostValuesSync());
  const dims = fc.record({ T: fc.integer({ min: 2, max: 6 }), B: fc.integer({ min: 1, max: 3 }), I: fc.integer({ min: 1, max: 4 }), H: fc.integer({ min: 1, max: 4 }), L: fc.integer({ min: 1, max: 3 }), seed: fc.nat(1000) });

  it('batch-first on [B, T, I] equals time-first on the transposed input, for output and final state', () => {
    fc.assert(
      fc.property(dims, ({ T, B, I, H, L, seed }) => {
        const timeFirst = new LSTM(I, H, { numLayers: L, seed });
        const batchFirst = new LSTM(I, H, { numLayers: L, seed, batchFirst: true });
        scope(() => {
          const x = randomNormal([B, T, I], { seed, stream: 2, counter: 0 });
          const h0 = randomNormal([L, B, H], { seed, stream: 3, counter: 0 });
          const c0 = randomNormal([L, B, H], { seed, stream: 4, counter: 0 });
          const a = batchFirst.forward(x, { h: h0, c: c0 });
          const b = timeFirst.forward(x.transpose(0, 1), { h: h0, c: c0 });
          expect(a.output.shape).toEqual([B, T, H]);
          expect(values(a.output)).toEqual(values(b.output.transpose(0, 1)));
          expect(values(a.h)).toEqual(values(b.h));
          expect(values(a.c)).toEqual(values(b.c));
        });
        timeFirst.dispose();
        batchFirst.dispose();
      }),
      { numRuns: 25 },
    );
  });

  it('final state out is the last step of every layer: feeding it back continues the sequence exactly', () => {
    fc.assert(
      fc.property(dims, fc.nat(), ({ T, B, I, H, L, seed }, cut) => {
        const lstm = new LSTM(I, H, { numLayers: L, seed });
        const k = 1 + (cut % (T - 1)); // split point in [1, T − 1]
        scope(() => {
          const x = randomNormal([T, B, I], { seed, stream: 5, counter: 0 });
          const whole = lstm.forward(x);
          // the top layer's final h is the output's last step
          expect(values(whole.h.slice([L - 1, 0, 0], [1, B, H]).reshape([B, H]))).toEqual(values(whole.output.slice([T - 1, 0, 0], [1, B, H]).reshape([B, H])));
          const first = lstm.forward(x.slice([0, 0, 0], [k, B, I]));
          const second = lstm.forward(x.slice([k, 0, 0], [T - k, B, I]), { h: first.h, c: first.c });
          const joined = values(concat([first.output, second.output], 0));
          values(whole.output).forEach((v, i) => expect(Math.abs(v - joined[i]!)).toBeLessThanOrEqual(1e-6));
          values(whole.h).forEach((v, i) => expect(Math.abs(v - values(second.h)[i]!)).toBeLessThanOrEqual(1e-6));
          values(whole.c).forEach((v, i) => expect(Math.abs(v - values(second.c)[i]!)).toBeLessThanOrEqual(1e-6));
        });
        lstm.dispose();
      }),
      { numRuns: 25 },
    );
  });

  it('dropout acts between layers only: not on the first layer\'s state, not on the last layer\'s output', () => {
    scope(() => {
      const x = randomNormal([5, 2, 3], { seed: 1, stream: 6, counter: 0 });
      // one layer: nothing to drop between, so training equals evaluation
      const single = new LSTM(3, 4, { dropout: 0.9, seed: 2 });
      const trained = values(single.forward(x).output);
      expect(values(single.eval().forward(x).output)).toEqual(trained);
      single.dispose();
      // two layers: layer 0 (before any dropout) is unchanged, layer 1 sees dropped inputs
      const stacked = new LSTM(3, 4, { numLayers: 2, dropout: 0.5, seed: 2 });
      const train = stacked.forward(x);
      const evaluation = stacked.eval().forward(x);
      const layer = (t: Tensor, l: number) => values(t.slice([l, 0, 0], [1, 2, 4]));
      expect(layer(train.h, 0)).toEqual(layer(evaluation.h, 0));
      expect(layer(train.c, 0)).toEqual(layer(evaluation.c, 0));
      expect(layer(train.h, 1)).not.toEqual(layer(evaluation.h, 1));
      // the top layer's output is not dropped: its last step is still the top layer's final h
      expect(values(train.output.slice([4, 0, 0], [1, 2, 4]))).toEqual(layer(train.h, 1));
      stacked.dispose();
    });
  });
});
