import { describe, expect, it } from 'vitest';
import { gaussian, make, run, stepCtx, weight } from '../../test/setup.ts';
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

  it('§4.1 ctx.rate overrides the computed rate (the tracker sets it per batch)', () => {
    const w = weight(gaussian(256, 8), [8, 32]);
    const q = make('quant-noisier', { variant: 'hard1', target: { bits: 4 } }, [8, 32]);
    expect(Array.from(run(q, w, stepCtx(1, true, { rate: 0 })))).toEqual(Array.from(w.dataSync()));
    w.dispose();
  });
});
