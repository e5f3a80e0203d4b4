// The backend conformance suite on the native CPU backend (C++ kernels for matmul, elementwise, fake-quant), which
// must be loaded wherever a C++ toolchain built it (CI has g++).
import { describe, expect, it } from 'vitest';
import { describeBackendConformance } from '@nibble/core/testing';
import { NativeCpuBackend, nativeFactory, nativeUnavailableReason } from '../src/node.ts';

describe('native kernels', () => {
  it('are built and loaded', () => {
    expect(nativeUnavailableReason()).toBeUndefined();
    expect(nativeFactory().createSync!()).toBeInstanceOf(NativeCpuBackend);
  });
});

describeBackendConformance(nativeFactory({ name: 'cpu-native' }), { numRuns: 30 });
// as in conformance.test.ts: every freed array reused and poisoned, so no native path may rely on zeroed outputs
describeBackendConformance(nativeFactory({ name: 'cpu-native-poisoned-reuse', reuseMinBytes: 0, reuseFill: NaN }), { numRuns: 15 });

import fc from 'fast-check';
import { createRuntime, tensor, type Tensor, fakeQuant, pad } from '@nibble/core';
import { cpu } from '../src/index.ts';

// Above the size where the native elementwise and fake-quant paths take over: compare with the TypeScript kernels
// (exact IEEE ops must agree bit for bit) on dense, transposed and broadcast operands.
describe('native elementwise and fake-quant on large tensors', () => {
  const ts = createRuntime({ backends: [cpu] });
  const nat = createRuntime({ backends: [nativeFactory()] });
  const big = fc.tuple(fc.integer({ min: 40, max: 90 }), fc.integer({ min: 50, max: 80 }), fc.integer({ min: 1, max: 2 ** 31 }));
  const data = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.fround(Math.sin(seed + i * 12.9898) * 43.7));
  const both = (f: (rt: typeof ts) => Tensor) => [f(ts).dataSync(), f(nat).dataSync()] as const;

  it('add, sub, mul, div, maximum, minimum, neg, abs, sqrt match bit for bit', () => {
    fc.assert(
      fc.property(big, ([r, c, seed]) => {
        const a = data(r * c, seed);
        const b = data(c, seed + 1);
        const layouts = [
          (t: Tensor) => t, // dense: the native vector kernel
          (t: Tensor) => t.transpose().reshape([c, r]).transpose(), // transposed: falls back to the TS kernel
        ];
        for (const layout of layouts) {
          for (const op of ['add', 'sub', 'mul', 'div', 'maximum', 'minimum'] as const) {
            const [x, y] = both((rt) => layout(tensor(a, { runtime: rt, shape: [r, c] }))[op](tensor(b, { runtime: rt, shape: [c] })));
            expect(Buffer.from(y.buffer).equals(Buffer.from(x.buffer)), op).toBe(true);
          }
        }
        for (const op of ['neg', 'abs', 'sqrt'] as const) {
          const [x, y] = both((rt) => tensor(a, { runtime: rt, shape: [r, c] })[op]());
          expect(Buffer.from(y.buffer).equals(Buffer.from(x.buffer)), op).toBe(true);
        }
      }),
      { numRuns: 20 },
    );
  });

  it('comparisons (with NaN, ties and broadcast scalars / rows) and the bool ⇄ float32 casts match exactly', () => {
    fc.assert(
      fc.property(big, ([r, c, seed]) => {
        const a = data(r * c, seed).map((v, i) => (i % 11 === 0 ? 0 : i % 13 === 0 ? NaN : Math.round(v / 8)));
        const b = data(c, seed + 1).map((v, i) => (i % 5 === 0 ? NaN : Math.round(v / 8)));
        for (const op of ['lt', 'le', 'eq', 'ne'] as const) {
          for (const other of [(rt: typeof ts) => tensor(b, { runtime: rt, shape: [c] }), (rt: typeof ts) => tensor(0, { runtime: rt })]) {
            const [x, y] = both((rt) => tensor(a, { runtime: rt, shape: [r, c] })[op](other(rt)));
            expect(Array.from(y), op).toEqual(Array.from(x));
            const [fx, fy] = both((rt) => tensor(a, { runtime: rt, shape: [r, c] })[op](other(rt)).cast('float32'));
            expect(Array.from(fy), `${op} → float32`).toEqual(Array.from(fx));
          }
        }
        const [bx, by] = both((rt) => tensor(a, { runtime: rt, shape: [r, c] }).cast('bool'));
        expect(Array.from(by)).toEqual(Array.from(bx));
        expect(Array.from(bx).filter((v) => v === 0).length).toBeGreaterThan(0); // zeros → false, NaN → true
      }),
      { numRuns: 10 },
    );
  });

  it('merged axes: a size-1 last axis over a strided column, 4-D times a scalar, [n, 1] broadcasts (bit for bit)', () => {
    const n = 4096;
    const cases: [string, (rt: typeof ts) => Tensor][] = [
      // a column of a [n, 2] tensor: after dropping its size-1 last axis the kept axis has stride 2
      ['column + dense', (rt) => tensor(data(2 * n, 1), { runtime: rt, shape: [n, 2] }).slice([0, 1], [n, 1]).add(tensor(data(n, 2), { runtime: rt, shape: [n, 1] }))],
      ['column < dense', (rt) => tensor(data(2 * n, 3), { runtime: rt, shape: [n, 2] }).slice([0, 0], [n, 1]).lt(tensor(data(n, 4), { runtime: rt, shape: [n, 1] })).cast('float32')],
      ['4-D times a scalar', (rt) => tensor(data(16 * 4 * 8 * 8, 5), { runtime: rt, shape: [16, 4, 8, 8] }).mul(0.17)],
      ['[n, 1] broadcast over [n, 64]', (rt) => tensor(data(n, 6), { runtime: rt, shape: [n / 64, 1, 64] }).mul(tensor(data(n / 64 * 3, 7), { runtime: rt, shape: [n / 64, 3, 1] }))],
    ];
    for (const [name, f] of cases) {
      const [x, y] = both(f);
      expect(Array.from(y), name).toEqual(Array.from(x));
    }
  });

  it('fakeQuant per tensor and per row matches bit for bit', () => {
    fc.assert(
      fc.property(big, fc.integer({ min: 2, max: 8 }), ([r, c, seed], bits) => {
        const a = data(r * c, seed);
        const scales = Array.from({ length: r }, (_, i) => 0.05 + (i % 7) * 0.11);
        const zps = Array.from({ length: r }, (_, i) => i % 3);
        const qmax = 2 ** bits - 1;
        const [x, y] = both((rt) => fakeQuant(tensor(a, { runtime: rt, shape: [r, c] }), tensor(scales, { runtime: rt }), tensor(zps, { runtime: rt }), { qmin: 0, qmax, axis: 0 }));
        expect(Buffer.from(y.buffer).equals(Buffer.from(x.buffer))).toBe(true);
      }),
      { numRuns: 20 },
    );
  });
});

