import { type Tensor, tensor, valueAndGrad } from '@nibble/core';
import { OrthogonalRNN } from '@nibble/layers';
import { describe, expect, it } from 'vitest';
import { gaussian } from '../../test/setup.ts';
import { QuantizerConfigError } from '../errors.ts';
import { steBjorck } from './qornn.ts';

describe('QORNN STE-Björck (spec §7.3)', () => {
  it('the recurrence uses q(Björck(V)): on a 4-bit grid, column norms within the Weyl bound; V gets gradients', () => {
    const n = 32;
    const rnn = new OrthogonalRNN(3, n, { parametrization: 'bjorck', init: 'random', seed: 1 });
    const { recurrent, input } = steBjorck(rnn, { bits: 4 });
    expect(input).toBeDefined();
    const wq = rnn.recurrentMatrix();
    const values = wq.dataSync();
    const s = recurrent.export(rnn.recurrentMatrix()).tables[0]!;
    const levels = new Set(Array.from(values, (v) => Math.round(v / s)));
    expect(levels.size).toBeLessThanOrEqual(15);
    for (const v of values) expect(Math.abs(v / s - Math.round(v / s))).toBeLessThan(1e-4);
    // Weyl (§7.5): every singular value of q(W), hence every column norm, lies in [1 − ‖E‖₂, 1 + ‖E‖₂] with E = q(W) − W.
    rnn.setWeightTransform('recurrentWeight', undefined);
    const w = rnn.recurrentMatrix();
    const e = Math.sqrt(Array.from(w.dataSync()).reduce((a, v, i) => a + (values[i]! - v) ** 2, 0));
    expect(e).toBeGreaterThan(0);
    for (let j = 0; j < n; j++) {
      let norm = 0;
      for (let i = 0; i < n; i++) norm += values[i * n + j]! ** 2;
      expect(Math.abs(Math.sqrt(norm) - 1)).toBeLessThanOrEqual(e + 1e-5);
    }
    rnn.setWeightTransform('recurrentWeight', (v, ctx) => recurrent.forward(v, ctx));
    const x = tensor(gaussian(5 * 2 * 3, 3), { shape: [5, 2, 3] });
    const params = rnn.parameters();
    const { value, grads: [grads] } = valueAndGrad((_p: Record<string, Tensor>) => rnn.forward(x).h.square().sum())(params);
    expect(Array.from(grads.recurrentWeight!.dataSync()).some((v) => v !== 0)).toBe(true);
    for (const t of [wq, w, x, value, ...Object.values(grads)]) t.dispose();
    rnn.dispose();
  });

  it('refuses projUNN layers', () => {
    const rnn = new OrthogonalRNN(2, 4, { parametrization: 'projunn-d', seed: 0 });
    expect(() => steBjorck(rnn, { bits: 4 })).toThrow(QuantizerConfigError);
    rnn.dispose();
  });
});
