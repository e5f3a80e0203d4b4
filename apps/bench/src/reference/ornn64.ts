// Float64 reference of the OrthogonalRNN case of suite-cases.json: Björck orthogonalization exactly as
// @nibble/layers' bjorck() (power-iteration pre-scaling from the all-ones direction, 3 power iterations, then 15
// first-order iterations with β = ½), the modReLU recurrence and the MSE loss.

/** The parameters of an OrthogonalRNN in @nibble/layers' layout. */
export interface OrnnParams64 {
  /** inputWeight U [H, I] */
  readonly u: ArrayLike<number>;
  /** inputBias [H] */
  readonly b: ArrayLike<number>;
  /** recurrentWeight V [H, H] (orthogonalized by Björck before use) */
  readonly v: ArrayLike<number>;
  /** activationBias [H] (modReLU) */
  readonly ab: ArrayLike<number>;
}

/** C[m, n] = A[m, k] · B[k, n] (transposeA: A given as [k, m]). */
function mm(a: Float64Array, b: Float64Array, m: number, k: number, n: number, transposeA = false): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const av = transposeA ? (a[p * m + i] as number) : (a[i * k + p] as number);
      if (av === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j]! += av * (b[p * n + j] as number);
    }
  }
  return out;
}

const norm = (v: Float64Array): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

/** The power-iteration direction of bjorck's pre-scaling: 3 iterations on AᵀA from the all-ones direction. */
export function powerDirection64(v: ArrayLike<number>, n: number, powerIterations = 3): Float64Array {
  const a = Float64Array.from(v);
  let u = new Float64Array(n).fill(1 / Math.sqrt(n));
  for (let k = 0; k < powerIterations; k++) {
    const w = mm(a, mm(a, u, n, n, 1), n, n, 1, true); // Aᵀ (A u)
    const len = norm(w) + 1e-30;
    u = w.map((x) => x / len);
  }
  return u;
}

/**
 * Björck(V) for a square [n, n] matrix, as @nibble/layers computes it (default options). `u` fixes the power-iteration
 * direction: @nibble/layers does not differentiate it (only ‖A u‖), so a derivative reference must hold it constant.
 */
export function bjorck64(v: ArrayLike<number>, n: number, u: Float64Array = powerDirection64(v, n), iterations = 15, beta = 0.5): Float64Array {
  const a = Float64Array.from(v);
  const sigma = norm(mm(a, u, n, n, 1));
  let x = a.map((e) => e / sigma);
  for (let k = 0; k < iterations; k++) {
    const xtx = mm(x, x, n, n, n, true); // Xᵀ X
    const xxtx = mm(x, xtx, n, n, n);
    x = x.map((e, i) => (1 + beta) * e - beta * (xxtx[i] as number));
  }
  return x;
}

/**
 * `powerU`: the pre-scaling's power-iteration direction (default: computed from V).
 * Mean over T·B·H of (h − target)² for h_t = modReLU(h_{t−1} Wᵀ + x_t Uᵀ + b), W = Björck(V), h_0 = 0; x[T, B, I]
 * and target[T, B, H] are time-major.
 */
export function ornnLoss64(
  p: OrnnParams64, x: ArrayLike<number>, target: ArrayLike<number>, dims: { T: number; B: number; I: number; H: number }, powerU?: Float64Array,
): number {
  const { T, B, I, H } = dims;
  const w = bjorck64(p.v, H, powerU ?? powerDirection64(p.v, H));
  let h = new Float64Array(B * H);
  let total = 0;
  for (let t = 0; t < T; t++) {
    const next = new Float64Array(B * H);
    for (let bi = 0; bi < B; bi++) {
      for (let j = 0; j < H; j++) {
        let z = p.b[j] as number;
        for (let k = 0; k < I; k++) z += (x[(t * B + bi) * I + k] as number) * (p.u[j * I + k] as number);
        for (let k = 0; k < H; k++) z += (h[bi * H + k] as number) * (w[j * H + k] as number);
        const y = Math.sign(z) * Math.max(Math.abs(z) + (p.ab[j] as number), 0);
        next[bi * H + j] = y;
        total += (y - (target[(t * B + bi) * H + j] as number)) ** 2;
      }
    }
    h = next;
  }
  return total / (T * B * H);
}

/**
 * Central difference (f(θ + εd) − f(θ − εd)) / 2ε in float64: the directional derivative ⟨∇f(θ), d⟩ a correct
 * backward pass must reproduce.
 */
export function directionalDerivative64(f: (alpha: number) => number, eps = 1e-5): number {
  return (f(eps) - f(-eps)) / (2 * eps);
}
