import { hostRandom, scope, tensor } from '@nibble/core';
import { describe, expect, it } from 'vitest';
import { useCpu } from '../test/helpers.ts';
import { add, bjorckHost, expm, identity, mat, type Mat, matmul, orthogonalityError, scale, transpose } from './host-linalg.ts';
import { randomOrthogonal } from './orthogonal-init.ts';
import { OrthogonalRNN } from './orthogonal-rnn.ts';
import { lowRankSketch, projunnUpdate } from './projunn.ts';

useCpu();

const gaussian = (n: number, stream: number) => hostRandom.normal({ seed: 5, stream }, 0, n);
const haar = (n: number, stream: number): Mat => randomOrthogonal(n, gaussian(n * n, stream));
const maxAbsDiff = (a: Mat, b: Mat) => Math.max(...a.data.map((x, i) => Math.abs(x - b.data[i]!)));

describe('projUNN (spec §7.4, §7.5)', () => {
  it('an update with a = 0 changes nothing', () => {
    const w = haar(8, 1);
    for (const mode of ['D', 'T'] as const) {
      const out = projunnUpdate(w, mat(8, 1), mat(8, 1, gaussian(8, 2)), mode);
      expect(Array.from(out.data)).toEqual(Array.from(w.data));
    }
    const zero = lowRankSketch(mat(8, 8), 1, gaussian(8, 3));
    expect(zero.a.data.every((x) => x === 0)).toBe(true);
  });

  it('D with r = n and exact factors equals the polar factor of W + Δ', () => {
    const n = 6;
    const w = haar(n, 10);
    const delta = scale(mat(n, n, gaussian(n * n, 11)), 0.2);
    const out = projunnUpdate(w, delta, identity(n), 'D');
    // Reference polar factor: Newton–Schulz/Björck iterated to convergence on the (well-conditioned) W + Δ.
    const target = add(w, delta);
    const s = Math.sqrt(target.data.reduce((acc, x) => acc + x * x, 0)); // Frobenius ≥ σ_max
    const polar = bjorckHost(scale(target, 1 / s), 60);
    expect(maxAbsDiff(out, polar)).toBeLessThan(1e-7);
    expect(orthogonalityError(out)).toBeLessThan(1e-7);
  });

  it('T with r = n equals W · exp(skew(WᵀΔ)), the exponential map along the tangent projection', () => {
    const n = 5;
    const w = haar(n, 20);
    const delta = scale(mat(n, n, gaussian(n * n, 21)), 0.3);
    const g = matmul(transpose(w), delta);
    const skew = scale(add(g, transpose(g), -1), 0.5);
    const expected = matmul(w, expm(skew));
    expect(maxAbsDiff(projunnUpdate(w, delta, identity(n), 'T'), expected)).toBeLessThan(1e-7);
  });

  it('the rank-r sketch reproduces Δ on its row subspace: a bᵀ = Δ b bᵀ with orthonormal b', () => {
    const n = 10;
    const delta = mat(n, n, gaussian(n * n, 30));
    const { a, b } = lowRankSketch(delta, 3, gaussian(n * 3, 31));
    expect(b.cols).toBe(3);
    expect(orthogonalityError(b)).toBeLessThan(1e-10);
    expect(maxAbsDiff(matmul(a, transpose(b)), matmul(matmul(delta, b), transpose(b)))).toBeLessThan(1e-10);
  });

  for (const parametrization of ['projunn-d', 'projunn-t'] as const) {
    it(`${parametrization}: W stays orthogonal (‖WᵀW − I‖_F < 1e-4, float32 storage) over 1000 random updates, n = 32`, () => {
      const n = 32;
      const rnn = new OrthogonalRNN(4, n, { parametrization, init: 'random', seed: 3 });
      let worst = 0;
      let afterOne = 0;
      const start = mat(n, n, rnn.rawParameter('recurrentWeight').hostValuesSync());
      let smallestStep = Infinity;
      for (let step = 0; step < 1000; step++) {
        const previous = rnn.rawParameter('recurrentWeight').hostValuesSync();
        rnn.setProgress({ step });
        scope(() => rnn.projunnStep(tensor(gaussian(n * n, 1000 + step), { shape: [n, n] }), 0.05));
        const err = orthogonalityError(mat(n, n, rnn.rawParameter('recurrentWeight').hostValuesSync()));
        if (step === 0) afterOne = err;
        worst = Math.max(worst, err);
        const next = Float64Array.from(rnn.rawParameter('recurrentWeight').hostValuesSync());
        smallestStep = Math.min(smallestStep, Math.sqrt(next.reduce((acc, x, i) => acc + (x - previous[i]!) ** 2, 0)));
      }
      expect(afterOne).toBeLessThan(1e-5);
      expect(worst).toBeLessThan(1e-4);
      // the updates are real: every step moves W, and W ends far from where it started (a no-op passes the bound above)
      expect(smallestStep).toBeGreaterThan(1e-3);
      const end = mat(n, n, rnn.rawParameter('recurrentWeight').hostValuesSync());
      expect(maxAbsDiff(end, start)).toBeGreaterThan(0.1);
      rnn.dispose();
    });
  }
});
