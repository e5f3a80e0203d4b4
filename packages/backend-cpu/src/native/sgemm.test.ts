import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { NativeArgumentError } from './errors.js';
import { loadNative } from './loader.js';
import { setNativeIsa, setNativeThreads, nativeInfo } from './runtime.js';
import { matmul, sgemm, type MatrixLayout } from './sgemm.js';

const native = loadNative();

/** Deterministic uniform values in [-1, 1) from a seed (mulberry32), so shrinking replays the same data. */
function randomArray(length: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1;
  }
  return out;
}

const at = (l: Required<MatrixLayout>, b: number, i: number, j: number) => l.offset + b * l.batchStride + i * l.rowStride + j * l.colStride;

/**
 * float64 reference and the float32 error bound: each output is a k-term dot product, so the fp32 result is
 * within k·2⁻²⁴·Σ|a||b| of the exact value (blocked summation does better; the test allows 2× that).
 */
function check(m: number, n: number, k: number, batch: number, a: Float32Array, al: Required<MatrixLayout>, b: Float32Array, bl: Required<MatrixLayout>, c: Float32Array) {
  let worst = 0;
  for (let bi = 0; bi < batch; bi++)
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let exact = 0;
        let magnitude = 0;
        for (let p = 0; p < k; p++) {
          const prod = (a[at(al, bi, i, p)] ?? NaN) * (b[at(bl, bi, p, j)] ?? NaN);
          exact += prod;
          magnitude += Math.abs(prod);
        }
        const err = Math.abs((c[(bi * m + i) * n + j] ?? NaN) - exact);
        const bound = 2 * Math.max(k, 1) * 2 ** -24 * magnitude + 1e-30;
        worst = Math.max(worst, err / bound);
        if (!(err <= bound)) return `out[${bi},${i},${j}] = ${c[(bi * m + i) * n + j]}, float64 reference ${exact}, error ${err} > bound ${bound}`;
      }
  return worst <= 1 ? undefined : 'bound exceeded';
}

function layout(transposed: boolean, rows: number, cols: number, offset: number, batchStride: number | 'broadcast'): Required<MatrixLayout> {
  const base = transposed ? { rowStride: 1, colStride: rows } : { rowStride: cols, colStride: 1 };
  return { ...base, offset, batchStride: batchStride === 'broadcast' ? 0 : batchStride };
}

