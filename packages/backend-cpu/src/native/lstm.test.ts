import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { loadNative } from './loader.js';
import { lstmCellBackward, lstmCellForward, lstmSequenceBackward, lstmSequenceForward, prepareLstmWeights, type LstmWeights } from './lstm.js';
import { NativeArgumentError } from './errors.js';
import { nativeInfo, setNativeIsa, setNativeThreads } from './runtime.js';

const native = loadNative();

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

interface Problem {
  T: number;
  B: number;
  I: number;
  H: number;
  w: LstmWeights;
  x: Float32Array;
  h0: Float32Array;
  c0: Float32Array;
  dhs: Float32Array;
}

function makeProblem(T: number, B: number, I: number, H: number, seed: number): Problem {
  const next = rng(seed);
  const u = (n: number, scale: number) => Float32Array.from({ length: n }, () => (next() * 2 - 1) * scale);
  return {
    T, B, I, H,
    w: { inputSize: I, hiddenSize: H, wx: u(I * 4 * H, 0.6), wh: u(H * 4 * H, 0.6), bias: u(4 * H, 0.5) },
    x: u(T * B * I, 1), h0: u(B * H, 0.5), c0: u(B * H, 0.5), dhs: u(T * B * H, 1),
  };
}

const sig = (v: number) => 1 / (1 + Math.exp(-v));

/** float64 forward; returns per-step h, c and activated gates. */
function forward64(p: Problem, params: { wx: ArrayLike<number>; wh: ArrayLike<number>; bias: ArrayLike<number> } = { wx: p.w.wx, wh: p.w.wh, bias: p.w.bias ?? [] }) {
  const { T, B, I, H } = p;
  const G = 4 * H;
  const hs: number[] = [];
  const cs: number[] = [];
  const gates: number[] = [];
  let h = Array.from(p.h0);
  let c = Array.from(p.c0);
  for (let t = 0; t < T; t++) {
    const hn: number[] = [];
    const cn: number[] = [];
    for (let b = 0; b < B; b++) {
      const z = Array.from({ length: G }, (_, j) => params.bias[j] ?? 0);
      for (let i = 0; i < I; i++) for (let j = 0; j < G; j++) z[j]! += (p.x[(t * B + b) * I + i] ?? 0) * (params.wx[i * G + j] ?? 0);
      for (let i = 0; i < H; i++) for (let j = 0; j < G; j++) z[j]! += (h[b * H + i] ?? 0) * (params.wh[i * G + j] ?? 0);
      const gi = z.slice(0, H).map(sig);
      const gf = z.slice(H, 2 * H).map(sig);
      const gg = z.slice(2 * H, 3 * H).map(Math.tanh);
      const go = z.slice(3 * H).map(sig);
      for (let j = 0; j < H; j++) {
        const cv = gf[j]! * (c[b * H + j] ?? 0) + gi[j]! * gg[j]!;
        cn.push(cv);
        hn.push(go[j]! * Math.tanh(cv));
      }
      gates.push(...gi, ...gf, ...gg, ...go);
    }
    hs.push(...hn);
    cs.push(...cn);
    h = hn;
    c = cn;
  }
  return { hs, cs, gates };
}

/** Loss L = Σ dhs ⊙ hs, whose gradient w.r.t. hs is dhs. */
function loss64(p: Problem, params: { wx: ArrayLike<number>; wh: ArrayLike<number>; bias: ArrayLike<number> }): number {
  const { hs } = forward64(p, params);
  return hs.reduce((s, v, i) => s + v * (p.dhs[i] ?? 0), 0);
}

function maxRelErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let scale = 1e-3;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i] ?? 0));
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs((got[i] ?? NaN) - (want[i] ?? 0)) / scale);
  return worst;
}

