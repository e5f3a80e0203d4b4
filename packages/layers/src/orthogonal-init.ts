import { mat, type Mat, orthonormalColumns } from './host-linalg.ts';

/**
 * Henaff et al.'s initialization: block-diagonal 2×2 rotations with angles drawn uniformly in (−π, π) (a trailing 1
 * for odd n). `angles` holds ⌊n/2⌋ values in (−π, π).
 *
 * @example
 * ```ts
 * const w = henaffOrthogonal(4, [0.3, -2.1]); // Mat 4×4: two 2×2 rotations
 * ```
 */
export function henaffOrthogonal(n: number, angles: ArrayLike<number>): Mat {
  const m = mat(n, n);
  for (let k = 0; 2 * k + 1 < n; k++) {
    const t = angles[k]!;
    const i = 2 * k;
    m.data[i * n + i] = Math.cos(t);
    m.data[i * n + i + 1] = -Math.sin(t);
    m.data[(i + 1) * n + i] = Math.sin(t);
    m.data[(i + 1) * n + i + 1] = Math.cos(t);
  }
  if (n % 2 === 1) m.data[n * n - 1] = 1;
  return m;
}

/**
 * A random orthogonal matrix: the Q factor of the QR decomposition of a Gaussian matrix with diag(R) > 0 (Haar
 * distributed). `gaussian` holds n² standard normal values (row-major).
 *
 * @example
 * ```ts
 * const q = randomOrthogonal(8, hostRandom.normal({ seed: 1, stream: 0 }, 0, 64));
 * ```
 */
export function randomOrthogonal(n: number, gaussian: ArrayLike<number>): Mat {
  // Gram–Schmidt on the columns is exactly QR with a positive diagonal of R.
  const q = orthonormalColumns(mat(n, n, gaussian), 0);
  if (q.cols !== n) throw new Error(`randomOrthogonal: the ${n}×${n} Gaussian draw was singular`);
  return q;
}
