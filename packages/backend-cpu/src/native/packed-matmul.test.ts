import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { reference as ref } from '@nibble/core/testing';

import { loadNative } from './loader.js';
import { packInt4, unpackInt4 } from './pack-int4.js';
import { int4Matmul, int8Matmul, pqMatmul, type QuantizedRows } from './packed-matmul.js';
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

/**
 * float64 reference of x·dequant(W)ᵀ. Tolerance: fp32 summation error ≤ 2·k·2⁻²⁴·Σ|x|(|code|+|z|)·s — the kernel
 * subtracts the zero-point term z·s·Σx separately, so the bound uses |code| + |z| rather than |code − z|.
 */
function checkAgainstReference(x: Float32Array, m: number, w: QuantizedRows, code: (r: number, k: number) => number, y: Float32Array): void {
  const { outFeatures: n, inFeatures: k } = w;
  const { out, scale } = ref.intRowsMatmulRef(x, m, code, n, k, w.groupSize ?? k, w.scale, w.zeroPoint);
  out.forEach((exact, i) => {
    const got = y[i] ?? NaN;
    // k terms plus a few roundings for the group scale, the lane combination and the final sum
    const bound = 2 * (k + 8) * 2 ** -24 * scale[i]! + 1e-30;
    if (!(Math.abs(got - exact) <= bound)) throw new Error(`y[${Math.floor(i / n)},${i % n}] = ${got}, reference ${exact}, bound ${bound}`);
  });
}

/** Random int4 weights (codes, scales, optional zero-points) and activations for the K % 128 kernel's tests. */
function randomInt4Case(next: () => number, m: number, n: number, k: number, groupSize: number | undefined, withZero: boolean, signed: boolean) {
  const params = groupSize === undefined ? n : n * Math.ceil(k / groupSize);
  const scale = Float32Array.from({ length: params }, () => Math.fround(0.001 + next() * 0.1));
  const zeroPoint = withZero ? Float32Array.from({ length: params }, () => Math.floor(next() * 16)) : undefined;
  const x = Float32Array.from({ length: m * k }, () => next() * 2 - 1);
  const shape = { outFeatures: n, inFeatures: k, scale, ...(zeroPoint === undefined ? {} : { zeroPoint }), ...(groupSize === undefined ? {} : { groupSize }) };
  const c4 = Array.from({ length: n * k }, () => Math.floor(next() * 16) - (signed ? 8 : 0));
  return { x, shape, c4 };
}

const cases = fc.record({
  m: fc.integer({ min: 1, max: 6 }),
  n: fc.integer({ min: 1, max: 40 }),
  k: fc.oneof(fc.integer({ min: 1, max: 150 }), fc.constantFrom(1, 2, 31, 32, 33, 63, 64, 65, 96, 127)),
  grouped: fc.boolean(),
  groupMultiple: fc.integer({ min: 1, max: 2 }),
  withZero: fc.boolean(),
  signed: fc.boolean(),
  seed: fc.integer(),
});