describe.skipIf(!native.ok && process.env['NIBBLE_NATIVE'] === '0')('native LSTM', () => {
  const dims = fc.record({
    T: fc.integer({ min: 1, max: 5 }),
    B: fc.integer({ min: 1, max: 6 }),
    I: fc.integer({ min: 1, max: 19 }),
    H: fc.integer({ min: 1, max: 21 }),
    seed: fc.integer(),
  });

  it('sequence forward matches a float64 reference (h, c, gates within 2e-5 of the largest magnitude)', () => {
    fc.assert(
      fc.property(dims, ({ T, B, I, H, seed }) => {
        const p = makeProblem(T, B, I, H, seed);
        const got = lstmSequenceForward(p.w, p.x, T, B, { h0: p.h0, c0: p.c0 });
        const want = forward64(p);
        expect(maxRelErr(got.hs, want.hs)).toBeLessThan(2e-5);
        expect(maxRelErr(got.cs, want.cs)).toBeLessThan(2e-5);
        expect(maxRelErr(got.gates ?? [], want.gates)).toBeLessThan(2e-5);
      }),
      { numRuns: 40 },
    );
  });

  it('batch ≤ 4 with Wh split over the pool (one packed block of units per thread, uneven at H = 300) matches float64: h, c, gates', () => {
    const threads = nativeInfo().threads;
    try {
      for (const [B, H] of [[1, 256], [1, 300], [3, 300], [4, 256]] as const) {
        const p = makeProblem(3, B, 5, H, B * 1000 + H);
        const want = forward64(p);
        for (const t of [1, 2, 3]) {
          setNativeThreads(t);
          const got = lstmSequenceForward(p.w, p.x, 3, B, { h0: p.h0, c0: p.c0 });
          expect(maxRelErr(got.hs, want.hs), `B ${B} H ${H} threads ${t}`).toBeLessThan(2e-5);
          expect(maxRelErr(got.cs, want.cs), `B ${B} H ${H} threads ${t}`).toBeLessThan(2e-5);
          expect(maxRelErr(got.gates ?? [], want.gates), `B ${B} H ${H} threads ${t}`).toBeLessThan(2e-5);
        }
      }
    } finally {
      setNativeThreads(threads);
    }
  });

  it('prepared weights match float64 on every call, repeat their own bits, and are a copy of the weights', () => {
    fc.assert(
      fc.property(dims, ({ T, B, I, H, seed }) => {
        const p = makeProblem(T, B, I, H, seed);
        const q = makeProblem(T, B, I, H, seed + 1); // a second weight set of the same shape
        const want = forward64(p);
        const wantQ = forward64({ ...q, x: p.x, h0: p.h0, c0: p.c0 });
        const prepared = prepareLstmWeights(p.w);
        const other = prepareLstmWeights(q.w);
        const run = (w: typeof prepared) => lstmSequenceForward(w, p.x, T, B, { h0: p.h0, c0: p.c0 });
        const first = run(prepared);
        expect(maxRelErr(first.hs, want.hs)).toBeLessThan(2e-5);
        expect(maxRelErr(first.gates ?? [], want.gates)).toBeLessThan(2e-5);
        // the other set in between: its packed forms replace the first's, which must not be served to either
        expect(maxRelErr(run(other).hs, wantQ.hs)).toBeLessThan(2e-5);
        p.w.wx.fill(0.25);
        p.w.wh.fill(-0.25);
        const again = run(prepared);
        expect(Array.from(again.hs)).toEqual(Array.from(first.hs));
        expect(Array.from(run(prepared).cs), 'reusing the packed forms').toEqual(Array.from(first.cs));
      }),
      { numRuns: 40 },
    );
  });

  it('prepared weights at batch ≤ 4 on the pool stay right across thread-count and ISA changes', () => {
    const threads = nativeInfo().threads;
    const isa = nativeInfo().isa;
    try {
      for (const [B, H] of [[1, 256], [3, 300]] as const) {
        const p = makeProblem(3, B, 64, H, B * 77 + H);
        const want = forward64(p);
        const prepared = prepareLstmWeights(p.w);
        const check = (what: string) => {
          const got = lstmSequenceForward(prepared, p.x, 3, B, { h0: p.h0, c0: p.c0 });
          expect(maxRelErr(got.hs, want.hs), `B ${B} H ${H} ${what}`).toBeLessThan(2e-5);
          expect(maxRelErr(got.cs, want.cs), `B ${B} H ${H} ${what}`).toBeLessThan(2e-5);
        };
        check('first call');
        setNativeThreads(1);
        check('1 thread');
        setNativeThreads(threads);
        check(`${threads} threads again`);
        for (const other of nativeInfo().supportedIsas.filter((i) => i !== isa)) {
          setNativeIsa(other as typeof isa);
          check(`ISA ${other}`);
          setNativeIsa(isa);
          check(`ISA ${isa} again`);
        }
      }
    } finally {
      setNativeThreads(threads);
      setNativeIsa(isa);
    }
  });

  it('sequence backward matches central finite differences of the float64 forward (relative 1e-3)', () => {
    fc.assert(
      fc.property(dims, ({ T, B, I, H, seed }) => {
        const p = makeProblem(T, B, I, H, seed);
        const fwd = lstmSequenceForward(p.w, p.x, T, B, { h0: p.h0, c0: p.c0 });
        const g = lstmSequenceBackward(p.w, p.x, T, B, { h0: p.h0, c0: p.c0 }, fwd, { dhs: p.dhs });
        const params = { wx: Float64Array.from(p.w.wx), wh: Float64Array.from(p.w.wh), bias: Float64Array.from(p.w.bias ?? []) };
        const eps = 1e-6;
        const next = rng(seed ^ 0x1234);
        const probe = (arr: Float64Array, grad: Float32Array, label: string) => {
          for (let n = 0; n < 4; n++) {
            const j = Math.floor(next() * arr.length);
            const old = arr[j] ?? 0;
            arr[j] = old + eps;
            const up = loss64(p, params);
            arr[j] = old - eps;
            const down = loss64(p, params);
            arr[j] = old;
            const fd = (up - down) / (2 * eps);
            expect(Math.abs((grad[j] ?? NaN) - fd), `${label}[${j}] native ${grad[j]} vs fd ${fd}`).toBeLessThan(1e-3 * (1 + Math.abs(fd)));
          }
        };
        probe(params.wx, g.dwx, 'dwx');
        probe(params.wh, g.dwh, 'dwh');
        probe(params.bias, g.db, 'db');
        // inputs and initial state
        const xs = Float64Array.from(p.x);
        const probeInput = (arr: Float32Array, grad: Float32Array, label: string) => {
          for (let n = 0; n < 3; n++) {
            const j = Math.floor(next() * arr.length);
            const old = arr[j] ?? 0;
            arr[j] = old + 1e-3;
            const up = loss64(p, params);
            arr[j] = old - 1e-3;
            const down = loss64(p, params);
            arr[j] = old;
            // float32 storage of the perturbed input limits the difference quotient to ~1e-4 relative
            const fd = (up - down) / (Math.fround(old + 1e-3) - Math.fround(old - 1e-3));
            expect(Math.abs((grad[j] ?? NaN) - fd), `${label}[${j}] native ${grad[j]} vs fd ${fd}`).toBeLessThan(2e-3 * (1 + Math.abs(fd)));
          }
        };
        probeInput(p.x, g.dx, 'dx');
        probeInput(p.h0, g.dh0, 'dh0');
        probeInput(p.c0, g.dc0, 'dc0');
        expect(xs.length).toBe(p.x.length);
      }),
      { numRuns: 15 },
    );
  });

  it('cell forward/backward equal the sequence functions with T = 1 and chain over steps', () => {
    const p = makeProblem(2, 3, 5, 7, 42);
    const { I, H, B } = p;
    const seq = lstmSequenceForward(p.w, p.x, 2, B, { h0: p.h0, c0: p.c0 });
    const s1 = lstmCellForward(p.w, p.x.subarray(0, B * I), B, { h0: p.h0, c0: p.c0 });
    const s2 = lstmCellForward(p.w, p.x.subarray(B * I), B, { h0: s1.h, c0: s1.c });
    // equal up to summation order (the sequence runs one [T·B, I] input projection, the cell a [B, I] one)
    expect(maxRelErr(s2.h, seq.hs.subarray(B * H))).toBeLessThan(1e-6);
    const dh = p.dhs.subarray(0, B * H);
    const g = lstmCellBackward(p.w, p.x.subarray(0, B * I), B, { h0: p.h0, c0: p.c0 }, s1, { dh });
    const gs = lstmSequenceBackward(p.w, p.x.subarray(0, B * I), 1, B, { h0: p.h0, c0: p.c0 }, { hs: s1.h, cs: s1.c, gates: s1.gates }, { dhs: dh });
    expect(Array.from(g.dwh)).toEqual(Array.from(gs.dwh));
    expect(Array.from(g.dhPrev)).toEqual(Array.from(gs.dh0));
  });

  it('rejects mismatched shapes before running native code', () => {
    const p = makeProblem(2, 1, 3, 4, 1);
    expect(() => lstmSequenceForward(p.w, p.x, 3, 1)).toThrow(/lstmSequenceForward: x has 6 elements, expected 9 \(\[3, 1, 3\]\)/);
    expect(() => lstmSequenceForward({ ...p.w, wh: new Float32Array(3) }, p.x, 2, 1)).toThrow(NativeArgumentError);
    const fwd = lstmSequenceForward(p.w, p.x, 2, 1, {}, { saveForBackward: false });
    expect(() => lstmSequenceBackward(p.w, p.x, 2, 1, {}, fwd, {})).toThrow(/forward.gates is missing/);
    expect(() => prepareLstmWeights({ ...p.w, wx: new Float32Array(5) })).toThrow(/prepareLstmWeights: weights.wx has 5 elements/);
    expect(() => lstmSequenceForward(prepareLstmWeights(p.w), p.x, 3, 1)).toThrow(/lstmSequenceForward: x has 6 elements/);
    const forged = { inputSize: 3, hiddenSize: 4 } as unknown as Parameters<typeof lstmSequenceForward>[0];
    expect(() => lstmSequenceForward(forged, p.x, 2, 1)).toThrow(/weights.wx is missing \(and the weights do not come from prepareLstmWeights\)/);
  });
});
