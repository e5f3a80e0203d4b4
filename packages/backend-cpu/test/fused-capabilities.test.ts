// The fused softmax (forward and the softmaxGrad backward), layerNorm (forward and the layerNormGrad backward) and relu capabilities of the TypeScript and the
// native backend: against a float64 reference, against core's primitive lowering (values and every gradient), and
// float64 central differences.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { CAPABILITY_LIST, createRuntime, layerNorm, matmul, matmulBias, relu, type Runtime, softmax, type Tensor, tensor, valueAndGrad, vjpRules } from '@nibble/core';
import { firstMismatch, gradcheck, reference as ref } from '@nibble/core/testing';
import { cpuFactory } from '../src/index.ts';
import { cpuBackendsUnderTest, itRunsTheNativeBackend } from './cpu-backends.ts';
import { native, nativeFactory } from '../src/node.ts';

const lowered = createRuntime({ backends: [cpuFactory({ disable: CAPABILITY_LIST })] });
const reference = createRuntime({ backends: [cpuFactory({ precision: 'float64' })] });

/** Row widths around the SIMD widths (8, 16) and their remainders, and the transformer's 64 and 128. */
const width = fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constantFrom(64, 128, 129));
const vals = (n: number, m = 3) => fc.array(fc.double({ min: -m, max: m, noNaN: true }), { minLength: n, maxLength: n });
const lnCase = fc
  .record({ rows: fc.integer({ min: 1, max: 40 }), d: width, eps: fc.constantFrom(1e-5, 1e-2) })
  .chain(({ rows, d, eps }) => fc.record({ rows: fc.constant(rows), d: fc.constant(d), eps: fc.constant(eps), x: vals(rows * d), gamma: vals(d, 2), beta: vals(d, 2), gy: vals(rows * d) }));
type LnCase = { rows: number; d: number; eps: number; x: number[]; gamma: number[]; beta: number[]; gy: number[] };

/** A deterministic case of the transformer's size: enough rows for several chunks on the pool. */
function bigCase(rows: number, d: number): LnCase {
  const v = (n: number, s: number) => Array.from({ length: n }, (_, i) => Math.sin(s + i * 0.37) * 2 + Math.cos(i * 0.011));
  return { rows, d, eps: 1e-5, x: v(rows * d, 1), gamma: v(d, 2), beta: v(d, 3), gy: v(rows * d, 4) };
}

function close(got: ArrayLike<number>, want: ArrayLike<number>, rtol: number, what: string): void {
  const msg = firstMismatch(got, want, { rtol, atol: rtol });
  expect(msg, `${what}: ${msg}`).toBeUndefined();
}

/** layerNorm(x)·gy summed: its gradients are gX, gGamma and gBeta of the backward kernel with upstream gy. */
function lnRun(rt: Runtime, c: LnCase): Float32Array[] {
  const x = tensor(c.x, { runtime: rt, shape: [c.rows, c.d] });
  const gamma = tensor(c.gamma, { runtime: rt });
  const beta = tensor(c.beta, { runtime: rt });
  const gy = tensor(c.gy, { runtime: rt, shape: [c.rows, c.d] });
  const y = layerNorm(x, gamma, beta, c.eps);
  const { value, grads } = valueAndGrad((a: Tensor, g: Tensor, b: Tensor) => layerNorm(a, g, b, c.eps).mul(gy).sum())(x, gamma, beta);
  const out = [y, ...grads].map((t) => t.dataSync() as Float32Array);
  [x, gamma, beta, gy, y, value, ...grads].forEach((t) => t.dispose());
  return out;
}

const backends = cpuBackendsUnderTest;
itRunsTheNativeBackend();

