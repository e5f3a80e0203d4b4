import { hostRandom, type RngKey } from '@nibble/core';

/** Options of {@link kmeans}. */
export interface KMeansOptions {
  /** Requested centroids K; the codebook has K_eff = min(K, M) rows (spec §6.7). */
  readonly centroids: number;
  /** EM iterations (default 20). */
  readonly iterations?: number;
  /** Empty-cluster repairs allowed per iteration before EM stops early (default 30). */
  readonly maxTentatives?: number;
  /** Random key of the initial sampling and the repair perturbations. */
  readonly key: RngKey;
  /** Std of the repair perturbation e ~ N(0, eps²) (default 1e-6). */
  readonly eps?: number;
}

/** Result of {@link kmeans}. */
export interface KMeansResult {
  /** K_eff × d, row-major (float64 values). */
  readonly centroids: Float64Array;
  /** Index of each sub-vector's centroid, in [0, K_eff). */
  readonly codes: Int32Array;
  /** Members per centroid. */
  readonly counts: Int32Array;
  readonly kEff: number;
  /** Objective Σ‖x − c_code‖² after each iteration's M-step. */
  readonly objective: readonly number[];
  /** Whether an empty-cluster repair happened in each iteration. */
  readonly repaired: readonly boolean[];
  /** True when EM stopped because repairs ran out. */
  readonly stoppedEarly: boolean;
}

/** E-step: nearest centroid by L2, the first index winning ties. Returns the objective of this assignment. */
function assign(x: ArrayLike<number>, m: number, d: number, c: Float64Array, k: number, codes: Int32Array, counts: Int32Array): number {
  counts.fill(0);
  let total = 0;
  for (let i = 0; i < m; i++) {
    let best = 0;
    let bestDist = Infinity;
    for (let j = 0; j < k; j++) {
      let dist = 0;
      for (let t = 0; t < d; t++) {
        const diff = x[i * d + t]! - c[j * d + t]!;
        dist += diff * diff;
      }
      if (dist < bestDist) {
        bestDist = dist;
        best = j;
      }
    }
    codes[i] = best;
    counts[best]!++;
    total += bestDist;
  }
  return total;
}

/** Objective Σ‖x_i − c_{code_i}‖². */
export function kmeansObjective(x: ArrayLike<number>, d: number, c: ArrayLike<number>, codes: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < codes.length; i++) {
    const j = codes[i]!;
    for (let t = 0; t < d; t++) total += (x[i * d + t]! - c[j * d + t]!) ** 2;
  }
  return total;
}

/**
 * k-means of M sub-vectors of size d (spec §6.2): init with K sub-vectors sampled uniformly with replacement; EM with
 * L2 E-steps (first index wins ties) and mean M-steps; an empty cluster k is repaired from the most populated m by
 * c_k = c_m + e, c_m −= e, e ~ N(0, eps²), then re-assigned, at most `maxTentatives` times per iteration.
 *
 * @example
 * ```ts
 * const { centroids, codes } = kmeans(subVectors, 4, { centroids: 16, key: { seed: 0, stream: 0, counter: 0 } });
 * ```
 */
export function kmeans(x: ArrayLike<number>, d: number, options: KMeansOptions): KMeansResult {
  const m = Math.floor(x.length / d);
  const k = Math.max(1, Math.min(options.centroids, m));
  const iterations = options.iterations ?? 20;
  const maxTentatives = options.maxTentatives ?? 30;
  const eps = options.eps ?? 1e-6;
  const c = new Float64Array(k * d);
  const init = hostRandom.randint(options.key, 0, k, 0, m);
  for (let j = 0; j < k; j++) for (let t = 0; t < d; t++) c[j * d + t] = x[init[j]! * d + t]!;
  const codes = new Int32Array(m);
  const counts = new Int32Array(k);
  const objective: number[] = [];
  const repaired: boolean[] = [];
  let noiseCounter = 1 + Math.ceil(k / 4);
  let stoppedEarly = false;
  for (let it = 0; it < iterations && !stoppedEarly; it++) {
    assign(x, m, d, c, k, codes, counts);
    let tentatives = 0;
    let didRepair = false;
    for (let empty = counts.indexOf(0); empty >= 0; empty = counts.indexOf(0)) {
      if (tentatives >= maxTentatives) {
        stoppedEarly = true;
        break;
      }
      let most = 0;
      for (let j = 1; j < k; j++) if (counts[j]! > counts[most]!) most = j;
      const e = hostRandom.normal(options.key, noiseCounter, d, 0, eps);
      noiseCounter += Math.ceil(d / 2) + 1;
      for (let t = 0; t < d; t++) {
        c[empty * d + t] = c[most * d + t]! + e[t]!;
        c[most * d + t] = c[most * d + t]! - e[t]!;
      }
      assign(x, m, d, c, k, codes, counts);
      tentatives++;
      didRepair = true;
    }
    // M-step: each centroid becomes the mean of its members (empty ones, if repairs ran out, stay put).
    const sums = new Float64Array(k * d);
    for (let i = 0; i < m; i++) for (let t = 0; t < d; t++) sums[codes[i]! * d + t]! += x[i * d + t]!;
    for (let j = 0; j < k; j++) {
      if (counts[j] === 0) continue;
      for (let t = 0; t < d; t++) c[j * d + t] = sums[j * d + t]! / counts[j]!;
    }
    objective.push(kmeansObjective(x, d, c, codes));
    repaired.push(didRepair);
  }
  if (iterations === 0) assign(x, m, d, c, k, codes, counts);
  return { centroids: c, codes, counts, kEff: k, objective, repaired, stoppedEarly };
}

/** Nearest-centroid codes of sub-vectors for a fixed codebook (exact-PQ noise, re-encoding). */
export function encode(x: ArrayLike<number>, d: number, centroids: ArrayLike<number>, k: number): Int32Array {
  const m = Math.floor(x.length / d);
  const codes = new Int32Array(m);
  const c = Float64Array.from(centroids);
  assign(x, m, d, c, k, codes, new Int32Array(k));
  return codes;
}