describe.skipIf(!native.ok && process.env['NIBBLE_NATIVE'] === '0')('native packed matmuls', () => {
  const isas = native.ok ? (native.info.supportedIsas as ('avx512' | 'avx2' | 'baseline')[]) : [];

  it('packInt4 stores low nibble first and round-trips signed and unsigned codes', () => {
    expect(Array.from(packInt4([1, -2, 3], 1, 3, true))).toEqual([0xe1, 0x03]);
    expect(Array.from(packInt4([15, 0, 7, 8], 2, 2, false))).toEqual([0x0f, 0x87]);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 9 }), fc.boolean(), fc.integer(), (rows, cols, signed, seed) => {
        const next = rng(seed);
        const codes = Array.from({ length: rows * cols }, () => Math.floor(next() * 16) - (signed ? 8 : 0));
        expect(Array.from(unpackInt4(packInt4(codes, rows, cols, signed), rows, cols, signed))).toEqual(codes);
      }),
    );
  });

  it('decodes int8 and int4 codes bit-exactly (x = identity, scale 1: y is Wᵀ)', () => {
    for (const isa of isas) {
      setNativeIsa(isa);
      for (const k of [77, 256]) {
      const n = 9;
      const next = rng(k);
      const eye = new Float32Array(k * k);
      for (let i = 0; i < k; i++) eye[i * k + i] = 1;
      const ones = new Float32Array(n).fill(1);
      const c8 = Int8Array.from({ length: n * k }, () => Math.floor(next() * 256) - 128);
      const y8 = int8Matmul(eye, k, { codes: c8, outFeatures: n, inFeatures: k, scale: ones });
      for (const signed of [true, false]) {
        const c4 = Array.from({ length: n * k }, () => Math.floor(next() * 16) - (signed ? 8 : 0));
        const y4 = int4Matmul(eye, k, { codes: packInt4(c4, n, k, signed), signed, outFeatures: n, inFeatures: k, scale: ones });
        for (let p = 0; p < k; p++)
          for (let r = 0; r < n; r++) {
            expect(y4[p * n + r], `${isa} int4 signed=${signed} [${r},${p}]`).toBe(c4[r * k + p]);
            expect(y8[p * n + r], `${isa} int8 [${r},${p}]`).toBe(c8[r * k + p]);
          }
      }
      }
    }
    setNativeIsa(nativeInfo().supportedIsas[0] as 'avx512');
  });

  it('int8 and int4 matmuls match a float64 reference (per-row or group scales, zero-points, odd K, M > 4)', () => {
    for (const isa of isas) {
      setNativeIsa(isa);
      fc.assert(
        fc.property(cases, ({ m, n, k, grouped, groupMultiple, withZero, signed, seed }) => {
          const next = rng(seed);
          const groupSize = grouped ? 32 * groupMultiple : undefined;
          const params = groupSize === undefined ? n : n * Math.ceil(k / groupSize);
          const scale = Float32Array.from({ length: params }, () => Math.fround(0.001 + next() * 0.1));
          const zeroPoint = withZero ? Float32Array.from({ length: params }, () => Math.floor(next() * 16)) : undefined;
          const x = Float32Array.from({ length: m * k }, () => next() * 2 - 1);
          const shape = { outFeatures: n, inFeatures: k, scale, ...(zeroPoint === undefined ? {} : { zeroPoint }), ...(groupSize === undefined ? {} : { groupSize }) };
          const c8 = Int8Array.from({ length: n * k }, () => Math.floor(next() * 256) - 128);
          checkAgainstReference(x, m, shape, (r, p) => c8[r * k + p] ?? NaN, int8Matmul(x, m, { ...shape, codes: c8 }));
          const c4 = Array.from({ length: n * k }, () => Math.floor(next() * 16) - (signed ? 8 : 0));
          const y4 = int4Matmul(x, m, { ...shape, codes: packInt4(c4, n, k, signed), signed });
          checkAgainstReference(x, m, shape, (r, p) => c4[r * k + p] ?? NaN, y4);
        }),
        { numRuns: 60 },
      );
    }
    setNativeIsa(nativeInfo().supportedIsas[0] as 'avx512');
  });

  it('int4 with K a multiple of 128 (the AVX-512 nibble-permute kernel) matches float64: groups 32–128 or whole rows, zero-points, M up to 9', () => {
    const wide = fc.record({
      m: fc.integer({ min: 1, max: 9 }),
      n: fc.integer({ min: 1, max: 20 }),
      k: fc.constantFrom(128, 256, 384, 512),
      groupSize: fc.constantFrom(32, 64, 128, undefined),
      withZero: fc.boolean(),
      signed: fc.boolean(),
      seed: fc.integer(),
    });
    for (const isa of isas) {
      setNativeIsa(isa);
      fc.assert(
        fc.property(wide, ({ m, n, k, groupSize, withZero, signed, seed }) => {
          const { x, shape, c4 } = randomInt4Case(rng(seed), m, n, k, groupSize, withZero, signed);
          checkAgainstReference(x, m, shape, (r, p) => c4[r * k + p] ?? NaN, int4Matmul(x, m, { ...shape, codes: packInt4(c4, n, k, signed), signed }));
        }),
        { numRuns: 40 },
      );
    }
    setNativeIsa(nativeInfo().supportedIsas[0] as 'avx512');
  });

  it('int4 results do not depend on where the codes start in memory (every byte offset within a cache line)', () => {
    // The AVX-512 kernel reads codes that start 4·j bytes past a cache line with aligned loads joined in registers,
    // and the row's first and last loads masked; other offsets take unaligned loads. Both must give the same bits.
    const placed = fc.record({
      n: fc.integer({ min: 1, max: 9 }),
      k: fc.constantFrom(128, 256, 512),
      groupSize: fc.constantFrom(32, 64, undefined),
      withZero: fc.boolean(),
      signed: fc.boolean(),
      offset: fc.integer({ min: 0, max: 63 }),
      seed: fc.integer(),
    });
    for (const isa of isas) {
      setNativeIsa(isa);
      fc.assert(
        fc.property(placed, ({ n, k, groupSize, withZero, signed, offset, seed }) => {
          const { x, shape, c4 } = randomInt4Case(rng(seed), 2, n, k, groupSize, withZero, signed);
          const codes = packInt4(c4, n, k, signed);
          // the codes surrounded by bytes that would change the result if the kernel read them as codes
          const host = new Uint8Array(codes.length + 128).fill(0x77);
          host.set(codes, offset);
          const moved = int4Matmul(x, 2, { ...shape, codes: host.subarray(offset, offset + codes.length), signed });
          const fresh = int4Matmul(x, 2, { ...shape, codes: codes.slice(), signed });
          expect(Array.from(moved)).toEqual(Array.from(fresh));
          checkAgainstReference(x, 2, shape, (r, p) => c4[r * k + p] ?? NaN, moved);
        }),
        { numRuns: 60 },
      );
    }
    setNativeIsa(nativeInfo().supportedIsas[0] as 'avx512');
  });

  it('threads split output rows without changing results (4096-wide int4 matvec, 1 vs 2 threads)', () => {
    const n = 512;
    const k = 4096;
    const next = rng(3);
    const codes = Uint8Array.from({ length: (n * k) / 2 }, () => Math.floor(next() * 256));
    const w = { codes, signed: true, outFeatures: n, inFeatures: k, scale: new Float32Array((n * k) / 32).fill(0.01), groupSize: 32 };
    const x = Float32Array.from({ length: k }, () => next() - 0.5);
    const before = nativeInfo().threads;
    setNativeThreads(1);
    const one = int4Matmul(x, 1, w);
    setNativeThreads(2);
    const two = int4Matmul(x, 1, w);
    setNativeThreads(before);
    expect(Array.from(two)).toEqual(Array.from(one));
  });

  it('PQ lookup matmul matches a float64 reference of x·decode(codes)ᵀ', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 30 }),
        fc.constantFrom(1, 4, 8, 9),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 256 }),
        fc.integer(),
        (m, n, d, subs, centroids, seed) => {
          const next = rng(seed);
          const k = d * subs;
          const codebook = Float32Array.from({ length: centroids * d }, () => next() * 2 - 1);
          const codes = Uint8Array.from({ length: n * subs }, () => Math.floor(next() * centroids));
          const x = Float32Array.from({ length: m * k }, () => next() * 2 - 1);
          const y = pqMatmul(x, m, { codebook, centroids, subvectorSize: d, codes, outFeatures: n, inFeatures: k });
          for (let i = 0; i < m; i++)
            for (let r = 0; r < n; r++) {
              let exact = 0;
              let magnitude = 0;
              for (let s = 0; s < subs; s++)
                for (let j = 0; j < d; j++) {
                  const prod = (x[i * k + s * d + j] ?? NaN) * (codebook[(codes[r * subs + s] ?? 0) * d + j] ?? NaN);
                  exact += prod;
                  magnitude += Math.abs(prod);
                }
              expect(Math.abs((y[i * n + r] ?? NaN) - exact)).toBeLessThanOrEqual(2 * k * 2 ** -24 * magnitude + 1e-30);
            }
        },
      ),
      { numRuns: 80 },
    );
  });

  it('rejects mismatched packed shapes naming given and expected', () => {
    const scale = new Float32Array(2).fill(1);
    expect(() => int4Matmul(new Float32Array(5), 1, { codes: new Uint8Array(5), signed: true, outFeatures: 2, inFeatures: 5, scale })).toThrow(
      /int4Matmul: weights.codes has 5 elements, expected 6 \(2 rows × ⌈5\/2⌉ bytes\)/,
    );
    expect(() => int4Matmul(new Float32Array(64), 1, { codes: new Uint8Array(64), signed: true, outFeatures: 2, inFeatures: 64, scale: new Float32Array(8), groupSize: 16 })).toThrow(
      /groupSize must be a multiple of 32, got 16/,
    );
    expect(() => int8Matmul(new Float32Array(4), 1, { codes: new Int8Array(8), outFeatures: 2, inFeatures: 4, scale: new Float32Array(3) })).toThrow(
      /weights.scale has 3 elements, expected 2/,
    );
    expect(() => pqMatmul(new Float32Array(8), 1, { codebook: new Float32Array(8), centroids: 2, subvectorSize: 4, codes: Uint8Array.of(0, 2), outFeatures: 1, inFeatures: 8 })).toThrow(
      /pqMatmul: weights.codes holds a value >= centroids \(2\); expected codes in 0…1/,
    );
  });
});