// Reductions, strided copies and pads above the native threshold: the native kernels take inputs in the same order
// and sum in float64 like the TypeScript kernels, so the results must be identical bit for bit (NaN included).
describe('native reductions, copies and pads on large tensors', () => {
  const ts = createRuntime({ backends: [cpu] });
  const nat = createRuntime({ backends: [nativeFactory()] });
  const shapeArb = fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 2, maxLength: 4 }).filter((s) => s.reduce((a, d) => a * d, 1) * 40 >= 2048);
  const data = (n: number, seed: number, nan: boolean) =>
    Float32Array.from({ length: n }, (_, i) => (nan && i % 97 === seed % 97 ? NaN : Math.fround(Math.sin(seed + i * 12.9898) * 43.7)));
  const same = (a: Float32Array, b: Float32Array) => expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
  const withLast = (s: number[]) => [...s, 40];

  it('sum and max over every run of consecutive axes match bit for bit', () => {
    fc.assert(
      fc.property(shapeArb, fc.nat(), fc.nat(), fc.integer({ min: 1, max: 2 ** 30 }), fc.boolean(), (s, i, j, seed, nan) => {
        const shape = withLast(s);
        const a = Math.min(i % shape.length, j % shape.length);
        const b = Math.max(i % shape.length, j % shape.length);
        const axes = Array.from({ length: b - a + 1 }, (_, k) => a + k);
        const x = data(shape.reduce((p, d) => p * d, 1), seed, nan);
        for (const op of ['sum', 'max'] as const) {
          const [want, got] = [ts, nat].map((rt) => tensor(x, { runtime: rt, shape })[op](axes, true).dataSync() as Float32Array);
          same(got!, want!);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('the sum of a whole tensor adds element i into float64 lane i mod 8 on both backends (bit for bit)', () => {
    // lane order made visible: in one chain 2^60 + 1 + … + 1 − 2^60 is 0 (each 1 is lost against 2^60); over 8
    // lanes the seven 1s sit in lanes 1–7 and 2^60 − 2^60 meets in lane 0, so the sum is 7
    const x = new Float32Array(72);
    x[0] = 2 ** 60;
    x.fill(1, 1, 8);
    x[8] = -(2 ** 60);
    for (const rt of [ts, nat]) expect(tensor(x, { runtime: rt, shape: [8, 9] }).sum().dataSync()[0]).toBe(7);
    for (const n of [64, 65, 71, 72, 100, 1000, 131072 + 3]) {
      const v = data(n, n, false);
      const [want, got] = [ts, nat].map((rt) => tensor(v, { runtime: rt }).sum().dataSync() as Float32Array);
      same(got!, want!);
    }
  });

  it('max over rows of zeros of both signs, negatives and NaN matches bit for bit (the first ±0 wins a zero maximum)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 99 }), { minLength: 64 * 40, maxLength: 64 * 40 }), (picks) => {
        // mostly ±0 (so most maxima are zeros), some negatives, NaN in about a third of the rows
        const x = Float32Array.from(picks, (p) => (p < 40 ? 0 : p < 80 ? -0 : p < 90 ? -1 : p < 98 ? -Infinity : p < 99 ? -2.5 : NaN));
        for (const axes of [[1], [0], [0, 1]]) {
          const [want, got] = [ts, nat].map((rt) => tensor(x, { runtime: rt, shape: [64, 40] }).max(axes, true).dataSync() as Float32Array);
          same(got!, want!);
        }
      }),
      { numRuns: 30 },
    );
  });

  it('copies of permuted and sliced views, and pads, match bit for bit', () => {
    fc.assert(
      fc.property(shapeArb, fc.integer({ min: 1, max: 2 ** 30 }), fc.integer({ min: 0, max: 3 }), (s, seed, before) => {
        const shape = withLast(s);
        const x = data(shape.reduce((p, d) => p * d, 1), seed, false);
        const perm = shape.map((_, k) => shape.length - 1 - k);
        const ops = [
          (t: Tensor) => t.permute(perm).contiguous(),
          (t: Tensor) => t.slice(shape.map(() => 0), shape.map((d) => Math.max(1, d - 1))).contiguous(),
          (t: Tensor) => pad(t.permute(perm), shape.map(() => [before, 1] as [number, number]), -2.5),
        ];
        for (const op of ops) {
          const [want, got] = [ts, nat].map((rt) => op(tensor(x, { runtime: rt, shape })).dataSync() as Float32Array);
          same(got!, want!);
        }
      }),
      { numRuns: 30 },
    );
  });
});

