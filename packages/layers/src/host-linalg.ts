/**
 * Small dense float64 linear algebra on the host (row-major), for what has no tensor op: orthogonal initializations
 * and the low-rank projUNN updates (eigenproblems of 2r × 2r matrices).
 */
export interface Mat {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

/** A rows × cols float64 matrix (zeros, or a copy of row-major `data`). @example `mat(2, 2, [1, 0, 0, 1])` */
export function mat(rows: number, cols: number, data?: ArrayLike<number>): Mat {
  return { rows, cols, data: data ? Float64Array.from(data) : new Float64Array(rows * cols) };
}

export function identity(n: number): Mat {
  const m = mat(n, n);
  for (let i = 0; i < n; i++) m.data[i * n + i] = 1;
  return m;
}

export function transpose(a: Mat): Mat {
  const t = mat(a.cols, a.rows);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) t.data[j * a.rows + i] = a.data[i * a.cols + j]!;
  return t;
}

export function matmul(a: Mat, b: Mat): Mat {
  if (a.cols !== b.rows) throw new Error(`host matmul: ${a.rows}×${a.cols} · ${b.rows}×${b.cols}`);
  const c = mat(a.rows, b.cols);
  for (let i = 0; i < a.rows; i++) {
    for (let k = 0; k < a.cols; k++) {
      const aik = a.data[i * a.cols + k]!;
      if (aik === 0) continue;
      for (let j = 0; j < b.cols; j++) c.data[i * b.cols + j]! += aik * b.data[k * b.cols + j]!;
    }
  }
  return c;
}

export function add(a: Mat, b: Mat, scaleB = 1): Mat {
  const c = mat(a.rows, a.cols, a.data);
  for (let i = 0; i < c.data.length; i++) c.data[i]! += scaleB * b.data[i]!;
  return c;
}

export function scale(a: Mat, s: number): Mat {
  return mat(a.rows, a.cols, a.data.map((v) => v * s));
}

/** ‖AᵀA − I‖_F. @example `orthogonalityError(mat(n, n, w.hostValuesSync()))` */
export function orthogonalityError(a: Mat): number {
  const g = matmul(transpose(a), a);
  let s = 0;
  for (let i = 0; i < g.rows; i++) for (let j = 0; j < g.cols; j++) s += (g.data[i * g.cols + j]! - (i === j ? 1 : 0)) ** 2;
  return Math.sqrt(s);
}

/**
 * Orthonormal basis of the column span (modified Gram–Schmidt, twice for stability); columns whose remainder is
 * below `tol` times their norm are dropped.
 */
export function orthonormalColumns(a: Mat, tol = 1e-10): Mat {
  const cols: Float64Array[] = [];
  for (let j = 0; j < a.cols; j++) {
    const v = new Float64Array(a.rows);
    for (let i = 0; i < a.rows; i++) v[i] = a.data[i * a.cols + j]!;
    const norm0 = Math.hypot(...v);
    for (let pass = 0; pass < 2; pass++) {
      for (const q of cols) {
        let d = 0;
        for (let i = 0; i < v.length; i++) d += q[i]! * v[i]!;
        for (let i = 0; i < v.length; i++) v[i]! -= d * q[i]!;
      }
    }
    const norm = Math.hypot(...v);
    if (norm0 === 0 || norm <= tol * norm0) continue;
    for (let i = 0; i < v.length; i++) v[i]! /= norm;
    cols.push(v);
  }
  const q = mat(a.rows, cols.length);
  cols.forEach((c, j) => c.forEach((x, i) => (q.data[i * cols.length + j] = x)));
  return q;
}

/** Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations: A = V diag(values) Vᵀ. */
export function symmetricEigen(a: Mat): { values: Float64Array; vectors: Mat } {
  const n = a.rows;
  const m = mat(n, n, a.data);
  const v = identity(n);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += m.data[p * n + q]! ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m.data[p * n + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (m.data[q * n + q]! - m.data[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = m.data[k * n + p]!;
          const mkq = m.data[k * n + q]!;
          m.data[k * n + p] = c * mkp - s * mkq;
          m.data[k * n + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m.data[p * n + k]!;
          const mqk = m.data[q * n + k]!;
          m.data[p * n + k] = c * mpk - s * mqk;
          m.data[q * n + k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v.data[k * n + p]!;
          const vkq = v.data[k * n + q]!;
          v.data[k * n + p] = c * vkp - s * vkq;
          v.data[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: Float64Array.from({ length: n }, (_, i) => m.data[i * n + i]!), vectors: v };
}

/** Matrix exponential by scaling and squaring with a Taylor series (for small matrices). */
export function expm(a: Mat): Mat {
  const n = a.rows;
  let norm = 0;
  for (const x of a.data) norm = Math.max(norm, Math.abs(x));
  const squarings = Math.max(0, Math.ceil(Math.log2(norm * n + 1e-300)) + 1);
  const s = scale(a, 2 ** -squarings);
  let result = identity(n);
  let term = identity(n);
  for (let k = 1; k <= 20; k++) {
    term = scale(matmul(term, s), 1 / k);
    result = add(result, term);
  }
  for (let i = 0; i < squarings; i++) result = matmul(result, result);
  return result;
}

/** A few Björck steps in float64 (re-orthonormalizes a nearly orthogonal matrix to machine precision). */
export function bjorckHost(a: Mat, iterations = 3): Mat {
  let x = a;
  for (let k = 0; k < iterations; k++) x = add(scale(x, 1.5), matmul(x, matmul(transpose(x), x)), -0.5);
  return x;
}
