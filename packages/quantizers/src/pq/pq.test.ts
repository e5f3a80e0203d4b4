import { type Tensor, tensor, valueAndGrad } from '@nibble/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gaussian, make, run, stepCtx, weight } from '../../test/setup.ts';
import { QuantizerCalibrationError } from '../errors.ts';
import { payloadBits } from '../spi.ts';
import { kmeans, kmeansObjective } from './kmeans.ts';
import type { PqQuantizer } from './pq.ts';

const key = { seed: 3, stream: 1, counter: 0 };

describe('pq k-means (spec §6.2, §6.6)', () => {
  it('§6.6 the objective is non-increasing over iterations without empty-cluster repair', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 32 }), fc.constantFrom(2, 4, 8), fc.integer({ min: 0, max: 1e6 }), (k, d, seed) => {
        const x = gaussian(96 * d, seed + 1);
        const r = kmeans(x, d, { centroids: k, iterations: 15, key: { ...key, seed } });
        for (let i = 1; i < r.objective.length; i++) {
          if (!r.repaired[i]) expect(r.objective[i]!).toBeLessThanOrEqual(r.objective[i - 1]! * (1 + 1e-12));
        }
      }),
      { numRuns: 30 },
    );
  });

  it('§6.6 after the last M-step each centroid is the mean of its members; codes are in [0, K)', () => {
    const d = 4;
    const x = gaussian(200 * d, 5);
    const r = kmeans(x, d, { centroids: 16, iterations: 10, key });
    const sums = new Float64Array(16 * d);
    r.codes.forEach((c, i) => {
      expect(c).toBeGreaterThanOrEqual(0);
      expect(c).toBeLessThan(16);
      for (let t = 0; t < d; t++) sums[c * d + t]! += x[i * d + t]!;
    });
    for (let k = 0; k < 16; k++) {
      if (r.counts[k] === 0) continue;
      for (let t = 0; t < d; t++) expect(r.centroids[k * d + t]).toBeCloseTo(sums[k * d + t]! / r.counts[k]!, 12);
    }
    expect(r.objective.at(-1)).toBeCloseTo(kmeansObjective(x, d, r.centroids, r.codes), 9);
  });

  it('§6.7 K_eff = min(K, M); with K ≥ M distinct sub-vectors reconstruct exactly', () => {
    const x = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, -1, -2]);
    const r = kmeans(x, 2, { centroids: 256, iterations: 5, key });
    expect(r.kEff).toBe(5);
    expect(kmeansObjective(x, 2, r.centroids, r.codes)).toBe(0);
  });

  it('§6.2 empty-cluster repair: sampling K of M with replacement leaves clusters empty; repairs split the most populated one until none is', () => {
    // K = M/2 initial sub-vectors drawn with replacement: duplicates (hence empty clusters) in nearly every run
    const d = 2;
    const run = (seed: number) => {
      const x = gaussian(48 * d, seed + 11);
      return { x, r: kmeans(x, d, { centroids: 24, iterations: 6, key: { ...key, seed } }) };
    };
    // Whenever EM ran to the end (a repair can also give up after maxTentatives: then it stops early, spec §6.2),
    // every centroid has members and is their mean: the repairs really filled the empty clusters.
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), (seed) => {
        const { x, r } = run(seed);
        expect(r.kEff).toBe(24);
        if (!r.repaired.some(Boolean) || r.stoppedEarly) return;
        expect(Array.from(r.counts).every((c) => c > 0), `counts ${Array.from(r.counts)}`).toBe(true);
        expect(new Set(r.codes).size).toBe(24);
        for (let k = 0; k < 24; k++) {
          for (let t = 0; t < d; t++) {
            let sum = 0;
            r.codes.forEach((c, i) => {
              if (c === k) sum += x[i * d + t]!;
            });
            expect(r.centroids[k * d + t]).toBeCloseTo(sum / r.counts[k]!, 12);
          }
        }
      }),
      { numRuns: 20 },
    );
    // and the case is not vacuous: on fixed seeds most runs repair and still finish
    const finished = Array.from({ length: 20 }, (_, seed) => run(seed).r).filter((r) => r.repaired.some(Boolean) && !r.stoppedEarly);
    expect(finished.length).toBeGreaterThanOrEqual(15);
  });

  it('§6.2 repair step: an empty cluster is refilled by splitting the populated one (±e); the two groups end separated', () => {
    // Sub-vectors 0 and 100 (twice), K = 2, one iteration: with both initial samples on the same point, cluster 1 is
    // empty; the repair splits cluster 0 (the only populated one) by ±e, re-assignment then separates the groups.
    const x = Float32Array.from([0, 0, 100, 100]);
    for (let seed = 0; seed < 20; seed++) {
      const r = kmeans(x, 1, { centroids: 2, iterations: 1, key: { ...key, seed }, eps: 1e-3 });
      if (!r.repaired[0]) continue;
      expect(Array.from(r.counts).sort()).toEqual([2, 2]);
      expect(Array.from(r.centroids).sort((a, b) => a - b)).toEqual([0, 100]);
      return;
    }
    throw new Error('no seed in 0..19 drew both initial samples from one group');
  });

  it('§6.2 duplicate sub-vectors: empty clusters are repaired, then EM stops after maxTentatives', () => {
    const x = new Float32Array(16).fill(1);
    const r = kmeans(x, 2, { centroids: 4, iterations: 5, maxTentatives: 3, key });
    expect(r.stoppedEarly).toBe(true);
    expect(Array.from(r.centroids).every(Number.isFinite)).toBe(true);
  });
});