describe.skipIf(!native.ok && process.env['NIBBLE_NATIVE'] === '0')('native sgemm', () => {
  it('the addon is built and loads on this machine', () => {
    expect(native.ok ? 'ok' : native.reason).toBe('ok');
  });

  const shapes = fc.record({
    m: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constantFrom(1, 2, 3, 4, 5, 13, 14, 15, 29, 33)),
    n: fc.oneof(fc.integer({ min: 1, max: 80 }), fc.constantFrom(1, 15, 16, 17, 31, 32, 33, 65)),
    k: fc.oneof(fc.integer({ min: 0, max: 70 }), fc.constantFrom(1, 255, 256, 257)),
    batch: fc.integer({ min: 1, max: 3 }),
    transA: fc.boolean(),
    transB: fc.boolean(),
    broadcastB: fc.boolean(),
    offsetA: fc.integer({ min: 0, max: 5 }),
    offsetB: fc.integer({ min: 0, max: 5 }),
    seed: fc.integer(),
  });

  it('matches a float64 reference for random shapes, transposes, offsets and batch strides (fp32 bound k·2⁻²⁴·Σ|ab|)', () => {
    fc.assert(
      fc.property(shapes, ({ m, n, k, batch, transA, transB, broadcastB, offsetA, offsetB, seed }) => {
        const al = layout(transA, m, k, offsetA, m * k);
        const bl = layout(transB, k, n, offsetB, broadcastB ? 'broadcast' : k * n);
        const a = randomArray(offsetA + batch * m * k, seed);
        const b = randomArray(offsetB + (broadcastB ? 1 : batch) * k * n, seed ^ 0x5bd1e995);
        const c = sgemm({ m, n, k, batch, a, aLayout: al, b, bLayout: bl });
        expect(check(m, n, k, batch, a, al, b, bl, c)).toBeUndefined();
      }),
      { numRuns: 150 },
    );
  });

  it('is correct across block boundaries on every ISA and thread count (M > MC, K > KC, partial tiles, short kernel, unpacked small products)', () => {
    const isas = nativeInfo().supportedIsas as ('avx512' | 'avx2' | 'baseline')[];
    const original = nativeInfo();
    try {
      for (const isa of isas)
        for (const threads of [1, 2])
          for (const [m, n, k, transA, transB] of [
            [203, 97, 531, true, false],
            [170, 130, 300, false, true],
            [3, 1000, 257, false, false],
            [4, 300, 200, true, true],
            // row counts the main micro-kernel divides badly: the short kernel, over two row blocks (144 = 128 + 16)
            [144, 97, 300, false, true],
            [144, 600, 300, false, true],
            // packed (B too large for the unpacked paths) with K over several KC blocks
            [203, 97, 2100, true, false],
            [32, 520, 300, true, false],
            // K blocks over 512 (A blocks of 6 main panels): an odd number of row blocks whose tile count is made even
            // by a second column tile, and 74 row panels in 13 blocks that differ by one panel
            [210, 33, 600, false, false],
            [1030, 70, 600, true, false],
            // the short kernel where the main one would compute ≥ 1% more rows (256 rows: 266 with 14-row panels)
            [256, 100, 1100, false, true],
            // one B panel: rows split finer so that both threads get a tile
            [128, 33, 600, false, false],
            // small single-threaded products without packing (attention heads): row groups with a remainder, strips of
            // two vectors, one vector and scalar columns, B read in place or transposed into a row-major copy
            [13, 47, 37, false, true],
            [9, 33, 64, true, false],
            [64, 64, 32, false, true],
            [21, 16, 128, true, true],
            [64, 250, 30, false, false],
            // remainders of 4 + 2 + 1 rows after the 8-row (AVX-512) or 4-row groups
            [7, 48, 96, false, false],
            [14, 40, 50, false, true],
            // mid-size products with B in the L2, unpacked and split in row blocks over the pool (A transposed too)
            [256, 200, 128, true, false],
            [300, 64, 512, false, true],
          ] as const) {
            setNativeIsa(isa);
            setNativeThreads(threads);
            const al = layout(transA, m, k, 0, m * k);
            const bl = layout(transB, k, n, 0, k * n);
            const a = randomArray(m * k, m * 7 + k);
            const b = randomArray(k * n, n * 13 + k);
            const c = sgemm({ m, n, k, a, aLayout: al, b, bLayout: bl });
            expect(check(m, n, k, 1, a, al, b, bl, c), `${isa} ×${threads} ${m}×${n}×${k}`).toBeUndefined();
          }
    } finally {
      setNativeIsa(original.isa);
      setNativeThreads(original.threads);
    }
  });

  it('accumulates into out when asked and treats k = 0 as an empty sum', () => {
    const a = randomArray(6, 1);
    const b = randomArray(12, 2);
    const base = randomArray(8, 3);
    const out = base.slice();
    sgemm({ m: 2, n: 4, k: 3, a, b, out, accumulate: true });
    const fresh = sgemm({ m: 2, n: 4, k: 3, a, b });
    for (let i = 0; i < 8; i++) expect(out[i]).toBeCloseTo((base[i] ?? 0) + (fresh[i] ?? 0), 5);
    expect(Array.from(sgemm({ m: 2, n: 2, k: 0, a: new Float32Array(0), b: new Float32Array(0), out: new Float32Array(4).fill(7) }))).toEqual([0, 0, 0, 0]);
  });

  it('adds a bias to every row of every product, exactly as a separate add would, and rejects a wrong one', () => {
    // batch 1 rows (m ≤ 4), unpacked, packed with two K blocks, and a batch of products: against the plain product + bias
    for (const [batch, m, n, k] of [[1, 3, 50, 40], [1, 40, 70, 30], [1, 150, 600, 1500], [6, 20, 33, 17]] as const) {
      const a = randomArray(batch * m * k, 4);
      const b = randomArray(batch * k * n, 5);
      const bias = randomArray(n, 6);
      const got = sgemm({ m, n, k, batch, a, b, bias });
      const plain = sgemm({ m, n, k, batch, a, b });
      for (let i = 0; i < got.length; i++) expect(got[i], `[${batch},${m},${n},${k}] element ${i}`).toBe(Math.fround(plain[i]! + bias[i % n]!));
    }
    expect(Array.from(sgemm({ m: 2, n: 2, k: 0, a: new Float32Array(0), b: new Float32Array(0), bias: Float32Array.of(3, 4) }))).toEqual([3, 4, 3, 4]);
    const ok = { m: 2, n: 3, k: 2, a: new Float32Array(4), b: new Float32Array(6) };
    expect(() => sgemm({ ...ok, bias: new Float32Array(2) })).toThrow(/sgemm: bias has 2 elements, expected n = 3/);
    expect(() => sgemm({ ...ok, bias: new Float32Array(3), out: new Float32Array(6), accumulate: true })).toThrow(/sgemm: bias and accumulate: true together/);
  });

  it('matmul handles stored-transposed operands', () => {
    // A stored [k=2, m=3] = [[1,2,3],[4,5,6]], so Aᵀ = [[1,4],[2,5],[3,6]]; B = I₂
    const c = matmul(Float32Array.of(1, 2, 3, 4, 5, 6), Float32Array.of(1, 0, 0, 1), 3, 2, 2, { transposeA: true });
    expect(Array.from(c)).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it('rejects wrong sizes and dtypes with a NativeArgumentError naming given and expected', () => {
    expect(() => matmul(new Float32Array(5), new Float32Array(12), 2, 3, 4)).toThrow(/matmul: a has 5 elements, expected 6/);
    expect(() => matmul(new Float64Array(6) as unknown as Float32Array, new Float32Array(12), 2, 3, 4)).toThrow(NativeArgumentError);
    expect(() => sgemm({ m: 2, n: 2, k: 2, a: new Float32Array(4), b: new Float32Array(4), bLayout: { rowStride: 2, colStride: 1, offset: 1 } })).toThrow(
      /sgemm: b has 4 elements, expected at least 5/,
    );
    expect(() => sgemm({ m: 2.5, n: 2, k: 2, a: new Float32Array(4), b: new Float32Array(4) })).toThrow(/sgemm: m must be an integer >= 0, got number 2.5/);
  });
});
