// The packedMatmul capability of the TypeScript and native backends against core's primitive lowering (which
// unpacks the codes with floor/div arithmetic and runs a float matmul), on random packed weights of every layout.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CAPABILITY_LIST, createRuntime, packedMatmul, type PackedWeights, type Runtime, tensor } from '@nibble/core';
import { cpuFactory } from '../src/index.ts';
import { nativeFactory } from '../src/node.ts';

const lowered = createRuntime({ backends: [cpuFactory({ disable: CAPABILITY_LIST })] });
const backends = [
  ['TypeScript kernel', createRuntime({ backends: [cpuFactory()] })],
  ['native kernels', createRuntime({ backends: [nativeFactory({ name: 'cpu-native' })] })],
] as const;

interface Case {
  readonly weights: PackedWeights;
  readonly lead: readonly number[];
  readonly x: number[];
  readonly codes: number[];
  readonly codeShape: [number, number];
  readonly tables: number[];
  readonly tableShape: [number, number];
  readonly zeros: number[] | undefined;
}

const floats = (n: number, min = -1, max = 1) => fc.array(fc.float({ min: Math.fround(min), max: Math.fround(max), noNaN: true, noDefaultInfinity: true }), { minLength: n, maxLength: n });
const bytes = (n: number, max = 255) => fc.array(fc.integer({ min: 0, max }), { minLength: n, maxLength: n });

/** Integer codes: K a multiple of 32 half the time (the native int4 path), any K otherwise. */
const intCase: fc.Arbitrary<Case> = fc
  .record({
    bits: fc.constantFrom(1, 2, 4, 8) as fc.Arbitrary<1 | 2 | 4 | 8>,
    signed: fc.boolean(),
    n: fc.integer({ min: 1, max: 12 }),
    kUnit: fc.integer({ min: 1, max: 3 }),
    wide: fc.boolean(),
    groups: fc.constantFrom(1, 2),
    lead: fc.constantFrom<number[]>([1], [3], [2, 5]),
    integerZeros: fc.boolean(),
  })
  .chain(({ bits, signed, n, kUnit, wide, groups, lead, integerZeros }) => {
    const k = (wide ? 32 : 3) * kUnit * groups;
    const groupSize = k / groups;
    const m = lead.reduce((a, d) => a * d, 1);
    const rowBytes = Math.ceil((k * bits) / 8);
    const params = n * groups;
    const zeros = signed ? fc.constant(undefined) : integerZeros ? bytes(params, 2 ** bits - 1) : floats(params, 0, 2 ** bits - 1);
    return fc.record({
      weights: fc.constant<PackedWeights>({ kind: 'int', bits, shape: [n, k], groupSize, signed }),
      lead: fc.constant(lead),
      x: floats(m * k),
      codes: bytes(n * rowBytes),
      codeShape: fc.constant<[number, number]>([n, rowBytes]),
      tables: floats(params, 0.01, 2),
      tableShape: fc.constant<[number, number]>([n, groups]),
      zeros,
    });
  });

const pqCase: fc.Arbitrary<Case> = fc
  .record({ n: fc.integer({ min: 1, max: 12 }), d: fc.integer({ min: 1, max: 8 }), blocks: fc.integer({ min: 1, max: 6 }), centroids: fc.integer({ min: 1, max: 256 }), lead: fc.constantFrom<number[]>([1], [4]) })
  .chain(({ n, d, blocks, centroids, lead }) =>
    fc.record({
      weights: fc.constant<PackedWeights>({ kind: 'pq', shape: [n, d * blocks], blockSize: d, centroids }),
      lead: fc.constant(lead),
      x: floats(lead[0]! * d * blocks),
      codes: bytes(n * blocks, centroids - 1),
      codeShape: fc.constant<[number, number]>([n, blocks]),
      tables: floats(centroids * d),
      tableShape: fc.constant<[number, number]>([centroids, d]),
      zeros: fc.constant(undefined),
    }),
  );

function run(rt: Runtime, c: Case): Float32Array {
  const k = c.weights.shape[1];
  const x = tensor(c.x, { runtime: rt, shape: [...c.lead, k] });
  const codes = tensor(c.codes, { runtime: rt, shape: c.codeShape, dtype: 'uint8' });
  const tables = tensor(c.tables, { runtime: rt, shape: c.tableShape });
  const zeros = c.zeros === undefined ? undefined : tensor(c.zeros, { runtime: rt, shape: c.tableShape });
  const y = packedMatmul(x, codes, tables, c.weights, zeros);
  expect(y.shape).toEqual([...c.lead, c.weights.shape[0]]);
  const out = y.dataSync() as Float32Array;
  for (const t of [x, codes, tables, zeros, y]) t?.dispose();
  return out;
}

describe.each(backends)('packedMatmul capability: %s', (_, rt) => {
  const matches = (c: Case) => {
    const want = run(lowered, c);
    const got = run(rt, c);
    // each output sums K products of |x| ≤ 1 and |w| ≤ 2·2^bits: allow float32 rounding of that magnitude
    const bound = c.weights.shape[1] * 2 * 256 * 2e-7;
    got.forEach((v, i) => expect(Math.abs(v - want[i]!), `output ${i}: ${v} vs ${want[i]}`).toBeLessThanOrEqual(bound));
  };

  it('integer codes (1, 2, 4, 8 bits, signed or with zero-points, grouped scales) match the lowering', () => {
    fc.assert(fc.property(intCase, matches), { numRuns: 150 });
  });

  it('PQ codes (codebook lookup) match the lowering', () => {
    fc.assert(fc.property(pqCase, matches), { numRuns: 60 });
  });

  it('a 4-bit weight of shape [256, 512] with group 32 (the native in-register path) matches the lowering', () => {
    const [n, k] = [256, 512];
    const v = (len: number, s: number) => Array.from({ length: len }, (_, i) => Math.sin(s + i * 0.37));
    matches({
      weights: { kind: 'int', bits: 4, shape: [n, k], groupSize: 32, signed: false },
      lead: [3], x: v(3 * k, 1), codes: v(n * k / 2, 2).map((u) => Math.floor((u + 1) * 127.9)), codeShape: [n, k / 2],
      tables: v(n * 16, 3).map((u) => 0.01 + Math.abs(u)), tableShape: [n, 16], zeros: v(n * 16, 4).map((u) => Math.round((u + 1) * 7)),
    });
  });
});
