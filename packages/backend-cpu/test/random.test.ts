// Tensor-level random ops: same key → same numbers bit for bit (on separate runtimes); streams and counters differ;
// moments within statistical bounds.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bernoulli, createRuntime, randint, randomNormal, randomUniform } from '@nibble/core';
import { cpuFactory } from '../src/index.ts';

const a = createRuntime({ backends: [cpuFactory()] });
const b = createRuntime({ backends: [cpuFactory()] });

describe('random tensors', () => {
  it('same key, same numbers, bit for bit; another stream or counter, other numbers', () => {
    fc.assert(
      fc.property(fc.nat(2 ** 40), fc.nat(2 ** 32 - 1), fc.nat(10_000), (seed, stream, counter) => {
        const key = { seed, stream, counter };
        const x = randomNormal([17], key, 0, 1, { runtime: a }).dataSync();
        const y = randomNormal([17], key, 0, 1, { runtime: b }).dataSync();
        expect(Buffer.from(x.buffer).equals(Buffer.from(y.buffer))).toBe(true);
        const z = randomNormal([17], { ...key, stream: (stream + 1) % 2 ** 32 }, 0, 1, { runtime: a }).dataSync();
        const w = randomNormal([17], { ...key, counter: counter + 5 }, 0, 1, { runtime: a }).dataSync();
        expect(Array.from(z)).not.toEqual(Array.from(x));
        expect(Array.from(w)).not.toEqual(Array.from(x));
      }),
      { numRuns: 30 },
    );
  });

  it('moments: uniform, normal, bernoulli, randint within 5 sigma on 1e5 draws', () => {
    const n = 100_000;
    const key = { seed: 7, stream: 3, counter: 0 };
    const mean = (d: ArrayLike<number>) => {
      let s = 0;
      for (let i = 0; i < d.length; i++) s += d[i]!;
      return s / d.length;
    };
    const u = randomUniform([n], key, 0, 1, { runtime: a }).dataSync();
    expect(Math.abs(mean(u) - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    const g = randomNormal([n], key, 0, 1, { runtime: a }).dataSync();
    const m = mean(g);
    expect(Math.abs(m)).toBeLessThan(5 / Math.sqrt(n));
    const v = mean(Array.from(g, (x) => (x - m) ** 2));
    expect(Math.abs(v - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    const p = mean(bernoulli([n], 0.3, key, { runtime: a }).dataSync());
    expect(Math.abs(p - 0.3)).toBeLessThan(5 * Math.sqrt(0.21 / n));
    const r = randint([n], -3, 4, key, { runtime: a }).dataSync();
    expect(Math.min(...r)).toBe(-3);
    expect(Math.max(...r)).toBe(3);
    expect(Math.abs(mean(r))).toBeLessThan(5 * Math.sqrt(4 / n));
  });
});

describe('randomPermutation', () => {
  it('is a bijection of 0..n-1, deterministic per key', async () => {
    const { randomPermutation } = await import('@nibble/core');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }), fc.nat(1000), (n, seed) => {
        const p = Array.from(randomPermutation(n, { seed, stream: 1, counter: 0 }, { runtime: a }).dataSync());
        expect([...p].sort((x, y) => x - y)).toEqual([...Array(n).keys()]);
        expect(Array.from(randomPermutation(n, { seed, stream: 1, counter: 0 }, { runtime: b }).dataSync())).toEqual(p);
      }),
      { numRuns: 30 },
    );
  });
});