describe('native transcendental unary ops on large tensors', () => {
  const nat = createRuntime({ backends: [nativeFactory()] });
  const reference: Record<'exp' | 'log' | 'tanh' | 'sigmoid', (x: number) => number> = {
    exp: Math.exp, log: Math.log, tanh: Math.tanh, sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  };
  const edges = [NaN, Infinity, -Infinity, 0, -0, 1e-45, -1e-45, 1e-38, 88.7, 89, -87, -104, 3e38, -3e38, 0.625, -0.625];

  it('exp, log, tanh and sigmoid stay within 2e-6 relative (1e-6 absolute) of float64, edge values included', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 30 }), fc.double({ min: 0.01, max: 60, noNaN: true }), (seed, scale) => {
        const x = Float32Array.from({ length: 4096 }, (_, i) => (i < edges.length ? edges[i]! : Math.fround(Math.sin(seed + i * 12.9898) * scale)));
        for (const op of ['exp', 'log', 'tanh', 'sigmoid'] as const) {
          const got = tensor(x, { runtime: nat, shape: [64, 64] })[op]().dataSync();
          x.forEach((v, i) => {
            const want = Math.fround(reference[op](v));
            const g = got[i]!;
            if (Number.isNaN(want)) expect(g, `${op}(${v})`).toBeNaN();
            else if (!Number.isFinite(want)) expect(g, `${op}(${v})`).toBe(want);
            else expect(Math.abs(g - want), `${op}(${v}) = ${g}, want ${want}`).toBeLessThanOrEqual(2e-6 * Math.abs(want) + 1e-6);
          });
        }
      }),
      { numRuns: 20 },
    );
  });
});

