import { type Tensor, tensor, valueAndGrad } from '@nibble/core';
import { OrthogonalRNN } from '@nibble/layers';
import { describe, expect, it } from 'vitest';
import { gaussian } from '../../test/setup.ts';
import { QuantizerConfigError } from '../errors.ts';
import { attachQornnQuantizers, steBjorck } from './qornn.ts';

describe('QORNN STE-Björck (spec §7.3)', () => {
  it('the recurrence uses q(Björck(V)): on a 4-bit grid, column norms within the Weyl bound; V gets gradients', () => {
    const n = 32;
    const rnn = new OrthogonalRNN(3, n, { parametrization: 'bjorck', init: 'random', seed: 1 });
    const { recurrent, input } = steBjorck(rnn, { bits: 4 });
    expect(input).toBeDefined();
    const wq = rnn.recurrentMatrix();
    const values = wq.dataSync();
    const s = recurrent.export(rnn.recurrentMatrix()).tables[0]!;
    const levels = new Set(Array.from(values, (v) => Math.round(v / s)));
    expect(levels.size).toBeLessThanOrEqual(15);
    for (const v of values) expect(Math.abs(v / s - Math.round(v / s))).toBeLessThan(1e-4);
    // Weyl (§7.5): every singular value of q(W), hence every column norm, lies in [1 − ‖E‖₂, 1 + ‖E‖₂] with E = q(W) − W.
    rnn.setWeightTransform('recurrentWeight', undefined);
    const w = rnn.recurrentMatrix();
    const e = Math.sqrt(Array.from(w.dataSync()).reduce((a, v, i) => a + (values[i]! - v) ** 2, 0));
    expect(e).toBeGreaterThan(0);
    for (let j = 0; j < n; j++) {
      let norm = 0;
      for (let i = 0; i < n; i++) norm += values[i * n + j]! ** 2;
      expect(Math.abs(Math.sqrt(norm) - 1)).toBeLessThanOrEqual(e + 1e-5);
    }
    rnn.setWeightTransform('recurrentWeight', (v, ctx) => recurrent.forward(v, ctx));
    const x = tensor(gaussian(5 * 2 * 3, 3), { shape: [5, 2, 3] });
    const params = rnn.parameters();
    const { value, grads: [grads] } = valueAndGrad((_p: Record<string, Tensor>) => rnn.forward(x).h.square().sum())(params);
    expect(Array.from(grads.recurrentWeight!.dataSync()).some((v) => v !== 0)).toBe(true);
    for (const t of [wq, w, x, value, ...Object.values(grads)]) t.dispose();
    rnn.dispose();
  });

  it('refuses projUNN layers', () => {
    const rnn = new OrthogonalRNN(2, 4, { parametrization: 'projunn-d', seed: 0 });
    expect(() => steBjorck(rnn, { bits: 4 })).toThrow(QuantizerConfigError);
    rnn.dispose();
  });
});

describe('QORNN STE-projUNN (spec §7.4)', () => {
  const orthogonalityError = (w: Float32Array, n: number) => {
    let err = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let d = 0;
        for (let k = 0; k < n; k++) d += w[k * n + i]! * w[k * n + j]!;
        err = Math.max(err, Math.abs(d - (i === j ? 1 : 0)));
      }
    }
    return err;
  };

  for (const parametrization of ['projunn-d', 'projunn-t'] as const) {
    it(`${parametrization}: the forward uses q(W) of the stored W; the STE gradient fed to projunnStep keeps W orthogonal and lowers the quantized loss`, () => {
      const n = 16;
      const rnn = new OrthogonalRNN(3, n, { parametrization, projunnRank: 4, init: 'random', seed: 4, activation: 'tanh' });
      const { recurrent } = attachQornnQuantizers(rnn, { bits: 4 });
      const x = tensor(gaussian(6 * 4 * 3, 8), { shape: [6, 4, 3] });
      const target = tensor(gaussian(4 * n, 9).map((v) => 0.5 * Math.tanh(v)), { shape: [4, n] });
      const loss = () => rnn.forward(x).h.sub(target).square().mean();
      const lossValue = () => {
        const l = loss();
        const v = l.item();
        l.dispose();
        return v;
      };
      const first = lossValue();
      for (let step = 0; step < 30; step++) {
        rnn.setProgress({ step, seed: 1 });
        const { value, grads: [grads] } = valueAndGrad((_p: Record<string, Tensor>) => loss())(rnn.parameters());
        rnn.projunnStep(grads.recurrentWeight!, 0.5);
        for (const t of [value, ...Object.values(grads)]) t.dispose();
      }
      // the stored W stays orthogonal (float32), the recurrence sees its 4-bit grid
      const stored = rnn.rawParameter('recurrentWeight');
      expect(orthogonalityError(stored.dataSync() as Float32Array, n)).toBeLessThan(1e-5);
      const wq = rnn.recurrentMatrix();
      const values = wq.dataSync() as Float32Array;
      const s = recurrent.export(stored).tables[0]!;
      expect(new Set(Array.from(values, (v) => Math.round(v / s))).size).toBeLessThanOrEqual(15);
      for (const v of values) expect(Math.abs(v / s - Math.round(v / s))).toBeLessThan(1e-4);
      expect(Array.from(values).some((v, i) => v !== (stored.dataSync() as Float32Array)[i])).toBe(true);
      expect(orthogonalityError(values, n)).toBeGreaterThan(1e-3); // q(W) itself is not orthogonal
      expect(lossValue()).toBeLessThan(0.9 * first);
      for (const t of [wq, x, target]) t.dispose();
      rnn.dispose();
    });
  }
});

