import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { binaryOp, reduceAll, reduceLastAxis, unaryOp, type BinaryOpName, type UnaryOpName } from './elementwise.js';
import { NativeArgumentError } from './errors.js';
import { loadNative } from './loader.js';
import { nativeInfo, setNativeIsa } from './runtime.js';

const native = loadNative();

const binaryRef: Record<BinaryOpName, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  max: Math.max,
  min: Math.min,
};

/** float64 references and the accepted error in float32 ulps of the result (exact ops: 0, i.e. correctly rounded). */
const unaryRef: Record<UnaryOpName, { f: (x: number) => number; ulps: number; abs?: number }> = {
  neg: { f: (x) => -x, ulps: 0 },
  abs: { f: Math.abs, ulps: 0 },
  exp: { f: Math.exp, ulps: 4 },
  log: { f: Math.log, ulps: 4 },
  tanh: { f: Math.tanh, ulps: 6, abs: 1e-7 },
  sigmoid: { f: (x) => 1 / (1 + Math.exp(-x)), ulps: 8, abs: 1e-9 },
  relu: { f: (x) => (x > 0 ? x : Number.isNaN(x) ? x : 0), ulps: 0 },
  sqrt: { f: Math.sqrt, ulps: 0 },
  square: { f: (x) => x * x, ulps: 0 },
};

function ulp(v: number): number {
  const a = Math.abs(v);
  if (!Number.isFinite(a)) return 0;
  return a < 2 ** -126 ? 2 ** -149 : 2 ** (Math.floor(Math.log2(a)) - 23);
}

function close(got: number, want: number, ulps: number, abs = 0): boolean {
  const w = Math.fround(want);
  if (Number.isNaN(w)) return Number.isNaN(got);
  if (!Number.isFinite(w)) return got === w;
  return Math.abs(got - w) <= ulps * ulp(w) + abs;
}

const shapes = fc
  .tuple(fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 0, maxLength: 4 }), fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), fc.integer({ min: 0, max: 2 }))
  .map(([full, dropA, dropB, cut]) => {
    // two shapes that broadcast to `full`: some axes set to 1, leading axes possibly removed
    const a = full.map((d, i) => (dropA[i] ? 1 : d));
    const b = full.map((d, i) => (dropB[i] ? 1 : d)).slice(Math.min(cut, full.length));
    return { a, b };
  });

