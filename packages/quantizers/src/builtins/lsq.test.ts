import { createRuntime, defaultRuntime, type Tensor, tensor, valueAndGrad } from '@nibble/core';
import { cpuFactory } from '@nibble/backend-cpu';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gaussian, make, stepCtx, weight } from '../../test/setup.ts';
import { lsq, lsqPlus } from './lsq.ts';

const f64 = createRuntime({ backends: [cpuFactory({ precision: 'float64' })] });
const rhe = (x: number) => {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
};

/** ∂L/∂w and ∂L/∂s of L = Σ g ⊙ q(w) for an LSQ quantizer on a runtime. */
function grads(q: ReturnType<typeof make>, w: Tensor, g: Tensor): { gw: Float64Array; gs: Float64Array } {
  const step = q.parameters().step!;
  const r = valueAndGrad((x: Tensor, _s: Tensor) => q.forward(x, stepCtx()).mul(g).sum())(w, step);
  const out = { gw: Float64Array.from(r.grads[0].hostValuesSync()), gs: Float64Array.from(r.grads[1].hostValuesSync()) };
  r.value.dispose();
  r.grads[0].dispose();
  r.grads[1].dispose();
  return out;
}

describe('lsq (spec §2)', () => {
  it('§2.2 initializes s₀ = 2·mean|v|/√Q_P (binary: mean|v|)', () => {
    const w = weight([1, -2, 3, -4], [4]);
    const q = make('lsq', { bits: 3 }, [4]);
    q.calibrate(w);
    expect(q.parameters().step!.item()).toBe(Math.fround((2 * 2.5) / Math.sqrt(3)));
    const b = make('lsq', { bits: 1 }, [4]);
    b.calibrate(w);
    expect(b.parameters().step!.item()).toBe(2.5);
    for (const t of [w]) t.dispose();
    q[Symbol.dispose]();
    b[Symbol.dispose]();
  });

  it('§2.3 step gradient equals the surrogate central difference in float64 (to 1e-9), input gradient g·1[inside]', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 8 }), fc.integer({ min: 0, max: 1e6 }), (bits, seed) => {
        const vals = gaussian(24, seed + 3);
        const gv = gaussian(24, seed + 99);
        const q = lsq.create(lsq.parseConfig({ bits }), { shape: [4, 6], role: 'weight', runtime: f64 });
        const w = tensor(vals, { shape: [4, 6], runtime: f64 });
        const g = tensor(gv, { shape: [4, 6], runtime: f64 });
        q.calibrate(w);
        const s0 = q.parameters().step!.hostValuesSync()[0]!;
        const { gw, gs } = grads(q, w, g);
        const qn = 2 ** (bits - 1);
        const qp = qn - 1;
        const clip = (u: number) => Math.min(Math.max(u, -qn), qp);
        const r0 = Array.from(vals, (v) => rhe(clip(v / s0)) - clip(v / s0));
        const sur = (s: number) => Array.from(vals).reduce((a, v, i) => a + gv[i]! * s * (clip(v / s) + r0[i]!), 0);
        const h = s0 * 1e-4; // the surrogate is linear between kinks: a large step keeps round-off out
        fc.pre(Array.from(vals).every((v) => Math.abs(s0 - v / qp) > 2 * h && Math.abs(s0 + v / qn) > 2 * h));
        const fd = (sur(s0 + h) - sur(s0 - h)) / (2 * h);
        // g_s enters as a float32 constant (the framework's scalar dtype), so compare with fround(g_s)·fd.
        expect(Math.abs(gs[0]! - fd * Math.fround(1 / Math.sqrt(24 * qp)))).toBeLessThan(1e-9 * Math.max(1, Math.abs(fd)));
        Array.from(vals).forEach((v, i) => expect(gw[i] === (v / s0 > -qn && v / s0 < qp ? gv[i]! : 0)).toBe(true));
        for (const t of [w, g]) t.dispose();
        q[Symbol.dispose]();
      }),
      { numRuns: 30 },
    );
  });

  it('§2.3 ∂L/∂s scales linearly with g_s; on-grid inputs get no in-range step gradient', () => {
    const w = weight([0.3, -0.6, 0.9, 1.2], [4]);
    const g = tensor([1, 2, 3, 4]);
    const q1 = make('lsq', { bits: 4, gradScale: 1 }, [4]);
    const q2 = make('lsq', { bits: 4, gradScale: 2 }, [4]);
    q1.calibrate(w);
    q2.calibrate(w);
    const a = grads(q1, w, g).gs[0]!;
    const b = grads(q2, w, g).gs[0]!;
    expect(b).toBe(2 * a);
    // s = 0.3 puts every |v| ≤ 1.2 = 4s exactly on the grid (inside [−8, 7]): zero step gradient.
    q1.assign({ step: tensor([0.3]) });
    const onGrid = weight([0.3, -0.6, 0.9, 1.2].map((v) => Math.fround(Math.round(v / Math.fround(0.3)) * Math.fround(0.3))), [4]);
    expect(Math.abs(grads(q1, onGrid, g).gs[0]!)).toBeLessThan(1e-6);
    for (const t of [w, g, onGrid]) t.dispose();
  });

  it('§2.2 s stays ≥ ε: assign clamps a negative or zero step', () => {
    const q = make('lsq', { bits: 4 }, [2]);
    const w = weight([1, -1], [2]);
    q.calibrate(w);
    q.assign({ step: tensor([-3]) });
    expect(q.parameters().step!.item()).toBe(2 ** -23);
    const out = q.forward(w, stepCtx());
    expect(Array.from(out.dataSync()).every(Number.isFinite)).toBe(true);
    out.dispose();
    w.dispose();
    q[Symbol.dispose]();
  });

  it('§2.4 binary LSQ: v̂ = s·sign(v), ∂/∂s = Σ g·sign(v)/√N, ∂/∂v = g·1[|v| ≤ s]', () => {
    const w = weight([-2, 0, 0.5, 3], [4]);
    const g = tensor([1, 2, 3, 4]);
    const q = make('lsq', { bits: 1 }, [4]);
    q.calibrate(w); // s = mean|v| = 1.375
    const out = q.forward(w, stepCtx());
    expect(Array.from(out.dataSync())).toEqual([-1.375, 1.375, 1.375, 1.375]);
    out.dispose();
    const { gw, gs } = grads(q, w, g);
    expect(Array.from(gw)).toEqual([0, 2, 3, 0]);
    expect(gs[0]).toBeCloseTo((-1 + 2 + 3 + 4) / 2, 6);
    for (const t of [w, g]) t.dispose();
    q[Symbol.dispose]();
  });

  it('§2.4 LSQ+: ∂x̂/∂β = 0 inside, 1 outside (times g_s); eval snaps β to s·Z', () => {
    const q = lsqPlus.create(lsqPlus.parseConfig({ bits: 2, gradScale: 1 }), { shape: [4], role: 'weight', runtime: defaultRuntime });
    const w = weight([-1, 0.1, 0.2, 5], [4]);
    q.calibrate(w);
    q.assign({ step: tensor([0.5]), offset: tensor([0.3]) });
    const g = tensor([1, 1, 1, 1]);
    const { step, offset } = q.parameters();
    const r = valueAndGrad((x: Tensor, _s: Tensor, _b: Tensor) => q.forward(x, stepCtx()).mul(g).sum())(w, step!, offset!);
    // u = (x − 0.3)/0.5 = [−2.6, −0.4, −0.2, 9.4]; Q_N = 2, Q_P = 1: elements 0 and 3 are outside.
    expect(r.grads[2].item()).toBeCloseTo(2, 6);
    expect(Array.from(r.grads[0].dataSync())).toEqual([0, 1, 1, 0]);
    for (const t of [r.value, ...r.grads]) t.dispose();
    const ev = q.forward(w, stepCtx(0, false));
    // z = round(−0.3/0.5) = round(−0.6) = −1 → grid (k + 1)·0.5 for k ∈ [−2, 1]: {−0.5, 0, 0.5, 1}
    expect(Array.from(ev.dataSync())).toEqual([-0.5, 0, 0, 1]);
    for (const t of [ev, w, g]) t.dispose();
    q[Symbol.dispose]();
  });

  it('§8 sizes: LSQ N·b + 32, LSQ+ N·b + 32 + b', () => {
    expect(make('lsq', { bits: 3 }, [10, 7]).sizeBits([10, 7])).toBe(70 * 3 + 32);
    expect(make('lsq+', { bits: 4 }, [10, 8]).sizeBits([10, 8])).toBe(80 * 4 + 32 + 4);
    expect(make('lsq', { bits: 4, granularity: 'channel' }, [10, 8]).sizeBits([10, 8])).toBe(80 * 4 + 32 * 10);
  });
});
