import { describe, expect, it } from 'vitest';
import { gaussian, make, run, stepCtx, weight } from '../../test/setup.ts';
import { input, mlp, values } from '../../test/test-models.ts';
import { prepareQat } from '../qat/prepare-qat.ts';
import { ExampleLossTracker, noisierRate, quantNoisierConfigSchema } from './quant-noisier.ts';

const cfg = (raw: object) => quantNoisierConfigSchema.parse(raw);

describe('quant-noisier (spec §4)', () => {
  it('§4.3 sched: π rises linearly from p̂ − α to p̂ + α, monotone in the epoch', () => {
    const c = cfg({ variant: 'sched', epochs: 10 });
    const rates = [...Array(11).keys()].map((e) => noisierRate(c, { epoch: e }));
    expect(rates[0]).toBeCloseTo(0.1, 12);
    expect(rates[10]).toBeCloseTo(0.9, 12);
    for (let e = 1; e < rates.length; e++) expect(rates[e]!).toBeGreaterThanOrEqual(rates[e - 1]!);
    const exact = cfg({ variant: 'sched', epochs: 10, exactMean: true });
    const mean = [...Array(10).keys()].reduce((a, e) => a + noisierRate(exact, { epoch: e }), 0) / 10;
    expect(mean).toBeCloseTo(0.5, 12);
  });

  it('§4.3 jitter: π ∈ [p̂ − β, p̂ + β] and its mean over steps → p̂', () => {
    const q = make('quant-noisier', { variant: 'jitter', target: { bits: 4 } }, [4, 4]);
    const rates = [...Array(2000).keys()].map((s) => (q as unknown as { rateOf(c: unknown): number }).rateOf(stepCtx(s)));
    for (const r of rates) expect(Math.abs(r - 0.5)).toBeLessThanOrEqual(0.125);
    const mean = rates.reduce((a, r) => a + r, 0) / rates.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(4 * (0.125 / Math.sqrt(3)) / Math.sqrt(rates.length));
  });

  it('§4.3 λ = γ = α = β = 0 reduces to Quant-Noise exactly (same key, same output)', () => {
    const vals = gaussian(256, 2);
    const w = weight(vals, [8, 32]);
    const base = run(make('quant-noise', { variant: 'scalar', p: 0.5, target: { bits: 4 } }, [8, 32]), w, stepCtx(3));
    for (const variant of ['jitter', 'sched', 'hard1', 'hard2']) {
      const q = make('quant-noisier', { variant, lambda: 0, gamma: 0, alpha: 0, beta: 0, epochs: 4, target: { bits: 4 } }, [8, 32]);
      expect(Array.from(run(q, w, stepCtx(3)))).toEqual(Array.from(base));
    }
    w.dispose();
  });

  it('§4.2 hard1: epoch 0 uses p̂, harder examples get lower π, equal losses give h = 0; batch rate is the mean', () => {
    const c = cfg({ variant: 'hard1' });
    const t = new ExampleLossTracker(c);
    expect(t.rate(1, 0)).toBe(0.5);
    t.record([1, 2, 3], [0.1, 0.5, 2.0], 0);
    expect(t.hardness(3, 1)).toBe(1);
    expect(t.hardness(1, 1)).toBe(-1);
    expect(t.rate(3, 1)).toBeLessThan(t.rate(2, 1));
    expect(t.rate(2, 1)).toBeLessThan(t.rate(1, 1));
    expect(t.batchRate([1, 3], 1)).toBeCloseTo((t.rate(1, 1) + t.rate(3, 1)) / 2, 15);
    const flat = new ExampleLossTracker(c);
    flat.record([1, 2], [0.7, 0.7], 0);
    expect(flat.rate(1, 1)).toBe(0.5);
  });

  it('§4.2 hard2: reference losses normalised to [0, 1]; harder → lower π; π stays in [0, 1]', () => {
    const t = new ExampleLossTracker(cfg({ variant: 'hard2', gamma: 0.125 }));
    t.setReferenceLosses([1, 2], [0, 4]);
    expect(t.rate(1, 3)).toBe(0.5);
    expect(t.rate(2, 3)).toBe(0.375);
    expect(noisierRate(cfg({ variant: 'hard1', pHat: 0.05, lambda: 0.5 }), { epoch: 1, hardness: 1 })).toBe(0);
  });

  it('§4.1 hard1/hard2 exact rates: π = p̂ − λ·h with h from epoch e − 1 only, π = p̂ − γ·g constant over epochs', () => {
    // λ ≠ γ so that using the other variant's weight, or h unscaled, shows up in the values
    const t = new ExampleLossTracker(cfg({ variant: 'hard1', pHat: 0.6, lambda: 0.2, gamma: 0.05 }));
    t.record([1, 2, 3, 4], [1, 2, 3, 5], 0);
    expect(t.hardness(2, 1)).toBeCloseTo(-0.5, 15); // (2 − 1)/(5 − 1) scaled to [−1, 1]
    expect(t.rate(1, 1)).toBeCloseTo(0.6 + 0.2, 15);
    expect(t.rate(2, 1)).toBeCloseTo(0.6 + 0.1, 15);
    expect(t.rate(4, 1)).toBeCloseTo(0.6 - 0.2, 15);
    expect(t.batchRate([1, 2, 4], 1)).toBeCloseTo((0.8 + 0.7 + 0.4) / 3, 15);
    // the losses of epoch 0 serve epoch 1 only: epoch 0 itself and epoch 2 (no epoch-1 record yet) run at p̂
    expect(t.rate(4, 0)).toBe(0.6);
    expect(t.rate(4, 2)).toBe(0.6);
    // epoch 1's record replaces them for epoch 2; an example without a loss in e − 1 gets h = 0
    t.record([1, 2, 3], [9, 1, 5], 1);
    expect(t.rate(1, 2)).toBeCloseTo(0.6 - 0.2, 15);
    expect(t.rate(2, 2)).toBeCloseTo(0.6 + 0.2, 15);
    expect(t.rate(4, 2)).toBe(0.6);
    expect(() => t.record([1, 2], [1], 3)).toThrow(/2 ids but 1 losses/);

    const h2 = new ExampleLossTracker(cfg({ variant: 'hard2', pHat: 0.6, lambda: 0.2, gamma: 0.05 }));
    h2.setReferenceLosses([7, 8, 9], [2, 3, 6]);
    for (const epoch of [0, 1, 5]) {
      expect(h2.rate(7, epoch)).toBeCloseTo(0.6, 15);
      expect(h2.rate(8, epoch)).toBeCloseTo(0.6 - 0.05 * 0.25, 15);
      expect(h2.rate(9, epoch)).toBeCloseTo(0.6 - 0.05, 15);
    }
    h2.record([7, 8, 9], [100, 0, 0], 0); // hard2 ignores the training losses
    expect(h2.rate(7, 1)).toBeCloseTo(0.6, 15);
  });

  it('§4.1 the batch rate reaches the quantizer through setProgress: rate 0 trains on float weights, rate 1 on q(w)', () => {
    const model = mlp(8, 16, 4, 3);
    const x = input([5, 8], 4);
    model.eval();
    const float = values(model.forward(x));
    const qat = prepareQat(model, [{ pattern: '*.weight', quantizer: 'quant-noisier', config: { variant: 'hard1', target: { bits: 2 } } }]);
    const quantized = values(model.forward(x));
    model.train();
    model.setProgress({ step: 1, epoch: 1, seed: 2, rate: 0 });
    expect(values(model.forward(x))).toEqual(float);
    model.setProgress({ step: 2, epoch: 1, seed: 2, rate: 1 });
    expect(values(model.forward(x))).toEqual(quantized);
    model.setProgress({ step: 3, epoch: 1, seed: 2, rate: 0.5 });
    const half = values(model.forward(x));
    expect(half).not.toEqual(float);
    expect(half).not.toEqual(quantized);
    expect(quantized).not.toEqual(float);
    qat.detach();
    x.dispose();
    model.dispose();
  });

  it('§4.1 ctx.rate overrides the computed rate (the tracker sets it per batch)', () => {
    const w = weight(gaussian(256, 8), [8, 32]);
    const q = make('quant-noisier', { variant: 'hard1', target: { bits: 4 } }, [8, 32]);
    expect(Array.from(run(q, w, stepCtx(1, true, { rate: 0 })))).toEqual(Array.from(w.dataSync()));
    w.dispose();
  });
});
