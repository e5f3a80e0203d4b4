// Cases that run the same ops on two runtimes (the CPU reference and WebGPU) and compare the results. Shared by the
// Node test (webgpu-vs-cpu.test.ts) and the browser page (browser/entry.ts), so both environments check the same things.
import * as nb from '@nibble/core';
import type { Runtime, Tensor } from '@nibble/core';

/** One comparison: `make` builds inputs from a seeded generator and returns the output tensor. */
export interface Case {
  readonly name: string;
  /** |gpu − cpu| ≤ tol · (1 + |cpu|); 0 means bit-exact (NaN meets NaN). */
  readonly tol: number;
  make(rt: Runtime, rand: () => number): Tensor;
}

/** mulberry32: a tiny seeded generator, so both runtimes see the same inputs. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function rnd(rt: Runtime, rand: () => number, shape: number[], lo = -3, hi = 3): Tensor {
  const n = shape.reduce((a, d) => a * d, 1);
  return nb.tensor(Float32Array.from({ length: n }, () => lo + (hi - lo) * rand()), { shape, runtime: rt });
}

/** Runs `f` on freshly made inputs and disposes every temporary but the result. */
function temps(f: (t: <T extends Tensor>(x: T) => T) => Tensor): Tensor {
  const made: Tensor[] = [];
  try {
    return f((x) => (made.push(x), x));
  } finally {
    made.forEach((x) => x.dispose());
  }
}

const unary = ['neg', 'abs', 'sign', 'exp', 'log', 'sqrt', 'tanh', 'sigmoid', 'erf', 'sin', 'cos', 'floor', 'roundHalfEven'] as const;
const binary = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'pow', 'lt', 'le', 'eq', 'ne'] as const;

