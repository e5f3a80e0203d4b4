import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { NativeArgumentError } from './errors.js';
import { fakeQuant } from './fake-quant.js';
import { loadNative } from './loader.js';
import { setNativeIsa, nativeInfo } from './runtime.js';

const native = loadNative();

/** Round half to even on a double (the quantizers spec's `round`); Math.round would round ties up. */
function roundHalfEven(v: number): number {
  if (!Number.isFinite(v)) return v;
  const f = Math.floor(v);
  const d = v - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/** The spec formula evaluated in JS with float32 rounding at the same two places the kernel rounds. */
function reference(x: number, s: number, z: number, qmin: number, qmax: number): number {
  const q = Math.min(Math.max(roundHalfEven(Math.fround(x / s)) + z, qmin), qmax);
  return Math.fround((q - z) * s);
}

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe.skipIf(!native.ok && process.env['NIBBLE_NATIVE'] === '0')('native fakeQuant', () => {
  it('rounds exact ties half to even (x/s = ±0.5, ±1.5, ±2.5, 3.5 → 0, ±2, ±2, 4)', () => {
    const out = fakeQuant(Float32Array.of(0.5, 1.5, 2.5, 3.5, -0.5, -1.5, -2.5), { scale: 1, zeroPoint: 0, qmin: -128, qmax: 127 });
    expect(Array.from(out)).toEqual([0, 2, 2, 4, 0, -2, -2]);
    // with an odd zero-point the canonical form round(x/s) + z differs from round(x/s + z) (spec §1.1)
    const shifted = fakeQuant(Float32Array.of(0.5), { scale: 1, zeroPoint: 1, qmin: 0, qmax: 15 });
    expect(Array.from(shifted)).toEqual([0]);
  });

  it('is bit-exact against the spec formula per tensor, on every ISA, for random inputs and grids', () => {
    const isas = nativeInfo().supportedIsas as ('avx512' | 'avx2' | 'baseline')[];
    const original = nativeInfo().isa;
    try {
      for (const isa of isas) {
        setNativeIsa(isa);
        fc.assert(
          fc.property(
            fc.float32Array({ noNaN: true, maxLength: 200 }),
            fc.float({ min: Math.fround(1e-6), max: 1e3, noNaN: true, noDefaultInfinity: true }),
            fc.integer({ min: 1, max: 8 }),
            fc.boolean(),
            fc.integer({ min: 0, max: 255 }),
            (x, s, b, symmetric, zSeed) => {
              const qmin = symmetric ? -(2 ** (b - 1)) : 0;
              const qmax = symmetric ? 2 ** (b - 1) - 1 : 2 ** b - 1;
              const z = symmetric ? 0 : zSeed % (qmax + 1);
              const out = fakeQuant(x, { scale: s, zeroPoint: z, qmin, qmax });
              const ref = Float32Array.from(x, (v) => reference(v, s, z, qmin, qmax));
              expect(bits(out)).toEqual(bits(ref));
            },
          ),
          { numRuns: 100 },
        );
      }
    } finally {
      setNativeIsa(original);
    }
  });

  it('is bit-exact per channel (one scale and zero-point per row of axis 0), including ties scaled by s', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 40 }), fc.integer(), (rows, cols, seed) => {
        const scale = Float32Array.from({ length: rows }, (_, r) => Math.fround(0.01 * (1 + ((seed >>> r) & 7))));
        const zero = Float32Array.from({ length: rows }, (_, r) => (seed >>> (r + 3)) & 15);
        // half of the inputs are exact ties k + 0.5 times the row's scale
        const x = Float32Array.from({ length: rows * cols }, (_, i) => {
          const s = scale[Math.floor(i / cols)] ?? 1;
          return i % 2 === 0 ? Math.fround(((i % 17) - 8 + 0.5) * s) : Math.fround(Math.sin(seed + i) * 0.2);
        });
        const out = fakeQuant(x, { scale, zeroPoint: zero, qmin: 0, qmax: 15 });
        const ref = Float32Array.from(x, (v, i) => {
          const r = Math.floor(i / cols);
          return reference(v, scale[r] ?? NaN, zero[r] ?? NaN, 0, 15);
        });
        expect(bits(out)).toEqual(bits(ref));
      }),
      { numRuns: 100 },
    );
  });

  it('keeps NaN, saturates ±Infinity to the clamp bounds, writes into out', () => {
    const out = new Float32Array(3);
    fakeQuant(Float32Array.of(NaN, Infinity, -Infinity), { scale: 0.5, zeroPoint: 0, qmin: -8, qmax: 7 }, out);
    expect(Number.isNaN(out[0])).toBe(true);
    expect([out[1], out[2]]).toEqual([3.5, -4]);
  });

  it('rejects invalid grids and shapes with a NativeArgumentError', () => {
    const x = new Float32Array(6);
    expect(() => fakeQuant(x, { scale: 0, zeroPoint: 0, qmin: -8, qmax: 7 })).toThrow(/fakeQuant: scale\[0\] must be finite and > 0, got 0/);
    expect(() => fakeQuant(x, { scale: 1, zeroPoint: 0.5, qmin: -8, qmax: 7 })).toThrow(/zeroPoint\[0\] must be an integer/);
    expect(() => fakeQuant(x, { scale: new Float32Array(4).fill(1), zeroPoint: new Float32Array(4), qmin: 0, qmax: 7 })).toThrow(
      /x has 6 elements, expected a multiple of the 4 channels/,
    );
    expect(() => fakeQuant(x, { scale: 1, zeroPoint: 0, qmin: 7, qmax: -8 })).toThrow(NativeArgumentError);
    expect(() => fakeQuant(x, { scale: 1, zeroPoint: 0, qmin: -8, qmax: 7 }, new Float32Array(5))).toThrow(/out has 5 elements, expected 6/);
  });
});