describe('pq quantizer (spec §6)', () => {
  it('§6.6 decoded sub-vectors are codebook rows (fp16 values at eval), shape preserved', () => {
    const w = weight(gaussian(8 * 16, 2), [8, 16]);
    const q = make('pq', { blockSize: 4, centroids: 16 }, [8, 16]);
    const out = run(q, w, stepCtx(0, false));
    const packed = q.export(w);
    expect(packed.layout).toEqual({ kind: 'pq', shape: [8, 16], blockSize: 4, centroids: 16 });
    for (let i = 0; i < 32; i++) {
      const code = packed.codes[i]!;
      expect(code).toBeLessThan(16);
      expect(Array.from(out.subarray(i * 4, i * 4 + 4))).toEqual(Array.from(packed.tables.subarray(code * 4, code * 4 + 4)));
    }
    for (const v of packed.tables) expect(Math.fround(v)).toBe(v);
    w.dispose();
  });

  it('§6.3 centroid gradient: "sum" = scatter-add of member gradients, "mean" = sum / count; w gets none', () => {
    const vals = gaussian(8 * 16, 6);
    const gv = gaussian(8 * 16, 7);
    const grads: Record<string, Float32Array> = {};
    let codes: Uint8Array | undefined;
    for (const centroidGrad of ['sum', 'mean']) {
      const w = weight(vals, [8, 16]);
      const g = tensor(gv, { shape: [8, 16] });
      const q = make('pq', { blockSize: 4, centroids: 8, centroidGrad }, [8, 16]) as PqQuantizer;
      q.calibrate(w);
      codes = q.export(w).codes;
      const { centroids } = q.parameters();
      const r = valueAndGrad((x: Tensor, _c: Tensor) => q.forward(x, stepCtx()).mul(g).sum())(w, centroids!);
      grads[centroidGrad] = Float32Array.from(r.grads[1].dataSync());
      expect(Array.from(r.grads[0].dataSync()).every((v) => v === 0)).toBe(true);
      for (const t of [w, g, r.value, ...r.grads]) t.dispose();
      q.dispose();
    }
    // host reference: ∂L/∂c_k = Σ_{i: code_i = k} g_i (L is linear in the centroids, so this is also the exact derivative)
    const sum = new Float64Array(8 * 4);
    const count = new Float64Array(8);
    codes!.forEach((c, i) => {
      count[c]!++;
      for (let t = 0; t < 4; t++) sum[c * 4 + t]! += gv[i * 4 + t]!;
    });
    grads.sum!.forEach((v, j) => expect(v).toBeCloseTo(sum[j]!, 5));
    grads.mean!.forEach((v, j) => expect(v).toBeCloseTo(grads.sum![j]! / Math.max(1, count[Math.floor(j / 4)]!), 6));
  });

  it('§6.5 size M·⌈log2 K⌉ + 16·K·d; equals the payload with K = 256', () => {
    const q = make('pq', { blockSize: 2, centroids: 256, iterations: 2 }, [32, 32]);
    expect(q.sizeBits([32, 32])).toBe(512 * 8 + 16 * 256 * 2);
    const w = weight(gaussian(1024, 3), [32, 32]);
    expect(payloadBits(q.export(w))).toBe(q.sizeBits([32, 32]));
    expect(make('pq', { blockSize: 4, centroids: 16 }, [8, 16]).sizeBits([8, 16])).toBe(32 * 4 + 16 * 16 * 4);
    // M < K: K_eff = M
    expect(make('pq', { blockSize: 4, centroids: 256 }, [2, 8]).sizeBits([2, 8])).toBe(4 * 2 + 16 * 4 * 4);
    w.dispose();
  });

  it('§6.7 NaN weights are rejected; C_in % d ≠ 0 is rejected at creation', () => {
    const w = weight([1, NaN, 2, 3], [1, 4]);
    expect(() => make('pq', { blockSize: 2 }, [1, 4]).calibrate(w)).toThrow(QuantizerCalibrationError);
    expect(() => make('pq', { blockSize: 3 }, [1, 4])).toThrow(/blockSize.*row length 4/);
    w.dispose();
  });
});
