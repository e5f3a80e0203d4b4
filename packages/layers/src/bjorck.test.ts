import fc from 'fast-check';
import { defaultRuntime, scope, tensor } from '@nibble/core';
import { gradcheck } from '@nibble/core/testing';
import { describe, expect, it } from 'vitest';
import { float64Runtime, useCpu } from '../test/helpers.ts';
import { bjorck } from './bjorck.ts';
import { mat, matmul, type Mat, orthogonalityError, orthonormalColumns, transpose } from './host-linalg.ts';
import { randomOrthogonal } from './orthogonal-init.ts';
import { hostRandom } from '@nibble/core';

useCpu();

const gaussian = (n: number, stream: number) => hostRandom.normal({ seed: 17, stream }, 0, n);
const haar = (n: number, stream: number): Mat => randomOrthogonal(n, gaussian(n * n, stream));

/** U diag(σ) Vᵀ with Haar U, V. */
function withSingularValues(sigma: readonly number[], stream: number): Mat {
  const n = sigma.length;
  const u = haar(n, stream);
  const v = haar(n, stream + 1);
  const us = mat(n, n, u.data.map((x, i) => x * sigma[i % n]!));
  return matmul(us, transpose(v));
}

function run(a: Mat, options: Parameters<typeof bjorck>[1] = {}): Mat {
  return scope(() => mat(a.rows, a.cols, bjorck(tensor(Float32Array.from(a.data), { shape: [a.rows, a.cols] }), options).hostValuesSync()));
}

describe('bjorck (spec §7.2, §7.5)', () => {
  it('‖WᵀW − I‖_F < 1e-5 in float32 after 15 iterations from an orthogonal start (n = 8, 32, 64)', () => {
    for (const n of [8, 32, 64]) expect(orthogonalityError(run(haar(n, n)))).toBeLessThan(1e-5);
  });

  it('‖WᵀW − I‖_F < 1e-5 from singular values in [0.02, 1] (power-iteration pre-scaling)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0.02, max: 1, noNaN: true }), { minLength: 16, maxLength: 16 }), fc.nat(1000), (s, stream) => {
        const sigma = [...s.slice(0, 14), 0.02, 1];
        expect(orthogonalityError(run(withSingularValues(sigma, stream)))).toBeLessThan(1e-5);
      }),
      { numRuns: 10 },
    );
  });

  it('converges to the polar factor U Vᵀ, and is idempotent on orthogonal inputs', () => {
    const n = 12;
    const u = haar(n, 50);
    const v = haar(n, 51);
    const sigma = Array.from({ length: n }, (_, i) => 0.1 + (0.9 * i) / (n - 1));
    const a = matmul(mat(n, n, u.data.map((x, i) => x * sigma[i % n]!)), transpose(v));
    const polar = matmul(u, transpose(v));
    run(a).data.forEach((x, i) => expect(Math.abs(x - polar.data[i]!)).toBeLessThan(2e-6));
    const q = haar(n, 52);
    run(q).data.forEach((x, i) => expect(Math.abs(x - q.data[i]!)).toBeLessThan(2e-6));
  });

  it('is equivariant: Björck(P A Q) = P Björck(A) Q for orthogonal P, Q', () => {
    const n = 10;
    const a = withSingularValues(Array.from({ length: n }, (_, i) => 0.3 + 0.07 * i), 60);
    const p = haar(n, 70);
    const q = haar(n, 71);
    const lhs = run(matmul(matmul(p, a), q));
    const rhs = matmul(matmul(p, run(a)), q);
    lhs.data.forEach((x, i) => expect(Math.abs(x - rhs.data[i]!)).toBeLessThan(5e-6));
  });

  it('Frobenius pre-scaling also orthogonalizes an orthogonal start; rectangular inputs get orthonormal columns', () => {
    expect(orthogonalityError(run(haar(16, 80), { prescale: 'frobenius' }))).toBeLessThan(1e-5);
    const tall = orthonormalColumns(mat(9, 4, gaussian(36, 81)));
    const skewed = mat(9, 4, tall.data.map((x, i) => x * (0.5 + 0.1 * (i % 4))));
    expect(orthogonalityError(run(skewed))).toBeLessThan(1e-5);
    expect(() => bjorck(tensor([[1, 2, 3]]))).toThrow(/expected a matrix \[m, n\] with m ≥ n/);
  });

  it('is differentiable through all iterations: gradients match float64 central differences', () => {
    const n = 4;
    const a = withSingularValues([0.4, 0.7, 0.9, 1], 90);
    const r = gaussian(n * n, 91);
    const result = gradcheck(
      (x) => bjorck(x!, { iterations: 15 }).mul(tensor(Float32Array.from(r), { shape: [n, n], runtime: x!.runtime })).sum(),
      [{ shape: [n, n], values: a.data }],
      { runtime: defaultRuntime, reference: float64Runtime() },
    );
    expect(result.ok, result.message).toBe(true);
  });
});