describe.each(backends)('softmax and layerNorm capabilities: %s', (_, factory) => {
  const fused = createRuntime({ backends: [factory] });
  afterAll(() => fused[Symbol.dispose]());

  it('declares the capabilities (so the fused kernels, not the lowering, are what runs)', () => {
    for (const c of ['matmulBias', 'softmax', 'softmaxGrad', 'layerNorm', 'layerNormGrad', 'relu', 'reluGrad'] as const) expect(fused.backend().capabilities.has(c)).toBe(true);
  });

  it('layerNorm forward and all three gradients match the float64 reference and the primitive lowering', () => {
    fc.assert(
      fc.property(lnCase, (c) => {
        const [y, gx, gGamma, gBeta] = lnRun(fused, c);
        const want = ref.layerNormRef({ shape: [c.rows, c.d], data: Float64Array.from(c.x, Math.fround) }, c.gamma.map(Math.fround), c.beta.map(Math.fround), c.eps);
        expect(firstMismatch(y!, want.out.data, { rtol: 2e-6, atol: 1e-6 }, want.scale)).toBeUndefined();
        const low = lnRun(lowered, c);
        close(gx!, low[1]!, 2e-4, 'gX');
        close(gGamma!, low[2]!, 2e-4, 'gGamma');
        close(gBeta!, low[3]!, 1e-5, 'gBeta');
      }),
      { numRuns: 40 },
    );
  });

  it('layerNorm matches the lowering at the transformer size (several row chunks on the pool)', () => {
    for (const [rows, d] of [[1024, 128], [300, 37]] as const) {
      const c = bigCase(rows, d);
      const got = lnRun(fused, c);
      const low = lnRun(lowered, c);
      ['y', 'gX', 'gGamma', 'gBeta'].forEach((what, i) => close(got[i]!, low[i]!, 2e-4, `${what} [${rows},${d}]`));
    }
  });

  it('layerNorm gradcheck (float64 central differences)', () => {
    fc.assert(
      fc.property(lnCase.filter((c) => c.rows * c.d <= 60), (c) => {
        const r = gradcheck(
          (x, g, b) => layerNorm(x!, g!, b!, c.eps).mul(tensor(c.gy, { runtime: x!.runtime, shape: [c.rows, c.d] })).sum(),
          [{ shape: [c.rows, c.d], values: c.x }, { shape: [c.d], values: c.gamma }, { shape: [c.d], values: c.beta }],
          { runtime: fused, reference, h: 1e-5 },
        );
        expect(r.ok, r.message).toBe(true);
      }),
      { numRuns: 30 },
    );
  });

  it('softmax along every axis matches the float64 reference; its gradient matches the lowering', () => {
    const arb = fc
      .tuple(fc.integer({ min: 1, max: 5 }), width, fc.integer({ min: 1, max: 4 }))
      .chain(([a, b, c]) => fc.tuple(fc.constant([a, b, c]), vals(a * b * c, 20), vals(a * b * c), fc.integer({ min: 0, max: 2 })));
    fc.assert(
      fc.property(arb, ([shape, x, gy, axis]) => {
        const run = (rt: Runtime) => {
          const xt = tensor(x, { runtime: rt, shape });
          const w = tensor(gy, { runtime: rt, shape });
          const { value, grads } = valueAndGrad((a: Tensor) => softmax(a, axis).mul(w).sum())(xt);
          const y = softmax(xt, axis);
          const out = [y.dataSync(), grads[0]!.dataSync()];
          [xt, w, value, y, ...grads].forEach((t) => t.dispose());
          return out;
        };
        const [y, g] = run(fused);
        expect(firstMismatch(y!, ref.softmaxRef({ shape, data: Float64Array.from(x, Math.fround) }, axis).data, { rtol: 1e-5, atol: 1e-7 })).toBeUndefined();
        close(g!, run(lowered)[1]!, 1e-4, 'gX');
      }),
      { numRuns: 40 },
    );
  });

  it('softmax gradient along every axis: gradcheck (float64 central differences)', () => {
    const arb = fc
      .tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 3 }))
      .chain(([a, b, c]) => fc.tuple(fc.constant([a, b, c]), vals(a * b * c, 4), vals(a * b * c), fc.integer({ min: 0, max: 2 })));
    fc.assert(
      fc.property(arb, ([shape, x, gy, axis]) => {
        const r = gradcheck((a) => softmax(a!, axis).mul(tensor(gy, { runtime: a!.runtime, shape })).sum(), [{ shape, values: x }], { runtime: fused, reference, h: 1e-5 });
        expect(r.ok, r.message).toBe(true);
      }),
      { numRuns: 30 },
    );
  });

  it('softmax gradient at the attention scores size (rows of 64 and 129 on the pool) matches the float64 formula', () => {
    for (const shape of [[16, 4, 64, 64], [40, 129]]) {
      const n = shape.reduce((a, b) => a * b, 1);
      const w = shape.at(-1)!;
      const x = Array.from({ length: n }, (_, i) => Math.sin(i * 0.013) * 6);
      const gy = Array.from({ length: n }, (_, i) => Math.cos(i * 0.7) * 2);
      const xt = tensor(x, { runtime: fused, shape });
      const gt = tensor(gy, { runtime: fused, shape });
      const { value, grads } = valueAndGrad((a: Tensor) => softmax(a, -1).mul(gt).sum())(xt);
      const got = grads[0]!.dataSync();
      const y = ref.softmaxRef({ shape, data: Float64Array.from(x, Math.fround) }, shape.length - 1).data;
      const want = new Float64Array(n);
      for (let r = 0; r < n / w; r++) {
        let s = 0;
        for (let j = 0; j < w; j++) s += Math.fround(gy[r * w + j]!) * y[r * w + j]!;
        for (let j = 0; j < w; j++) want[r * w + j] = y[r * w + j]! * (Math.fround(gy[r * w + j]!) - s);
      }
      expect(firstMismatch(got, want, { rtol: 1e-4, atol: 1e-6 })).toBeUndefined();
      [xt, gt, value, ...grads].forEach((t) => t.dispose());
    }
  });

  it('the softmaxGrad rule (second order) matches float64 central differences of y·(g − Σ g·y)', () => {
    const arb = fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 7 })).chain(([rows, n]) =>
      fc.tuple(fc.constant([rows, n]), fc.array(fc.double({ min: 0.05, max: 1, noNaN: true }), { minLength: rows * n, maxLength: rows * n }), vals(rows * n), vals(rows * n), fc.integer({ min: 0, max: 1 })),
    );
    fc.assert(
      fc.property(arb, ([shape, yv, gv, up, axis]) => {
        const [rows, n] = shape as [number, number];
        const at = (i: number, j: number) => (axis === 1 ? i * n + j : j * n + i); // element j of line i along `axis`
        const lines = axis === 1 ? rows : n;
        const len = axis === 1 ? n : rows;
        // F(y, g) = Σ up·y·(g − Σ_line g·y) in float64
        const F = (y: readonly number[], g: readonly number[]): number => {
          let total = 0;
          for (let i = 0; i < lines; i++) {
            let s = 0;
            for (let j = 0; j < len; j++) s += g[at(i, j)]! * y[at(i, j)]!;
            for (let j = 0; j < len; j++) total += up[at(i, j)]! * y[at(i, j)]! * (g[at(i, j)]! - s);
          }
          return total;
        };
        const [y32, g32, up32] = [yv, gv, up].map((v) => Array.from(v, Math.fround)) as [number[], number[], number[]];
        const [yt, gt, ut] = [y32, g32, up32].map((v) => tensor(v, { runtime: fused, shape }));
        const grads = vjpRules.softmaxGrad({ inputs: [yt!, gt!], output: yt!, params: { axis } }, ut!);
        const h = 1e-6;
        [y32, g32].forEach((base, k) => {
          const got = grads[k]!.dataSync();
          for (let e = 0; e < base.length; e++) {
            const plus = base.slice();
            const minus = base.slice();
            plus[e]! += h;
            minus[e]! -= h;
            const numeric = k === 0 ? (F(plus, g32) - F(minus, g32)) / (2 * h) : (F(y32, plus) - F(y32, minus)) / (2 * h);
            expect(Math.abs(got[e]! - numeric), `${k === 0 ? 'gY' : 'gG'}[${e}] = ${got[e]} vs ${numeric}`).toBeLessThan(1e-4 + 1e-4 * Math.abs(numeric));
          }
        });
        [yt, gt, ut, ...grads].forEach((t) => t?.dispose());
      }),
      { numRuns: 40 },
    );
  });

  it('softmax of the attention scores size: rows sum to 1 and match the reference', () => {
    const shape = [16, 4, 64, 64];
    const n = shape.reduce((a, b) => a * b, 1);
    const x = Array.from({ length: n }, (_, i) => Math.sin(i * 0.013) * 6);
    const y = softmax(tensor(x, { runtime: fused, shape }), -1).dataSync() as Float32Array;
    expect(firstMismatch(y, ref.softmaxRef({ shape, data: Float64Array.from(x, Math.fround) }, 3).data, { rtol: 1e-5, atol: 1e-7 })).toBeUndefined();
    for (let r = 0; r < n / 64; r += 97) expect(Math.abs(y.subarray(r * 64, (r + 1) * 64).reduce((a: number, b: number) => a + b, 0) - 1)).toBeLessThan(1e-5);
  });

  it('matmulBias equals matmul(a, b).add(bias) bit for bit on every product path, and its gradients match', () => {
    const v = (n: number, s: number) => Array.from({ length: n }, (_, i) => Math.sin(s + i * 0.37) * 2);
    // [batch..., m, k] · [batch..., k, n]: batch 1 (m ≤ 4), unpacked small and threaded, packed, attention-like batches,
    // a transposed B, and K = 0
    const cases: { a: number[]; b: number[]; transposeB?: boolean }[] = [
      { a: [3, 40], b: [40, 50] }, { a: [20, 30], b: [30, 70] }, { a: [1024, 128], b: [128, 128] },
      { a: [300, 700], b: [700, 600] }, { a: [16, 4, 64, 32], b: [16, 4, 32, 64] }, { a: [200, 64], b: [96, 64], transposeB: true },
      { a: [5, 0], b: [0, 7] },
    ];
    for (const c of cases) {
      const n = c.transposeB ? c.b.at(-2)! : c.b.at(-1)!;
      const size = (s: number[]) => s.reduce((x, y) => x * y, 1);
      const a = tensor(v(size(c.a), 1), { runtime: fused, shape: c.a });
      const b0 = tensor(v(size(c.b), 2), { runtime: fused, shape: c.b });
      const b = c.transposeB ? b0.transpose() : b0;
      const bias = tensor(v(n, 3), { runtime: fused });
      const got = matmulBias(a, b, bias).dataSync();
      const want = matmul(a, b).add(bias).dataSync();
      expect(Array.from(got), `a ${c.a.join('x')} · b ${c.b.join('x')}${c.transposeB ? 'ᵀ' : ''}`).toEqual(Array.from(want));
      [a, b0, bias].forEach((t) => t.dispose());
    }
    // gradients against the composite's: a, b, and bias = the output gradient summed over all rows
    const a = tensor(v(6 * 5, 4), { runtime: fused, shape: [2, 3, 5] });
    const b = tensor(v(5 * 4, 5), { runtime: fused, shape: [5, 4] });
    const bias = tensor(v(4, 6), { runtime: fused });
    const w = tensor(v(2 * 3 * 4, 7), { runtime: fused, shape: [2, 3, 4] });
    const fusedGrads = valueAndGrad((x: Tensor, y: Tensor, z: Tensor) => matmulBias(x, y, z).mul(w).sum())(a, b, bias).grads;
    const plainGrads = valueAndGrad((x: Tensor, y: Tensor, z: Tensor) => matmul(x, y).add(z).mul(w).sum())(a, b, bias).grads;
    fusedGrads.forEach((g, i) => close(g.dataSync(), plainGrads[i]!.dataSync(), 1e-6, `gradient ${i}`));
    const wv = w.dataSync();
    for (let j = 0; j < 4; j++) expect(fusedGrads[2]!.dataSync()[j]).toBeCloseTo([0, 1, 2, 3, 4, 5].reduce((s, r) => s + wv[r * 4 + j]!, 0), 5);
  });

  it('matmulBias gradcheck (float64 central differences)', () => {
    const r = gradcheck(
      (x, y, z) => matmulBias(x!, y!, z!).square().sum(),
      [{ shape: [3, 4], values: [0.1, -0.4, 0.7, 0.2, -0.3, 0.5, 0.9, -0.8, 0.6, 0.05, -0.2, 0.4] }, { shape: [4, 2], values: [0.3, -0.1, 0.8, 0.2, -0.6, 0.4, 0.1, -0.9] }, { shape: [2], values: [0.25, -0.5] }],
      { runtime: fused, reference, h: 1e-5 },
    );
    expect(r.ok, r.message).toBe(true);
  });

  it('relu and its gradient above the native size threshold, exactly (zeros, −0, NaN, ±Inf included)', () => {
    const shape = [64, 129];
    const n = 64 * 129;
    const special = [0, -0, NaN, Infinity, -Infinity];
    const x = Array.from({ length: n }, (_, i) => (i % 7 === 0 ? special[(i / 7) % 5]! : Math.sin(i * 0.7) * 3));
    const w = Array.from({ length: n }, (_, i) => Math.cos(i * 0.3) * 2);
    const xt = tensor(x, { runtime: fused, shape });
    const wt = tensor(w, { runtime: fused, shape });
    const y = relu(xt).dataSync();
    const { value, grads } = valueAndGrad((a: Tensor) => relu(a).mul(wt).sum())(xt);
    const g = grads[0]!.dataSync();
    for (let i = 0; i < n; i++) {
      const xi = Math.fround(x[i]!);
      expect(y[i], `relu element ${i} of ${xi}`).toBe(Number.isNaN(xi) ? NaN : xi > 0 ? xi : 0);
      expect(g[i], `gradient element ${i} at ${xi}`).toBe(Math.fround(Math.fround(w[i]!) * (xi > 0 ? 1 : xi === 0 ? 0.5 : 0)));
    }
    [xt, wt, value, ...grads].forEach((t) => t.dispose());
  });

  it('rejects a gamma of the wrong length naming it and the expected shape', () => {
    const x = tensor(new Array(6).fill(1), { runtime: fused, shape: [2, 3] });
    const g = tensor([1, 1], { runtime: fused });
    const b = tensor([0, 0, 0], { runtime: fused });
    expect(() => layerNorm(x, g, b)).toThrow(/gamma has shape \[2\]; expected \[3\]/);
    expect(() => layerNorm(x, b, b, -1)).toThrow(/eps -1; expected a finite number ≥ 0/);
    [x, g, b].forEach((t) => t.dispose());
  });
});

it('native layerNormGrad column sums do not depend on the thread count (bit for bit)', () => {
  const rt = createRuntime({ backends: [nativeFactory({ name: 'cpu-native-threads' })] });
  const c = bigCase(1000, 128);
  const initial = native.nativeInfo().threads;
  native.setNativeThreads(2);
  const two = lnRun(rt, c);
  native.setNativeThreads(1);
  try {
    const one = lnRun(rt, c);
    two.forEach((v, i) => expect(Array.from(one[i]!)).toEqual(Array.from(v)));
  } finally {
    native.setNativeThreads(initial);
  }
});
