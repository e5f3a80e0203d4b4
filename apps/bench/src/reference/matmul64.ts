// Float64 reference kernels: plain loops that are easy to check by reading. Used by the tests to confirm the case
// data against the case file's independent float64 expect values, and by the bench to check outputs of new cases.

/**
 * C[M,N] = A[M,K] @ B[K,N] in float64 (row-major). Rows of A are taken four at a time so each row of B that is
 * loaded serves four accumulating rows of C (about 2× faster in V8 than the plain i-k-j loop; same sums, same order
 * over k, so results are identical).
 *
 * @example
 * const c = matmul64(a, b, 2, 3, 4);
 */
export function matmul64(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  m: number,
  k: number,
  n: number,
): Float64Array {
  const c = new Float64Array(m * n);
  const aa = Float64Array.from(a);
  const bb = Float64Array.from(b);
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const r0 = i * n;
    const r1 = r0 + n;
    const r2 = r1 + n;
    const r3 = r2 + n;
    for (let p = 0; p < k; p++) {
      const a0 = aa[i * k + p]!;
      const a1 = aa[(i + 1) * k + p]!;
      const a2 = aa[(i + 2) * k + p]!;
      const a3 = aa[(i + 3) * k + p]!;
      const brow = p * n;
      for (let j = 0; j < n; j++) {
        const bv = bb[brow + j]!;
        c[r0 + j]! += a0 * bv;
        c[r1 + j]! += a1 * bv;
        c[r2 + j]! += a2 * bv;
        c[r3 + j]! += a3 * bv;
      }
    }
  }
  for (; i < m; i++) {
    const row = i * n;
    for (let p = 0; p < k; p++) {
      const aip = aa[i * k + p]!;
      const brow = p * n;
      for (let j = 0; j < n; j++) c[row + j]! += aip * bb[brow + j]!;
    }
  }
  return c;
}

/** Adds bias[N] to every row of x[M,N] in place. */
export function addRowBias64(x: Float64Array, bias: ArrayLike<number>, n: number): void {
  for (let i = 0; i < x.length; i++) x[i]! += bias[i % n] as number;
}

/** Sum of all entries, in float64. */
export function sum64(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] as number;
  return s;
}
