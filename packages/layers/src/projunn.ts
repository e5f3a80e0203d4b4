import { ValueError } from '@nibble/core';
import { add, expm, identity, mat, type Mat, matmul, orthonormalColumns, scale, symmetricEigen, transpose } from './host-linalg.ts';

/** projUNN's guard inside the inverse square root of projUNN-D. */
const STABLE_ADDER = 1e-8;

/** 'D': project W + abᵀ onto the nearest orthogonal matrix; 'T': move along the tangent space by the exponential map. */
export type ProjunnMode = 'D' | 'T';

/**
 * LSI sketch of projUNN: a rank-r factorization Δ ≈ a bᵀ with b = v having orthonormal columns and a = Δ v, where
 * v spans the rows of RᵀΔ for a random orthonormal R [n, r] (`gaussian`: n·r standard normal values). Returns a = 0
 * when Δ vanishes on the sketch.
 *
 * @example
 * ```ts
 * const { a, b } = lowRankSketch(delta, 1, hostRandom.normal({ seed: 0, stream: 0 }, 0, n)); // Δ ≈ a bᵀ
 * ```
 */
export function lowRankSketch(delta: Mat, rank: number, gaussian: ArrayLike<number>): { a: Mat; b: Mat } {
  const n = delta.rows;
  const r = orthonormalColumns(mat(n, rank, gaussian));
  const B = scale(matmul(transpose(r), delta), Math.sqrt(n / rank)); // [r, n]
  const { values, vectors } = symmetricEigen(matmul(B, transpose(B)));
  const top = Math.max(0, ...values);
  const keep = [...values].flatMap((e, i) => (e > top * 1e-12 && e > 1e-300 ? [i] : []));
  const q = mat(r.cols, keep.length);
  keep.forEach((i, j) => {
    for (let k = 0; k < r.cols; k++) q.data[k * keep.length + j] = vectors.data[k * r.cols + i]! / Math.sqrt(values[i]!);
  });
  const v = matmul(transpose(B), q); // [n, k], orthonormal columns
  return { a: matmul(delta, v), b: v };
}

function isZero(m: Mat): boolean {
  return m.data.every((x) => x === 0);
}

/**
 * One projUNN update of an orthogonal W [n, n] by the low-rank step a bᵀ (a, b: [n, r]), in float64, O(n²r):
 * - 'D': polar(W + abᵀ) = Ã + Ã Y diag((1 + s)^{−1/2} − 1) Yᵀ, with ÃᵀÃ = I + Q M Qᵀ and M = Y-diagonalized;
 * - 'T': W exp(Q K Qᵀ) with K = skew part of Wᵀabᵀ restricted to Q = span[b, Wᵀa].
 * An update with a = 0 (or b = 0) returns W unchanged.
 *
 * @example
 * ```ts
 * const { a, b } = lowRankSketch(mat(n, n, deltaValues), 1, gaussianValues);
 * const next = projunnUpdate(mat(n, n, wValues), a, b, 'D'); // orthogonal to float64 precision
 * ```
 */
export function projunnUpdate(w: Mat, a: Mat, b: Mat, mode: ProjunnMode): Mat {
  if (w.rows !== w.cols || a.rows !== w.rows || b.rows !== w.rows || a.cols !== b.cols) {
    throw new ValueError(`projunnUpdate: W ${w.rows}×${w.cols}, a ${a.rows}×${a.cols}, b ${b.rows}×${b.cols}; expected W n×n and a, b n×r`);
  }
  if (isZero(a) || isZero(b)) return mat(w.rows, w.cols, w.data);
  const n = w.rows;
  const r = a.cols;
  const aHat = matmul(transpose(w), a); // Wᵀa [n, r]
  const both = mat(n, 2 * r);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < r; j++) {
      both.data[i * 2 * r + j] = b.data[i * r + j]!;
      both.data[i * 2 * r + r + j] = aHat.data[i * r + j]!;
    }
  }
  const q = orthonormalColumns(both); // [n, k]
  const qt = transpose(q);
  const bo = matmul(qt, b);
  const ao = matmul(qt, aHat);
  if (mode === 'T') {
    const k = scale(add(matmul(ao, transpose(bo)), matmul(bo, transpose(ao)), -1), 0.5);
    const e = add(expm(k), identity(k.rows), -1); // exp(K) − I
    return add(w, matmul(matmul(w, q), matmul(e, qt)));
  }
  const ata = matmul(transpose(a), a);
  const m = add(add(matmul(ao, transpose(bo)), matmul(bo, transpose(ao))), matmul(matmul(bo, ata), transpose(bo)));
  const { values, vectors } = symmetricEigen(m);
  const y = matmul(q, vectors); // [n, k]
  const tilde = add(w, matmul(a, transpose(b)));
  const scaled = mat(y.rows, y.cols, y.data);
  for (let i = 0; i < y.rows; i++) {
    for (let j = 0; j < y.cols; j++) {
      // Guard the eigenvalue s = −1 (a singular Ã) by flooring 1 + s at projUNN's stable adder. Flooring rather than
      // adding (as projUNN does) keeps the result orthogonal to float64 precision when Ã is well conditioned.
      const f = 1 / Math.sqrt(Math.max(1 + values[j]!, STABLE_ADDER)) - 1;
      scaled.data[i * y.cols + j]! *= f;
    }
  }
  return add(tilde, matmul(matmul(tilde, scaled), transpose(y)));
}
