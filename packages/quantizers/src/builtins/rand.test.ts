import { createRuntime, type Tensor, tensor, valueAndGrad } from '@nibble/core';
import { cpuFactory } from '@nibble/backend-cpu';
import { gradcheck } from '@nibble/core/testing';
import { defaultRuntime } from '@nibble/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gaussian, make, run, stepCtx, weight } from '../../test/setup.ts';
import { RandQuantizer } from './rand.ts';
import { defaultRegistry } from './index.ts';
import { roundHalfEven } from '../common/grid.ts';

const f64 = createRuntime({ backends: [cpuFactory({ precision: 'float64' })] });

function randQ(config: object, shape: readonly number[]): RandQuantizer {
  return make('rand', { bits: 4, ...config }, shape) as RandQuantizer;
}

describe('rand (spec §5)', () => {
  it('§5.3 ∂r/∂w matches float64 central differences for finite p (custom mode, normalize on/off)', () => {
    fc.assert(
      fc.property(fc.constantFrom(1.5, 2, 3, 4, 8), fc.boolean(), fc.constantFrom('tensor', 'channel'), fc.integer({ min: 0, max: 1e6 }), (p, normalize, granularity, seed) => {
        const q = randQ({ mode: 'custom', p, c: 0.7, normalize, granularity }, [3, 5]);
        const values = Array.from(gaussian(15, seed + 1), (v) => v + (v < 0 ? -0.2 : 0.2));
        const weights = gaussian(3, seed + 7);
        const f = (w: Tensor) => q.range(w).mul(tensor(weights.subarray(0, q.range(w).size), { runtime: w.runtime })).sum();
        const r = gradcheck(f, [{ shape: [3, 5], values }], { runtime: defaultRuntime, reference: f64, h: 1e-6, rtol: 2e-3, atol: 1e-5 });
        expect(r.ok, r.message).toBe(true);
      }),
      { numRuns: 25 },
    );
  });

  it('§5.3 p = ∞: ∂r/∂w = c·sign(w) on the argmax, ties split equally', () => {
    const q = randQ({ mode: '1', granularity: 'tensor' }, [4]);
    const w = weight([1, -3, 3, 0.5], [4]);
    const { value, grads } = valueAndGrad((x: Tensor) => q.range(x).sum())(w);
    expect(value.item()).toBe(3);
    expect(Array.from(grads[0].dataSync())).toEqual([0, -0.5, 0.5, 0]);
    for (const t of [w, value, grads[0]]) t.dispose();
  });

  it('§5.3 norms: ‖w‖_∞ ≤ ‖w‖_p ≤ N^{1/p}‖w‖_∞; r is homogeneous, permutation and sign invariant', () => {
    fc.assert(
      fc.property(fc.constantFrom(1, 2, 4, 16), fc.integer({ min: 0, max: 1e6 }), fc.double({ min: 0.1, max: 10, noNaN: true }), (p, seed, k) => {
        const q = randQ({ mode: 'custom', p, c: 1, granularity: 'tensor' }, [12]);
        const vals = gaussian(12, seed + 2);
        const r = (v: ArrayLike<number>) => {
          const w = weight(v, [12]);
          const out = q.range(w);
          const x = out.item();
          out.dispose();
          w.dispose();
          return x;
        };
        const inf = Math.max(...Array.from(vals, Math.abs));
        const rp = r(vals);
        expect(rp).toBeGreaterThanOrEqual(inf * (1 - 1e-6));
        expect(rp).toBeLessThanOrEqual(12 ** (1 / p) * inf * (1 + 1e-6));
        expect(r(vals.map((v) => Math.fround(v * k)))).toBeCloseTo(rp * k, 4);
        expect(r(Float32Array.from(vals).reverse().map((v) => -v))).toBeCloseTo(rp, 5);
      }),
      { numRuns: 30 },
    );
  });

  it('§5.3 overflow-safe: p = 200 on values near 1e30 gives a finite r ≈ max|w|', () => {
    const q = randQ({ mode: 'custom', p: 200, c: 1, granularity: 'tensor' }, [3]);
    const w = weight([1e30, -2e30, 5e29], [3]);
    const r = q.range(w);
    expect(Number.isFinite(r.item())).toBe(true);
    expect(r.item() / 2e30).toBeGreaterThan(1);
    expect(r.item() / 2e30).toBeLessThan(1.01);
    r.dispose();
    w.dispose();
  });

  it('§5.3 w = 0: s = ε, no NaN in values or gradients', () => {
    for (const flavour of ['ste', 'pqn']) {
      const q = randQ({ flavour, mode: '2' }, [2, 3]);
      const w = weight([0, 0, 0, 0, 0, 0], [2, 3]);
      const { value, grads } = valueAndGrad((x: Tensor) => q.forward(x, stepCtx()).sum())(w);
      expect(Number.isFinite(value.item())).toBe(true);
      expect(Array.from(grads[0].dataSync()).every(Number.isFinite)).toBe(true);
      for (const t of [w, value, grads[0]]) t.dispose();
    }
  });

  it('§5.3 PQN: |ŵ − w| ≤ s/2, the noise mean → 0 and its variance → s²/12; stopScaleGrad gives gradient g exactly', () => {
    const vals = gaussian(64 * 16, 4);
    const w = weight(vals, [64, 16]);
    const q = randQ({ flavour: 'pqn', mode: '1', granularity: 'tensor' }, [64, 16]);
    const s = Math.max(...Array.from(vals, Math.abs)) / 7;
    let sum = 0;
    let sumSq = 0;
    for (let step = 0; step < 20; step++) {
      const out = run(q, w, stepCtx(step));
      out.forEach((v, i) => {
        expect(Math.abs(v - vals[i]!)).toBeLessThanOrEqual((s / 2) * (1 + 1e-5));
        sum += v - vals[i]!;
        sumSq += (v - vals[i]!) ** 2;
      });
    }
    const n = 20 * vals.length;
    expect(Math.abs(sum / n)).toBeLessThan(4 * (s / Math.sqrt(12)) / Math.sqrt(n));
    // Var = s²/12 (uniform on [−s/2, s/2]); the std of the mean of u² is s²·√(1/80 − 1/144)/√n
    expect(Math.abs(sumSq / n - s ** 2 / 12)).toBeLessThan((4 * s ** 2 * Math.sqrt(1 / 80 - 1 / 144)) / Math.sqrt(n));
    const stopped = randQ({ flavour: 'pqn', mode: 'none', granularity: 'tensor' }, [64, 16]);
    const g = tensor(gaussian(64 * 16, 5), { shape: [64, 16] });
    const { value, grads } = valueAndGrad((x: Tensor) => stopped.forward(x, stepCtx()).mul(g).sum())(w);
    expect(Array.from(grads[0].dataSync())).toEqual(Array.from(g.dataSync()));
    for (const t of [w, g, value, grads[0]]) t.dispose();
  });

  it('§5.2 with the scale gradient on, the largest weight gets the extra decay term (Σ g·u)/Q_P · ∂r/∂w', () => {
    const vals = [0.1, -0.2, 0.3, 2.0];
    const w = weight(vals, [4]);
    const q = randQ({ flavour: 'pqn', mode: '1', granularity: 'tensor' }, [4]);
    const ctx = stepCtx(3);
    const { value, grads } = valueAndGrad((x: Tensor) => q.forward(x, ctx).sum())(w);
    const noise = run(q, w, ctx).map((v, i) => (v - vals[i]!) / (2 / 7));
    const decay = noise.reduce((a, u) => a + u, 0) / 7;
    const gw = grads[0].dataSync();
    expect(gw[0]).toBe(1);
    expect(gw[3]).toBeCloseTo(1 + decay, 5);
    for (const t of [w, value, grads[0]]) t.dispose();
  });

  it('§5.2 STE flavour gradient: g·1[|w| ≤ Q_P s] + (Σ g·d)/Q_P · ∂r/∂w, d = round(w/s) − w/s inside, ±Q_P outside (float64)', () => {
    let clipped = 0;
    fc.assert(
      fc.property(fc.constantFrom(2, 4, 8), fc.constantFrom(0.5, 0.8, 1), fc.constantFrom('tensor', 'channel'), fc.integer({ min: 0, max: 1e6 }), (p, c, granularity, seed) => {
        const [rows, cols] = [3, 6];
        const vals = Float64Array.from(gaussian(rows * cols, seed + 3), (v) => v + (v < 0 ? -0.1 : 0.1));
        const gv = Float64Array.from(gaussian(rows * cols, seed + 4));
        const q = defaultRegistry.create('rand', { bits: 4, flavour: 'ste', mode: 'custom', p, c, granularity }, { shape: [rows, cols], role: 'weight', runtime: f64 });
        const w = tensor(Float32Array.from(vals), { shape: [rows, cols], runtime: f64 });
        const g = tensor(Float32Array.from(gv), { shape: [rows, cols], runtime: f64 });
        const { value, grads } = valueAndGrad((x: Tensor) => q.forward(x, stepCtx(0, true)).mul(g).sum())(w);
        const got = grads[0].hostValuesSync();
        for (const t of [w, g, value, grads[0]]) t.dispose();
        const qp = 7;
        const groupLen = granularity === 'channel' ? cols : rows * cols; // c < 1 with p = 8 clips the largest weights
        const wv = Float64Array.from(vals, (v) => Math.fround(v));
        const gg = Float64Array.from(gv, (v) => Math.fround(v));
        for (let g0 = 0; g0 < wv.length; g0 += groupLen) {
          const idx = [...Array(groupLen).keys()].map((i) => g0 + i);
          const sumP = idx.reduce((a, i) => a + Math.abs(wv[i]!) ** p, 0);
          const r = c * sumP ** (1 / p);
          const step = r / qp;
          let gd = 0;
          for (const i of idx) {
            const u = wv[i]! / step;
            gd += gg[i]! * (u > qp ? qp : u < -qp ? -qp : roundHalfEven(u) - u);
          }
          for (const i of idx) {
            const inside = Math.abs(wv[i]!) <= qp * step ? 1 : 0;
            clipped += 1 - inside;
            const dr = (r * Math.sign(wv[i]!) * Math.abs(wv[i]!) ** (p - 1)) / sumP;
            const want = gg[i]! * inside + (gd / qp) * dr;
            expect(Math.abs(got[i]! - want), `element ${i}: ${got[i]} vs ${want} (p ${p}, c ${c}, ${granularity})`).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(want)));
          }
        }
        q[Symbol.dispose]();
      }),
      { numRuns: 30 },
    );
    expect(clipped).toBeGreaterThan(0); // the outside branch (d = ±Q_P, no input gradient) was exercised
  });

  it('§5.2 mode 2 starts without clipping (c₀ = max|w₀|/‖w₀‖_p); mode 3 clips', () => {
    const vals = gaussian(64, 12);
    const w = weight(vals, [4, 16]);
    const m2 = randQ({ flavour: 'ste', mode: '2', p: 4 }, [4, 16]);
    const m3 = randQ({ flavour: 'ste', mode: '3', p: 4, clipFactor: 0.5 }, [4, 16]);
    const ste = make('ste', { bits: 4, granularity: 'channel' }, [4, 16]);
    // same grid as max-abs per row, up to the float32 rounding of c₀·‖w‖_p
    const a = run(m2, w, stepCtx(0, false));
    const b = run(ste, w);
    a.forEach((v, i) => expect(Math.abs(v - b[i]!)).toBeLessThanOrEqual(1e-5 * Math.abs(vals[i]!) + 1e-6));
    const clipped = run(m3, w, stepCtx(0, false));
    const maxAbs = Math.max(...Array.from(vals, Math.abs));
    expect(Math.max(...Array.from(clipped, Math.abs))).toBeLessThan(maxAbs * 0.6);
    w.dispose();
  });

  it('§8 size N·b + 32·G', () => {
    expect(randQ({}, [8, 16]).sizeBits([8, 16])).toBe(128 * 4 + 32 * 8);
    expect(randQ({ granularity: 'tensor' }, [8, 16]).sizeBits([8, 16])).toBe(128 * 4 + 32);
  });
});