// Attention-shaped products: [batch, heads] axes with unrelated strides (a permuted [B, T, heads, d] tensor) go to
// the kernel as one multi-axis call whose threads split every product; each product must still read its own slice.
describe('native matmul over several permuted batch axes', () => {
  const nat = createRuntime({ backends: [nativeFactory()] });
  it('matches a float64 reference for q·kᵀ and p·v on permuted views, above the threading threshold', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 6 }), fc.integer({ min: 2, max: 5 }), fc.integer({ min: 17, max: 48 }), fc.integer({ min: 8, max: 40 }), fc.integer({ min: 1, max: 2 ** 30 }),
        (batch, heads, t, d, seed) => {
          const n = batch * t * heads * d;
          const q = Float32Array.from({ length: n }, (_, i) => Math.fround(Math.sin(seed + i * 12.9898)));
          const v = Float32Array.from({ length: n }, (_, i) => Math.fround(Math.cos(seed + i * 7.233)));
          // stored [batch, t, heads, d], used as [batch, heads, t, d]
          const at = (x: Float32Array, b: number, h: number, i: number, j: number) => x[((b * t + i) * heads + h) * d + j]!;
          const qh = tensor(q, { runtime: nat, shape: [batch, t, heads, d] }).permute([0, 2, 1, 3]);
          const vh = tensor(v, { runtime: nat, shape: [batch, t, heads, d] }).permute([0, 2, 1, 3]);
          const scores = qh.matmul(vh.transpose()).dataSync(); // [batch, heads, t, t]
          const mixed = qh.matmul(vh.transpose()).matmul(vh).dataSync(); // [batch, heads, t, d]
          for (let b = 0; b < batch; b++)
            for (let h = 0; h < heads; h++)
              for (let i = 0; i < t; i++)
                for (let j = 0; j < t; j++) {
                  let want = 0;
                  let scale = 0;
                  for (let p = 0; p < d; p++) {
                    want += at(q, b, h, i, p) * at(v, b, h, j, p);
                    scale += Math.abs(at(q, b, h, i, p) * at(v, b, h, j, p));
                  }
                  const got = scores[((b * heads + h) * t + i) * t + j]!;
                  expect(Math.abs(got - want), `scores[${b},${h},${i},${j}]`).toBeLessThanOrEqual(1e-5 * scale + 1e-30);
                }
          expect(mixed.length).toBe(batch * heads * t * d);
          // p·v row (b, h, i): Σ_j scores[b,h,i,j]·v[b,h,j,:], with the float32 scores as the left operand
          const b = batch - 1, h = heads - 1, i = t - 1;
          for (let j = 0; j < d; j++) {
            let want = 0;
            let scale = 0;
            for (let p = 0; p < t; p++) {
              const s = scores[((b * heads + h) * t + i) * t + p]!;
              want += s * at(v, b, h, p, j);
              scale += Math.abs(s * at(v, b, h, p, j));
            }
            expect(Math.abs(mixed[((b * heads + h) * t + i) * d + j]! - want), `mixed[${b},${h},${i},${j}]`).toBeLessThanOrEqual(1e-5 * scale + 1e-30);
          }
        },
      ),
      { numRuns: 12 },
    );
  });
});

describe('native matmul with more batch axes than the kernel takes', () => {
  it('runs 9 unmergeable batch axes (reversed) on the TypeScript kernel and matches the native 1-axis result', () => {
    const nat = createRuntime({ backends: [nativeFactory()] });
    const axes = 9;
    const shape = [...Array<number>(axes).fill(2), 3, 4];
    const x = Float32Array.from({ length: 2 ** axes * 12 }, (_, i) => Math.fround(Math.sin(i * 0.37)));
    const reversed = [...Array.from({ length: axes }, (_, i) => axes - 1 - i), axes, axes + 1];
    const view = tensor(x, { runtime: nat, shape }).permute(reversed);
    const got = view.matmul(view.transpose()).dataSync();
    const want = view.contiguous().reshape([2 ** axes, 3, 4]).matmul(view.contiguous().reshape([2 ** axes, 3, 4]).transpose()).dataSync();
    expect(got.length).toBe(want.length);
    got.forEach((g, i) => expect(Math.abs(g - want[i]!)).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(want[i]!))));
  });
});
