import { defaultRuntime, scope, type Tensor, tensor, valueAndGrad } from '@nibble/core';
import { describe, expect, it } from 'vitest';
import { checkModuleGradients, pseudoRandom, useCpu } from '../test/helpers.ts';
import { bjorck } from './bjorck.ts';
import { mat, orthogonalityError } from './host-linalg.ts';
import { mseLoss } from './losses.ts';
import { OrthogonalRNN } from './orthogonal-rnn.ts';

useCpu();

const errorOf = (t: Tensor) => orthogonalityError(mat(t.shape[0]!, t.shape[1]!, t.hostValuesSync()));

describe('OrthogonalRNN (spec §7)', () => {
  for (const activation of ['modrelu', 'relu', 'tanh'] as const) {
    it(`${activation}, stored W: gradients of U, b, W, the modReLU bias, x and h0 match float64 central differences`, () => {
      checkModuleGradients(
        (runtime) => new OrthogonalRNN(3, 4, { activation, parametrization: 'projunn-d', init: 'random', seed: 2, runtime }),
        (m, [x, h0]) => {
          const r = m.forward(x!, h0!);
          return r.output.add(r.h.mul(0.5));
        },
        [
          { shape: [5, 2, 3], values: pseudoRandom(30, 1) },
          { shape: [2, 4], values: pseudoRandom(8, 2) },
        ],
      );
    });
  }

  it('Björck parametrization: gradients through the 15 iterations match float64 central differences (batch-first)', () => {
    checkModuleGradients(
      (runtime) => {
        const m = new OrthogonalRNN(2, 3, { activation: 'tanh', init: 'henaff', batchFirst: true, seed: 4, runtime });
        // Inject the free parameter V (the gradcheck input) in front of Björck, as the layer does with its own V.
        const original = m.setWeightTransform.bind(m);
        m.setWeightTransform = (name, t) => original(name, name === 'recurrentWeight' && t ? (w, ctx) => bjorck(t(w, ctx)) : t);
        return m;
      },
      (m, [x]) => m.forward(x!).output,
      [{ shape: [2, 4, 2], values: pseudoRandom(16, 3) }],
    );
  });

  it('initializations are orthogonal (Henaff 2×2 rotations, Haar); Björck W is orthogonal and is what a weight transform sees', () => {
    const henaff = new OrthogonalRNN(2, 9, { init: 'henaff', seed: 1 });
    const w = henaff.rawParameter('recurrentWeight');
    expect(errorOf(w)).toBeLessThan(1e-6);
    const data = w.dataSync();
    expect(data[2]).toBe(0); // block diagonal
    expect(data[80]).toBe(1); // odd n: trailing 1
    const rnn = new OrthogonalRNN(2, 16, { init: 'random', seed: 1 });
    expect(errorOf(rnn.rawParameter('recurrentWeight'))).toBeLessThan(1e-5);
    scope(() => {
      rnn.assign({ recurrentWeight: rnn.rawParameter('recurrentWeight').mul(1.3) }); // V no longer orthogonal
      let seen = Infinity;
      rnn.setWeightTransform('recurrentWeight', (v) => {
        seen = errorOf(v);
        return v;
      });
      expect(errorOf(rnn.recurrentMatrix())).toBeLessThan(1e-5);
      expect(seen).toBeLessThan(1e-5);
    });
    henaff.dispose();
    rnn.dispose();
  });

  it('projunnStep (full rank) lowers the loss and keeps W orthogonal; forward frees its intermediates', () => {
    const rnn = new OrthogonalRNN(3, 6, { activation: 'tanh', parametrization: 'projunn-t', projunnRank: 6, seed: 5 });
    const x = tensor(pseudoRandom(4 * 2 * 3, 7), { shape: [4, 2, 3] });
    const target = tensor(pseudoRandom(12, 8), { shape: [2, 6] });
    const loss = (_p: Record<string, Tensor>) => mseLoss(rnn.forward(x).h, target);
    const losses: number[] = [];
    for (let step = 0; step < 5; step++) {
      scope(() => {
        const { value, grads } = valueAndGrad(loss)(rnn.parameters());
        losses.push(value.item());
        rnn.projunnStep(grads[0]['recurrentWeight']!, 0.5);
      });
    }
    for (let i = 1; i < losses.length; i++) expect(losses[i]).toBeLessThan(losses[i - 1]!);
    expect(errorOf(rnn.rawParameter('recurrentWeight'))).toBeLessThan(1e-5);
    const before = defaultRuntime.memory();
    scope(() => {
      rnn.forward(x);
    });
    expect(defaultRuntime.memory()).toEqual(before);
    expect(() => new OrthogonalRNN(3, 6).projunnStep(target, 0.1)).toThrow(/parametrization is 'bjorck'/);
    rnn.dispose();
  });
});