export const CASES: readonly Case[] = [
  ...unary.map((op): Case => ({
    name: `${op} on a transposed view`,
    tol: ['exp', 'log', 'tanh', 'sigmoid', 'erf', 'sin', 'cos'].includes(op) ? 3e-6 : 0,
    make: (rt, rand) => temps((t) => {
      const x = t(rnd(rt, rand, [7, 5], op === 'log' || op === 'sqrt' ? 0.01 : -5, 5));
      return (nb[op] as (x: Tensor) => Tensor)(t(x.transpose()));
    }),
  })),
  ...binary.map((op): Case => ({
    name: `${op} with broadcasting`,
    tol: op === 'pow' ? 2e-5 : 0,
    make: (rt, rand) => temps((t) => {
      const a = t(rnd(rt, rand, [4, 1, 6], op === 'pow' ? 0.1 : -3, 3));
      const b = t(rnd(rt, rand, [5, 1], -3, 3));
      return (nb[op] as (a: Tensor, b: Tensor) => Tensor)(a, b);
    }),
  })),
  {
    name: 'where and cast',
    tol: 0,
    make: (rt, rand) => temps((t) => {
      const a = t(rnd(rt, rand, [3, 8], -100, 100));
      const c = t(nb.gt(a, 0));
      const i = t(nb.cast(a, 'int32'));
      return nb.where(c, t(nb.cast(i, 'float32')), t(nb.neg(a)));
    }),
  },
  {
    name: 'sum over axes of a sliced view',
    tol: 1e-5,
    make: (rt, rand) => temps((t) => nb.sum(t(nb.slice(t(rnd(rt, rand, [6, 300, 5])), [1, 0, 1], [4, 300, 3])), [1, 2], true)),
  },
  {
    name: 'max over a long axis (workgroup reduction)',
    tol: 0,
    make: (rt, rand) => temps((t) => nb.max(t(rnd(rt, rand, [3, 1000])), [1])),
  },
  {
    name: 'argmax over a permuted view',
    tol: 0,
    make: (rt, rand) => temps((t) => nb.argmax(t(nb.permute(t(rnd(rt, rand, [4, 6, 3])), [2, 0, 1])), 1)),
  },
  {
    name: 'pad and concat',
    tol: 0,
    make: (rt, rand) => temps((t) => {
      const a = t(rnd(rt, rand, [3, 4]));
      const b = t(nb.transpose(t(rnd(rt, rand, [4, 2]))));
      return nb.concat([t(nb.pad(a, [[1, 0], [0, 2]], 7)), t(nb.pad(b, [[0, 2], [1, 1]], -1))], 1);
    }),
  },
  {
    name: 'batched matmul with a transposed, broadcast operand',
    tol: 1e-5,
    make: (rt, rand) => temps((t) => nb.matmul(t(rnd(rt, rand, [3, 13, 17])), t(nb.transpose(t(rnd(rt, rand, [11, 17])))))),
  },
  {
    name: 'gather and scatterAdd',
    tol: 1e-6,
    make: (rt, rand) => temps((t) => {
      const x = t(rnd(rt, rand, [5, 7, 3]));
      const idx = t(nb.tensor(Int32Array.from({ length: 9 }, () => Math.floor(rand() * 7)), { runtime: rt }));
      const g = t(nb.gather(x, idx, 1));
      return nb.scatterAdd(idx, g, [5, 7, 3], 1);
    }),
  },
  {
    // The raw int32 words, compared bit for bit with the CPU backend's (a 40-bit seed; the counter wraps past 2³²).
    name: 'randomBits: the same Philox words as the cpu backend',
    tol: 0,
    make: (rt) => nb.randomBits([3, 7], { seed: 2 ** 40 + 7, stream: 9, counter: 2 ** 32 - 2 }, { runtime: rt }),
  },
  {
    name: 'randomUniform from the same key as the cpu backend',
    tol: 0,
    make: (rt) => nb.randomUniform([3, 7], { seed: 5, stream: 1, counter: 3 }, 0, 1, { runtime: rt }),
  },
  {
    name: 'fakeQuant per channel',
    tol: 0,
    make: (rt, rand) => temps((t) => {
      const x = t(rnd(rt, rand, [4, 6], -5, 5));
      const s = t(nb.tensor([0.1, 0.25, 0.5, 0.03], { runtime: rt }));
      const z = t(nb.tensor([0, 3, 8, 1], { runtime: rt }));
      return nb.fakeQuant(x, s, z, { qmin: 0, qmax: 15, axis: 0 });
    }),
  },
  {
    name: 'packedMatmul with signed 8-bit codes and per-row scales',
    tol: 1e-5,
    make: (rt, rand) => temps((t) => {
      const x = t(rnd(rt, rand, [3, 10]));
      const codes = t(nb.tensor(Uint8Array.from({ length: 6 * 10 }, () => Math.floor(rand() * 256)), { shape: [6, 10], runtime: rt }));
      const scales = t(rnd(rt, rand, [6, 1], 0.001, 0.02));
      return nb.packedMatmul(x, codes, scales, { kind: 'int', bits: 8, shape: [6, 10], groupSize: 10, signed: true });
    }),
  },
  {
    name: 'packedMatmul with unsigned 8-bit codes, group scales and zero-points',
    tol: 1e-5,
    make: (rt, rand) => temps((t) => {
      const x = t(rnd(rt, rand, [2, 12]));
      const codes = t(nb.tensor(Uint8Array.from({ length: 5 * 12 }, () => Math.floor(rand() * 256)), { shape: [5, 12], runtime: rt }));
      const scales = t(rnd(rt, rand, [5, 3], 0.001, 0.02));
      const zps = t(nb.tensor(Float32Array.from({ length: 15 }, () => Math.floor(rand() * 256)), { shape: [5, 3], runtime: rt }));
      return nb.packedMatmul(x, codes, scales, { kind: 'int', bits: 8, shape: [5, 12], groupSize: 4, signed: false }, zps);
    }),
  },
  {
    name: 'packedMatmul with signed 4-bit codes and group scales',
    tol: 1e-5,
    make: (rt, rand) => temps((t) => {
      const x = t(rnd(rt, rand, [3, 16]));
      const codes = t(nb.tensor(Uint8Array.from({ length: 5 * 8 }, () => Math.floor(rand() * 256)), { shape: [5, 8], runtime: rt }));
      const scales = t(rnd(rt, rand, [5, 2], 0.01, 0.2));
      return nb.packedMatmul(x, codes, scales, { kind: 'int', bits: 4, shape: [5, 16], groupSize: 8, signed: true });
    }),
  },
  {
    name: 'packedMatmul with unsigned 2-bit codes and zero-points',
    tol: 1e-5,
    make: (rt, rand) => temps((t) => {
      const x = t(rnd(rt, rand, [2, 3, 12]));
      const codes = t(nb.tensor(Uint8Array.from({ length: 4 * 3 }, () => Math.floor(rand() * 256)), { shape: [4, 3], runtime: rt }));
      const scales = t(rnd(rt, rand, [4, 3], 0.01, 0.2));
      const zps = t(nb.tensor(Float32Array.from({ length: 12 }, () => Math.floor(rand() * 4)), { shape: [4, 3], runtime: rt }));
      return nb.packedMatmul(x, codes, scales, { kind: 'int', bits: 2, shape: [4, 12], groupSize: 4, signed: false }, zps);
    }),
  },
  {
    name: 'packedMatmul with PQ codes',
    tol: 1e-5,
    make: (rt, rand) => temps((t) => {
      const x = t(rnd(rt, rand, [3, 8]));
      const codes = t(nb.tensor(Uint8Array.from({ length: 6 * 4 }, () => Math.floor(rand() * 5)), { shape: [6, 4], runtime: rt }));
      const book = t(rnd(rt, rand, [5, 2]));
      return nb.packedMatmul(x, codes, book, { kind: 'pq', shape: [6, 8], blockSize: 2, centroids: 5 });
    }),
  },
  {
    name: 'softmax of a matmul (composite)',
    tol: 1e-5,
    make: (rt, rand) => temps((t) => nb.softmax(t(nb.matmul(t(rnd(rt, rand, [8, 16])), t(rnd(rt, rand, [16, 8])))), -1)),
  },
];

/** Outcome of one case. */
export interface CaseResult {
  readonly name: string;
  readonly ok: boolean;
  readonly message?: string;
}

/** Runs every case on both runtimes with the same seeded inputs and compares the outputs. */
export async function runCases(reference: Runtime, subject: Runtime, cases: readonly Case[] = CASES): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const [i, c] of cases.entries()) {
    try {
      const want = c.make(reference, seeded(1000 + i));
      const got = c.make(subject, seeded(1000 + i));
      const [w, g] = [await want.hostValues(), await got.hostValues()];
      want.dispose();
      got.dispose();
      const message = compare(g, w, c.tol);
      results.push(message ? { name: c.name, ok: false, message } : { name: c.name, ok: true });
    } catch (e) {
      results.push({ name: c.name, ok: false, message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
    }
  }
  return results;
}

function compare(got: ArrayLike<number>, want: ArrayLike<number>, tol: number): string | undefined {
  if (got.length !== want.length) return `length ${got.length}, expected ${want.length}`;
  for (let i = 0; i < got.length; i++) {
    const [g, w] = [got[i]!, want[i]!];
    if (Number.isNaN(w) && Number.isNaN(g)) continue;
    if (g === w) continue;
    if (Math.abs(g - w) <= tol * (1 + Math.abs(w))) continue;
    return `element ${i}: got ${g}, expected ${w} (tolerance ${tol})`;
  }
  return undefined;
}
