import { defaultRuntime, type Tensor, tensor, valueAndGrad } from '@nibble/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gaussian, make, run, stepCtx, weight } from '../../test/setup.ts';
import { QuantizerCalibrationError, QuantizerConfigError } from '../errors.ts';

describe('ste (spec §1)', () => {
  it('§0 rounds ties half to even: x/s = 0.5, 1.5, 2.5 → 0, 2, 2 steps', () => {
    // symmetric narrow 4-bit, max|x| = 7 → s = 1 exactly; the 7 pins the scale.
    const w = weight([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 7], [7]);
    expect(Array.from(run(make('ste', { bits: 4 }, [7]), w))).toEqual([0, 2, 2, 0, -2, -2, 7]);
    w.dispose();
  });

  it('§1.1 affine uses round(x/s) + z, not round(x/s + z): tie with odd zero-point', () => {
    // x in [-1, 14]: 4-bit affine s = 15/15 = 1, z = 0 - round(-1/1) = 1; x = 0.5 → round(0.5) + 1 = 1 → (1 - 1)·1 = 0
    const w = weight([-1, 0.5, 14], [3]);
    expect(Array.from(run(make('ste', { bits: 4, scheme: 'affine' }, [3]), w))).toEqual([-1, 0, 14]);
    w.dispose();
  });

  it('§1.5 all-zero tensor: s = ε, output exactly 0, no NaN', () => {
    for (const scheme of ['affine', 'symmetric'] as const) {
      const w = weight([0, 0, 0, 0], [2, 2]);
      const q = make('ste', { bits: 4, scheme }, [2, 2]);
      expect(Array.from(run(q, w))).toEqual([0, 0, 0, 0]);
      const packed = q.export(w);
      expect(packed.tables[0]).toBe(2 ** -23);
      q[Symbol.dispose]();
      w.dispose();
    }
  });

  // "Exactly" up to the float32 rounding of s = |c|/(2^b − 1): within one ulp of c (PyTorch computes the same).
  it('§1.5 constant tensor c ≠ 0 is reproduced (zero-inclusion), within 1 ulp', () => {
    fc.assert(
      fc.property(fc.float({ min: Math.fround(-100), max: Math.fround(100), noNaN: true }).filter((c) => Math.abs(c) > 1e-3), fc.integer({ min: 2, max: 8 }), fc.constantFrom('affine', 'symmetric'), (c, bits, scheme) => {
        const w = weight([c, c, c], [3]);
        const out = run(make('ste', { bits, scheme }, [3]), w);
        w.dispose();
        for (const v of out) expect(Math.abs(v - c)).toBeLessThanOrEqual(Math.abs(c) * 2 ** -23);
      }),
      { numRuns: 60 },
    );
  });

  it('§1.5 NaN / ±Inf weights make calibration throw', () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const w = weight([1, bad, 2], [3]);
      expect(() => make('ste', { bits: 8 }, [3]).forward(w, stepCtx())).toThrow(QuantizerCalibrationError);
      expect(() => make('ste', { bits: 8 }, [3]).forward(w, stepCtx())).toThrow(/flat index 1/);
      w.dispose();
    }
  });

  it('§1.4.6 per-channel row i equals per-tensor on row i alone', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 8 }), fc.constantFrom('affine', 'symmetric'), fc.integer({ min: 0, max: 1e6 }), (rows, cols, bits, scheme, seed) => {
        const vals = gaussian(rows * cols, seed + 1).map((v, i) => v * (1 + (i % cols)));
        const w = weight(vals, [rows, cols]);
        const pc = run(make('ste', { bits, scheme, granularity: 'channel' }, [rows, cols]), w);
        w.dispose();
        for (let r = 0; r < rows; r++) {
          const row = weight(vals.subarray(r * cols, (r + 1) * cols), [cols]);
          const pt = run(make('ste', { bits, scheme }, [cols]), row);
          row.dispose();
          expect(Array.from(pc.subarray(r * cols, (r + 1) * cols))).toEqual(Array.from(pt));
        }
      }),
      { numRuns: 40 },
    );
  });

  it('§1.4.9 8-bit on N(0,1), 10^4 samples: relative MSE < 1e-4', () => {
    const vals = gaussian(10_000, 42);
    for (const scheme of ['affine', 'symmetric'] as const) {
      const w = weight(vals, [100, 100]);
      const out = run(make('ste', { bits: 8, scheme }, [100, 100]), w);
      w.dispose();
      let err = 0;
      let pow = 0;
      for (let i = 0; i < vals.length; i++) {
        err += (out[i]! - vals[i]!) ** 2;
        pow += vals[i]! ** 2;
      }
      expect(err / pow).toBeLessThan(1e-4);
    }
  });

  it('§1.4.9 4-bit per-channel MSE ≤ per-tensor MSE', () => {
    const vals = gaussian(64 * 32, 5).map((v, i) => v * (0.1 + Math.floor(i / 32) / 8));
    const mse = (granularity: string) => {
      const w = weight(vals, [64, 32]);
      const out = run(make('ste', { bits: 4, granularity }, [64, 32]), w);
      w.dispose();
      return out.reduce((a, v, i) => a + (v - vals[i]!) ** 2, 0);
    };
    expect(mse('channel')).toBeLessThanOrEqual(mse('tensor'));
  });

  it('§1.1 b = 1 is binary α·sign(x) with sign(0) = +1 and α = mean|x|', () => {
    const w = weight([-2, 0, 1, 3], [4]);
    const out = run(make('ste', { bits: 1 }, [4]), w);
    expect(Array.from(out)).toEqual([-1.5, 1.5, 1.5, 1.5]);
    expect(Array.from(run(make('ste', { bits: 1, binaryScale: 'max' }, [4]), w))).toEqual([-3, 3, 3, 3]);
    w.dispose();
  });

  it('§1.1 stale scales: refreshEvery keeps the range between refreshes, then refreshes', () => {
    const q = make('ste', { bits: 8, refreshEvery: 3 }, [2]);
    const a = weight([1, -1], [2]);
    const b = weight([4, -4], [2]);
    run(q, a, stepCtx(0));
    expect(Array.from(run(q, b, stepCtx(1)))).toEqual([1, -1]); // saturates at the stale range
    expect(Array.from(run(q, b, stepCtx(3)))).toEqual([4, -4]);
    a.dispose();
    b.dispose();
  });

  it('§1.1 ema-minmax averages ranges; mse clips outliers', () => {
    const q = make('ste', { bits: 8, observer: 'ema-minmax', momentum: 0.5 }, [2]);
    const a = weight([1, -1], [2]);
    const b = weight([3, -3], [2]);
    run(q, a, stepCtx(0));
    run(q, b, stepCtx(1));
    const st = q.getState().state as { observer: { hi: number[] } };
    expect(st.observer.hi[0]).toBe(2);
    const vals = Float32Array.from([...gaussian(999, 3), 40]);
    const w = weight(vals, [1000]);
    const mseOut = run(make('ste', { bits: 4, observer: 'mse' }, [1000]), w);
    const mmOut = run(make('ste', { bits: 4 }, [1000]), w);
    const err = (o: Float32Array) => o.reduce((s, v, i) => s + (v - vals[i]!) ** 2, 0);
    expect(err(mseOut)).toBeLessThan(err(mmOut));
    for (const t of [a, b, w]) t.dispose();
  });

  it('§1.2 clipped STE passes g inside [lo, hi] and 0 outside (stale range)', () => {
    const q = make('ste', { bits: 8, refreshEvery: 100 }, [3]);
    const a = weight([1, -1, 0.5], [3]);
    run(q, a, stepCtx(0));
    const b = weight([2, -0.5, 0.25], [3]);
    const g = tensor([1, 2, 3]);
    const { value, grads } = valueAndGrad((x: Tensor) => q.forward(x, stepCtx(1)).mul(g).sum())(b);
    expect(Array.from(grads[0].dataSync())).toEqual([0, 2, 3]);
    for (const t of [a, b, g, value, grads[0]]) t.dispose();
  });

  it('rejects bad configs naming the field', () => {
    const cases: [unknown, string][] = [[{ bits: 0 }, 'bits'], [{ bits: 9 }, 'bits'], [{ bits: 2.5 }, 'bits'], [{ bits: 4, scheme: 'asym' }, 'scheme'], [{ bits: 4, refreshEvery: 0 }, 'refreshEvery'], [{ bits: 4, typo: 1 }, '']];
    for (const [config, field] of cases) {
      try {
        make('ste', config, [2]);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(QuantizerConfigError);
        expect((e as QuantizerConfigError).field).toBe(field);
        expect((e as Error).message).toMatch(/^ste: invalid config/);
      }
    }
  });

  it('leaks no tensors over forward, backward, export and dispose', () => {
    const w = weight(gaussian(12), [3, 4]);
    const before = defaultRuntime.memory();
    const q = make('ste', { bits: 3, granularity: 'channel' }, [3, 4]);
    const { value, grads } = valueAndGrad((x: Tensor) => q.forward(x, stepCtx()).sum())(w);
    value.dispose();
    grads[0].dispose();
    q.export(w);
    q[Symbol.dispose]();
    expect(defaultRuntime.memory()).toEqual(before);
    w.dispose();
  });
});