describe.skipIf(!native.ok && process.env['NIBBLE_NATIVE'] === '0')('native elementwise', () => {
  it('binary ops broadcast like NumPy and are correctly rounded (float64 reference rounded to float32)', () => {
    fc.assert(
      fc.property(shapes, fc.constantFrom<BinaryOpName>('add', 'sub', 'mul', 'div', 'max', 'min'), fc.integer(), ({ a: aShape, b: bShape }, op, seed) => {
        const na = aShape.reduce((x, y) => x * y, 1);
        const nb = bShape.reduce((x, y) => x * y, 1);
        const a = Float32Array.from({ length: na }, (_, i) => Math.fround(Math.sin(seed + i) * 10));
        const b = Float32Array.from({ length: nb }, (_, i) => Math.fround(Math.cos(seed - i) * 10));
        const { data, shape } = binaryOp(op, a, aShape, b, bShape);
        const rank = shape.length;
        const idx = (s: number[], coords: number[]) => s.reduce((off, d, i) => off * d + (d === 1 ? 0 : (coords[rank - s.length + i] ?? 0)), 0);
        for (let flat = 0; flat < data.length; flat++) {
          const coords: number[] = [];
          let rem = flat;
          for (let d = rank - 1; d >= 0; d--) {
            coords[d] = rem % (shape[d] ?? 1);
            rem = Math.floor(rem / (shape[d] ?? 1));
          }
          const want = Math.fround(binaryRef[op](a[idx(aShape, coords)] ?? NaN, b[idx(bShape, coords)] ?? NaN));
          expect(data[flat]).toBe(want);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('unary ops match float64 math within documented ulps on every ISA (including tails and special values)', () => {
    const specials = [0, -0, 1, -1, 0.5, 1e-30, -1e-30, 1e-40, 88, -88, 100, -100, 20, -20, 0.6249, 0.6251, Infinity, -Infinity, NaN];
    for (const isa of nativeInfo().supportedIsas as ('avx512' | 'avx2' | 'baseline')[]) {
      setNativeIsa(isa);
      fc.assert(
        fc.property(fc.float32Array({ maxLength: 70, noNaN: false }), fc.constantFrom(...(Object.keys(unaryRef) as UnaryOpName[])), (xs, op) => {
          const x = Float32Array.from([...xs, ...specials]);
          const y = unaryOp(op, x);
          const { f, ulps, abs } = unaryRef[op];
          for (let i = 0; i < x.length; i++) {
            const xv = x[i] ?? NaN;
            // log of a negative is NaN; of a subnormal uses the scaled path: all covered by the reference
            expect(close(y[i] ?? NaN, f(xv), ulps, abs), `${isa} ${op}(${xv}) = ${y[i]}, want ${f(xv)}`).toBe(true);
          }
        }),
        { numRuns: 60 },
      );
    }
    setNativeIsa(nativeInfo().supportedIsas[0] as 'avx512');
  });

  it('reductions over the last axis and over everything match float64 (sum within n·2⁻²⁴·Σ|x|, max exact)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 0, max: 300 }), fc.integer(), (rows, cols, seed) => {
        const x = Float32Array.from({ length: rows * cols }, (_, i) => Math.fround(Math.sin(seed * 3 + i) * 100));
        const sums = reduceLastAxis('sum', x, [rows, cols]);
        const maxes = reduceLastAxis('max', x, [rows, cols]);
        for (let r = 0; r < rows; r++) {
          const row = Array.from(x.subarray(r * cols, (r + 1) * cols));
          const exact = row.reduce((s, v) => s + v, 0);
          const mag = row.reduce((s, v) => s + Math.abs(v), 0);
          expect(Math.abs((sums[r] ?? NaN) - exact)).toBeLessThanOrEqual(cols * 2 ** -24 * mag + 1e-30);
          expect(maxes[r]).toBe(cols === 0 ? -Infinity : Math.max(...row));
        }
      }),
    );
    const big = Float32Array.from({ length: 1 << 20 }, (_, i) => (i % 7) - 3);
    expect(reduceAll('sum', big)).toBe(Array.from(big).reduce((s, v) => s + v, 0));
    expect(reduceAll('max', Float32Array.of(1, NaN, 3))).toBeNaN();
  });

  it('max is NaN wherever in the row the NaN sits (every vector lane, the tail, several rows)', () => {
    for (const cols of [16, 17, 40, 64, 100]) {
      for (let at = 0; at < cols; at++) {
        const x = Float32Array.from({ length: 3 * cols }, (_, i) => Math.fround(Math.sin(i) * 10));
        x[cols + at] = NaN;
        const maxes = reduceLastAxis('max', x, [3, cols]);
        expect(maxes[1], `NaN at ${at} of ${cols}`).toBeNaN();
        expect(maxes[0]).toBe(Math.max(...x.subarray(0, cols)));
        expect(maxes[2]).toBe(Math.max(...x.subarray(2 * cols)));
      }
    }
  });

  it('rejects non-broadcastable shapes and wrong lengths with a NativeArgumentError', () => {
    expect(() => binaryOp('add', new Float32Array(6), [2, 3], new Float32Array(2), [2])).toThrow(
      /binaryOp\(add\): shapes \[2, 3\] and \[2\] do not broadcast \(axis 1: 3 vs 2\)/,
    );
    expect(() => binaryOp('mul', new Float32Array(5), [2, 3], new Float32Array(3), [3])).toThrow(/a has 5 elements, expected 6/);
    expect(() => unaryOp('cosh' as UnaryOpName, new Float32Array(1))).toThrow(NativeArgumentError);
  });
});