/** Singular values of an n×n row-major matrix: √eigenvalues of AᵀA by cyclic Jacobi (float64). */
function singularValues(a: ArrayLike<number>, n: number): number[] {
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let d = 0;
    for (let k = 0; k < n; k++) d += a[k * n + i]! * a[k * n + j]!;
    m[i * n + j] = d;
  }
  for (let sweep = 0; sweep < 30; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += m[p * n + q]! ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (m[q * n + q]! - m[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const sn = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = m[k * n + p]!;
          const mkq = m[k * n + q]!;
          m[k * n + p] = c * mkp - sn * mkq;
          m[k * n + q] = sn * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p * n + k]!;
          const mqk = m[q * n + k]!;
          m[p * n + k] = c * mpk - sn * mqk;
          m[q * n + k] = sn * mpk + c * mqk;
        }
      }
    }
  }
  return Array.from({ length: n }, (_, i) => Math.sqrt(Math.max(0, m[i * n + i]!))).sort((x, y) => x - y);
}

describe('QORNN quantized orthogonal matrices (spec §7.5)', () => {
  // The spec's regression table, measured on a 128×128 random orthogonal matrix with per-tensor max-abs symmetric
  // quantization: singular-value range of q_k(W) and the fraction of exactly-zero entries, per bit width.
  const table = [
    { bits: 3, lo: 0.54, hi: 1.57, zeros: 0.49 },
    { bits: 4, lo: 0.77, hi: 1.25, zeros: 0.24 },
    { bits: 5, lo: 0.9, hi: 1.1, zeros: 0.1 },
    { bits: 6, lo: 0.95, hi: 1.05, zeros: 0.05 },
    { bits: 8, lo: 0.986, hi: 1.014, zeros: 0.01 },
  ];
  it('§7.5 singular values of q_k(W) for a 128×128 random orthogonal W follow the regression table (3..8 bits); Weyl bound holds', () => {
    const n = 128;
    const rnn = new OrthogonalRNN(1, n, { parametrization: 'projunn-d', init: 'random', seed: 12 });
    const w = rnn.rawParameter('recurrentWeight');
    const wv = Float64Array.from(w.dataSync());
    for (const row of table) {
      const q = attachQornnQuantizers(rnn, { bits: row.bits, quantizeInput: false }).recurrent;
      const wq = rnn.recurrentMatrix();
      const qv = Float64Array.from(wq.dataSync());
      wq.dispose();
      const sv = singularValues(qv, n);
      const zeros = qv.filter((v) => v === 0).length / qv.length;
      let e2 = 0;
      for (let i = 0; i < qv.length; i++) e2 += (qv[i]! - wv[i]!) ** 2;
      console.log(`§7.5 ${row.bits}-bit: σ(q(W)) ∈ [${sv[0]!.toFixed(3)}, ${sv[n - 1]!.toFixed(3)}], zeros ${(100 * zeros).toFixed(1)}% (spec [${row.lo}, ${row.hi}], ${100 * row.zeros}%)`);
      // Weyl: σ_i(q(W)) ∈ [1 − ‖E‖₂, 1 + ‖E‖₂] and ‖E‖₂ ≤ ‖E‖_F
      expect(sv[0]!).toBeGreaterThanOrEqual(1 - Math.sqrt(e2) - 1e-9);
      expect(sv[n - 1]!).toBeLessThanOrEqual(1 + Math.sqrt(e2) + 1e-9);
      // the table's ranges, with the spread of another random matrix: 12% of the deviation from 1, ±3 points of zeros
      expect(Math.abs(sv[0]! - row.lo)).toBeLessThanOrEqual(0.12 * (1 - row.lo) + 0.002);
      expect(Math.abs(sv[n - 1]! - row.hi)).toBeLessThanOrEqual(0.12 * (row.hi - 1) + 0.002);
      expect(Math.abs(zeros - row.zeros)).toBeLessThanOrEqual(0.03);
      rnn.setWeightTransform('recurrentWeight', undefined);
      q[Symbol.dispose]();
    }
    rnn.dispose();
  });
});
