import { defaultRuntime, tensorLike, zeros } from '@nibble/core';
import { gradcheck } from '@nibble/core/testing';
import { describe, expect, it } from 'vitest';
import { float64Runtime, pseudoRandom, useCpu } from '../test/helpers.ts';
import { type RecurrentCell, scan } from './recurrence.ts';

useCpu();

/** s_t = tanh(s_{t−1} · a + x_t) with a per-feature parameter a, its per-step gradient of a, no batched one. */
const cell: RecurrentCell = {
  step: (s, x, [a]) => s.mul(a!).add(x).tanh(),
  backward: (s, x, [a], g) => {
    const dz = g.mul(s.mul(a!).add(x).tanh().square().neg().add(1));
    return { state: dz.mul(a!), input: dz.clone(), params: [dz.mul(s).sum(0)] };
  },
};

describe('scan', () => {
  for (const T of [1, 2, 6]) {
    it(`differentiates inputs, initial state and parameters through ${T} step(s) (float64 central differences)`, () => {
      const [B, F] = [2, 3];
      const r = gradcheck(
        (xs, s0, a) => {
          const states = scan(cell, xs!, s0!, [a!]);
          return states.mul(tensorLike(states, pseudoRandom(T * B * F, 5), [T, B, F])).sum();
        },
        [
          { shape: [T, B, F], values: pseudoRandom(T * B * F, 1) },
          { shape: [B, F], values: pseudoRandom(B * F, 2) },
          { shape: [F], values: [0.9, -0.5, 1.3] },
        ],
        { runtime: defaultRuntime, reference: float64Runtime() },
      );
      expect(r.ok, r.message).toBe(true);
    });
  }

  it('returns every state stacked on the time axis', () => {
    const xs = tensorLike(zeros([1], {}), [1, 2, 3, 4], [4, 1, 1]);
    const sum: RecurrentCell = { step: (s, x) => s.add(x), backward: (_s, _x, _p, g) => ({ state: g.clone(), input: g.clone(), params: [] }) };
    expect(scan(sum, xs, zeros([1, 1]), []).arraySync()).toEqual([[[1]], [[3]], [[6]], [[10]]]);
  });
});
