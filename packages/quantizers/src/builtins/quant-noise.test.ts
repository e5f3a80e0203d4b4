import { defaultRuntime, type Tensor, tensor, valueAndGrad } from '@nibble/core';
import { defaultRegistry } from './index.ts';
import { describe, expect, it } from 'vitest';
import { gaussian, make, run, stepCtx, weight } from '../../test/setup.ts';
import { QuantizerConfigError, QuantizerExportError } from '../errors.ts';

const shape = [32, 64];
const vals = gaussian(32 * 64, 9);

describe('quant-noise (spec §3)', () => {
  it('§3.5 proxy: every entry is w/(1−p) or 0, the mask is constant per block, the dropped fraction is within 4σ of p', () => {
    const p = 0.3;
    const w = weight(vals, shape);
    const q = make('quant-noise', { variant: 'proxy', p, blockSize: 8 }, shape);
    const out = run(q, w, stepCtx(5));
    let dropped = 0;
    for (let b = 0; b < vals.length / 8; b++) {
      const zeros = [...Array(8).keys()].map((t) => out[b * 8 + t] === 0);
      expect(new Set(zeros).size).toBe(1);
      if (zeros[0]) dropped++;
      for (let t = 0; t < 8; t++) {
        const i = b * 8 + t;
        if (!zeros[0]) expect(out[i]).toBe(Math.fround(vals[i]! / Math.fround(1 - p)));
      }
    }
    const n = vals.length / 8;
    expect(Math.abs(dropped / n - p)).toBeLessThanOrEqual(4 * Math.sqrt((p * (1 - p)) / n));
    expect(Array.from(run(q, w, stepCtx(5, false)))).toEqual(Array.from(vals)); // eval: identity
    w.dispose();
  });

  it('§3.5 proxy is unbiased: the Monte Carlo mean over 300 steps ≈ w', () => {
    const w = weight(vals.subarray(0, 256), [8, 32]);
    const q = make('quant-noise', { variant: 'proxy', p: 0.2, blockSize: 4 }, [8, 32]);
    const mean = new Float64Array(256);
    const steps = 300;
    for (let s = 0; s < steps; s++) run(q, w, stepCtx(s)).forEach((v, i) => (mean[i]! += v / steps));
    // Var of one sample is w²·p/(1−p): the mean's std is |w|·√(p/((1−p)·steps)) ≈ 0.029|w|.
    mean.forEach((m, i) => expect(Math.abs(m - vals[i]!)).toBeLessThanOrEqual(5 * 0.029 * Math.abs(vals[i]!) + 1e-6));
    w.dispose();
  });

  it('§3.3 proxy gradient: g·((1−M)/(1−p) + M) (STE on dropped) or g·(1−M)/(1−p) (DropConnect)', () => {
    const p = 0.5;
    for (const steOnDropped of [true, false]) {
      const w = weight(vals.subarray(0, 64), [4, 16]);
      const q = make('quant-noise', { variant: 'proxy', p, blockSize: 4, steOnDropped }, [4, 16]);
      const g = tensor(gaussian(64, 4), { shape: [4, 16] });
      const gv = g.dataSync();
      const fwd = run(q, w, stepCtx(2));
      const { value, grads } = valueAndGrad((x: Tensor) => q.forward(x, stepCtx(2)).mul(g).sum())(w);
      const gw = grads[0].dataSync();
      for (let i = 0; i < 64; i++) {
        const droppedHere = fwd[i] === 0;
        const expected = droppedHere ? (steOnDropped ? gv[i]! : 0) : Math.fround(gv[i]! * Math.fround(1 / (1 - p)));
        expect(gw[i]).toBeCloseTo(expected, 6);
      }
      for (const t of [w, g, value, grads[0]]) t.dispose();
    }
  });

  it('§3.5 scalar: entries are w or q(w), eval is fully q(w), gradient is g exactly', () => {
    const w = weight(vals, shape);
    const q = make('quant-noise', { variant: 'scalar', p: 0.5, target: { bits: 4 } }, shape);
    const full = run(make('ste', { bits: 4 }, shape), w);
    const out = run(q, w, stepCtx(1));
    let noised = 0;
    out.forEach((v, i) => {
      expect(v === vals[i] || v === full[i]).toBe(true);
      if (v !== vals[i]) noised++;
    });
    expect(Math.abs(noised / vals.length - 0.5)).toBeLessThan(0.05);
    expect(Array.from(run(q, w, stepCtx(1, false)))).toEqual(Array.from(full));
    expect(() => q.export(w)).not.toThrow();
    w.dispose();
  });

  it('§3.5 masks are drawn per forward pass: different steps, different masks; same key, same mask', () => {
    const w = weight(vals, shape);
    const q = make('quant-noise', { variant: 'proxy', p: 0.5, blockSize: 8 }, shape);
    expect(Array.from(run(q, w, stepCtx(1)))).toEqual(Array.from(run(q, w, stepCtx(1))));
    expect(Array.from(run(q, w, stepCtx(1)))).not.toEqual(Array.from(run(q, w, stepCtx(2))));
    w.dispose();
  });

  it('§3.4 exact-PQ with p = 1 equals full PQ decoding with its codebook (eval forward)', () => {
    const w = weight(vals.subarray(0, 256), [8, 32]);
    const q = make('quant-noise', { variant: 'exact-pq', p: 1, blockSize: 4, centroids: 16, iterations: 10 }, [8, 32]);
    const trained = run(q, w, stepCtx(0));
    const packed = q.export(w);
    const decoded = new Float32Array(256);
    for (let i = 0; i < 64; i++) for (let t = 0; t < 4; t++) decoded[i * 4 + t] = packed.tables[packed.codes[i]! * 4 + t]!;
    expect(Array.from(trained)).toEqual(Array.from(decoded));
    w.dispose();
  });

  it('§3.6 rejects p ≥ 1 for proxy, a block size that does not divide the row, and exports of proxy noise', () => {
    expect(() => make('quant-noise', { variant: 'proxy', p: 1 }, shape)).toThrow(QuantizerConfigError);
    expect(() => make('quant-noise', { variant: 'proxy', p: 0.1, blockSize: 7 }, shape)).toThrow(/blockSize.*row length 64/);
    expect(() => make('quant-noise', { variant: 'proxy', p: 0.1, blockSize: 7, remainder: 'pad' }, shape)).not.toThrow();
    const w = weight(vals, shape);
    expect(() => make('quant-noise', { variant: 'proxy', p: 0.1 }, shape).export(w)).toThrow(QuantizerExportError);
    w.dispose();
  });

  it("§3.6 remainder 'pad': the row's tail is its own shorter block", () => {
    const w = weight(vals.subarray(0, 40), [4, 10]);
    const q = make('quant-noise', { variant: 'proxy', p: 0.5, blockSize: 4, remainder: 'pad' }, [4, 10]);
    for (let s = 0; s < 5; s++) {
      const out = run(q, w, stepCtx(s));
      for (let r = 0; r < 4; r++) {
        for (const [a, b] of [[0, 4], [4, 8], [8, 10]] as const) {
          const zeros = new Set(Array.from(out.subarray(r * 10 + a, r * 10 + b), (v) => v === 0));
          expect(zeros.size).toBe(1);
        }
      }
    }
    w.dispose();
  });

  it('§8 size of Quant-Noise is the size of its target quantizer', () => {
    expect(make('quant-noise', { variant: 'scalar', p: 0.5, target: { bits: 4, scheme: 'affine' } }, [8, 16]).sizeBits([8, 16])).toBe(128 * 4 + 32 + 4);
    expect(make('quant-noise', { variant: 'exact-pq', p: 0.5, blockSize: 4, centroids: 16 }, [8, 16]).sizeBits([8, 16])).toBe(32 * 4 + 16 * 16 * 4);
  });

  it('§3.2 activations: noised entries are q(y), clean entries clamp(y, −5, 5); gradient 1[|y| ≤ 5]', () => {
    const y = weight([-7, -2, 0.3, 1.1, 6, 4.9, -0.2, 3.3], [2, 4]);
    const q = defaultRegistry.create('quant-noise', { variant: 'scalar', p: 0.5, target: { bits: 4 } }, { shape: [2, 4], role: 'activation', runtime: defaultRuntime });
    const full = run(make('ste', { bits: 4 }, [2, 4]), y);
    const out = run(q, y, stepCtx(4));
    const vals = y.dataSync();
    out.forEach((v, i) => expect(v === Math.min(Math.max(vals[i]!, -5), 5) || v === full[i]).toBe(true));
    const { value, grads } = valueAndGrad((x: Tensor) => q.forward(x, stepCtx(4)).sum())(y);
    expect(Array.from(grads[0].dataSync())).toEqual([0, 1, 1, 1, 0, 1, 1, 1]);
    for (const t of [y, value, grads[0]]) t.dispose();
  });
});
