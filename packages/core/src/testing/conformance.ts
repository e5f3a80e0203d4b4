import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../runtime/runtime.ts';
import type { BackendFactory } from '../spi/backend.ts';
import type { Tensor } from '../tensor.ts';
import * as ops from '../ops/index.ts';
import { scope } from '../memory/scope.ts';
import { valueAndGrad } from '../autograd/api.ts';
import { philoxWords } from '../rng/stream.ts';
import { arbBroadcastPartner, arbFloat32, arbShape, arbView } from './arbitraries.ts';
import { firstMismatch, type Tolerance } from './compare.ts';
import * as ref from './reference.ts';

/** Options of {@link describeBackendConformance}. */
export interface BackendConformanceOptions {
  /** fast-check runs per property (default 25). */
  numRuns?: number;
  /** Tolerance of exp, log, tanh, sigmoid, erf, sin, cos, pow against float64 (default rtol 2e-6, atol 1e-6). */
  transcendental?: Tolerance;
  /** Relative tolerance of sums and matmuls, scaled by Σ|terms| (default 1e-5). */
  accumulation?: number;
  /** Include NaN, ±Inf, −0, denormals and huge values in arithmetic tests (default true). */
  edgeValues?: boolean;
}

const EXACT: Tolerance = { rtol: 0, atol: 0 };
const f32 = (d: ArrayLike<number>): Float64Array => Float64Array.from(d, (v) => Math.fround(v));

/**
 * Registers a vitest suite that runs every primitive and capability of a backend on random shapes, broadcast pairs,
 * strided views (permuted, sliced, broadcast) and edge values, against an independent float64 reference. Capabilities
 * the backend does not declare are checked through core's reference lowering on that backend.
 *
 * @example
 * ```ts
 * import { describeBackendConformance } from '@nibble/core/testing';
 * import { cpu } from '@nibble/backend-cpu';
 * describeBackendConformance(cpu);
 * ```
 */
export function describeBackendConformance(factory: BackendFactory, options: BackendConformanceOptions = {}): void {
  const numRuns = options.numRuns ?? 25;
  const trans = options.transcendental ?? { rtol: 2e-6, atol: 1e-6 };
  const acc = options.accumulation ?? 1e-5;
  const edge = options.edgeValues ?? true;

  describe(`backend conformance: ${factory.name}`, () => {
    let rt: Runtime;
    beforeAll(async () => {
      rt = createRuntime({ backends: [factory] });
      await rt.use(factory.name);
    });
    afterAll(() => rt?.[Symbol.dispose]());

    async function check(make: () => Tensor, expected: ArrayLike<number>, tol: Tolerance, scale?: ArrayLike<number>): Promise<void> {
      const out = make();
      try {
        const got = await out.hostValues();
        const msg = firstMismatch(got, expected, tol, scale);
        expect(msg, msg).toBeUndefined();
      } finally {
        out.dispose();
      }
    }

    function withViews<T>(cases: readonly { make(rt: Runtime): Tensor }[], fn: (ts: Tensor[]) => Promise<T>): Promise<T> {
      const ts = cases.map((c) => c.make(rt));
      return fn(ts).finally(() => ts.forEach((t) => t.dispose()));
    }

    const exactUnary: [string, (t: Tensor) => Tensor, (x: number) => number][] = [
      ['neg', ops.neg, (x) => -x],
      ['abs', ops.abs, Math.abs],
      ['sign', ops.sign, (x) => (Number.isNaN(x) ? NaN : x > 0 ? 1 : x < 0 ? -1 : 0)],
      ['floor', ops.floor, Math.floor],
      ['roundHalfEven', ops.roundHalfEven, ref.rhe],
      ['sqrt', ops.sqrt, Math.sqrt],
    ];
    for (const [name, op, f] of exactUnary) {
      it(`${name}: exact on strided views and edge values`, async () => {
        await fc.assert(
          fc.asyncProperty(arbShape().chain((s) => arbView(s, arbFloat32({ edge }))), (v) =>
            withViews([v], ([x]) => check(() => op(x!), f32(ref.map([v.host], f).data), name === 'sqrt' ? { rtol: 0, atol: 0 } : EXACT)),
          ),
          { numRuns },
        );
      });
    }

    const transUnary: [string, (t: Tensor) => Tensor, (x: number) => number, number, number][] = [
      ['exp', ops.exp, Math.exp, -80, 80],
      ['log', ops.log, Math.log, 1e-30, 1e30],
      ['tanh', ops.tanh, Math.tanh, -20, 20],
      ['sigmoid', ops.sigmoid, (x) => 1 / (1 + Math.exp(-x)), -80, 80],
      ['erf', ops.erf, erf64, -6, 6],
      ['sin', ops.sin, Math.sin, -100, 100],
      ['cos', ops.cos, Math.cos, -100, 100],
    ];
    for (const [name, op, f, min, max] of transUnary) {
      it(`${name}: within the transcendental tolerance of float64`, async () => {
        await fc.assert(
          fc.asyncProperty(arbShape().chain((s) => arbView(s, arbFloat32({ min, max }))), (v) =>
            withViews([v], ([x]) => check(() => op(x!), ref.map([v.host], f).data, trans)),
          ),
          { numRuns },
        );
      });
    }

    it('unary edge values: NaN, ±Inf, −0', async () => {
      const xs = [NaN, Infinity, -Infinity, -0, 0];
      const x = ops.tensor(xs, { runtime: rt });
      try {
        const cases: [(t: Tensor) => Tensor, number[]][] = [
          [ops.exp, [NaN, Infinity, 0, 1, 1]],
          [ops.log, [NaN, Infinity, NaN, -Infinity, -Infinity]],
          [ops.tanh, [NaN, 1, -1, 0, 0]],
          [ops.sigmoid, [NaN, 1, 0, 0.5, 0.5]],
          [ops.sqrt, [NaN, Infinity, NaN, 0, 0]],
          [ops.erf, [NaN, 1, -1, 0, 0]],
        ];
        for (const [op, expected] of cases) await check(() => op(x), expected, EXACT);
      } finally {
        x.dispose();
      }
    });

    const binaries: [string, (a: Tensor, b: Tensor) => Tensor, (a: number, b: number) => number, Tolerance | 'exact'][] = [
      ['add', ops.add, (a, b) => a + b, 'exact'],
      ['sub', ops.sub, (a, b) => a - b, 'exact'],
      ['mul', ops.mul, (a, b) => a * b, 'exact'],
      ['div', ops.div, (a, b) => a / b, 'exact'],
      ['maximum', ops.maximum, (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)), 'exact'],
      ['minimum', ops.minimum, (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b)), 'exact'],
      ['lt', ops.lt, (a, b) => +(a < b), 'exact'],
      ['le', ops.le, (a, b) => +(a <= b), 'exact'],
      ['eq', ops.eq, (a, b) => +(a === b), 'exact'],
      ['ne', ops.ne, (a, b) => +(a !== b), 'exact'],
    ];
    for (const [name, op, f, tol] of binaries) {
      it(`${name}: broadcast pairs of strided views`, async () => {
        const arbPair = arbShape()
          .chain((a) => fc.tuple(fc.constant(a), arbBroadcastPartner(a), fc.boolean()))
          .chain(([a, b, swap]) => {
            const [sa, sb] = swap ? [b, a] : [a, b];
            return fc.tuple(arbView(sa, arbFloat32({ edge })), arbView(sb, arbFloat32({ edge })));
          });
        await fc.assert(
          fc.asyncProperty(arbPair, ([va, vb]) =>
            withViews([va, vb], ([a, b]) => check(() => op(a!, b!), f32(ref.map([va.host, vb.host], f).data), tol === 'exact' ? EXACT : tol)),
          ),
          { numRuns },
        );
      });
    }

    it('pow: within the transcendental tolerance', async () => {
      await fc.assert(
        fc.asyncProperty(
          arbShape().chain((s) => fc.tuple(arbView(s, arbFloat32({ min: 1e-3, max: 10 })), arbView(s, arbFloat32({ min: -4, max: 4 })))),
          ([va, vb]) => withViews([va, vb], ([a, b]) => check(() => ops.pow(a!, b!), ref.map([va.host, vb.host], Math.pow).data, { rtol: trans.rtol * 10, atol: trans.atol })),
        ),
        { numRuns },
      );
    });

    it('where: condition, branches broadcast', async () => {
      await fc.assert(
        fc.asyncProperty(
          arbShape().chain((s) => fc.tuple(arbView(s, fc.constantFrom(0, 1)), arbView(s, arbFloat32({ edge })), arbView(s, arbFloat32({ edge })))),
          ([vc, va, vb]) =>
            withViews([vc, va, vb], async ([c, a, b]) => {
              const cond = ops.ne(c!, 0);
              try {
                await check(() => ops.where(cond, a!, b!), ref.map([vc.host, va.host, vb.host], (x, y, z) => (x ? y : z)).data, EXACT);
              } finally {
                cond.dispose();
              }
            }),
        ),
        { numRuns },
      );
    });

    it('cast: float32 → int32 truncates, → bool is non-zero, int32 → float32', async () => {
      await fc.assert(
        fc.asyncProperty(arbShape().chain((s) => arbView(s, arbFloat32({ min: -1e6, max: 1e6 }))), (v) =>
          withViews([v], async ([x]) => {
            await check(() => ops.cast(x!, 'int32'), ref.map([v.host], Math.trunc).data, EXACT);
            await check(() => ops.cast(x!, 'bool'), ref.map([v.host], (t) => +(t !== 0)).data, EXACT);
            const i = ops.cast(x!, 'int32');
            try {
              await check(() => ops.cast(i, 'float32'), f32(ref.map([v.host], Math.trunc).data), EXACT);
            } finally {
              i.dispose();
            }
          }),
        ),
        { numRuns },
      );
    });

    it('sum and max over random axes, with keepDims', async () => {
      await fc.assert(
        fc.asyncProperty(
          arbShape({ minRank: 1 }).chain((s) => fc.tuple(arbView(s, arbFloat32()), fc.subarray([...s.keys()], { minLength: 1 }))),
          ([v, axes]) =>
            withViews([v], async ([x]) => {
              const absRef = ref.reduce(ref.map([v.host], Math.abs), axes, 'sum');
              await check(() => ops.sum(x!, axes, true), ref.reduce(v.host, axes, 'sum').data, { rtol: acc, atol: 1e-30 }, absRef.data);
              await check(() => ops.max(x!, axes, true), f32(ref.reduce(v.host, axes, 'max').data), EXACT);
            }),
        ),
        { numRuns },
      );
    });

    it('argmax: first maximum along an axis', async () => {
      await fc.assert(
        fc.asyncProperty(
          arbShape({ minRank: 1 }).chain((s) => fc.tuple(arbView(s, fc.integer({ min: -3, max: 3 })), fc.integer({ min: 0, max: s.length - 1 }))),
          ([v, axis]) => withViews([v], ([x]) => check(() => ops.argmax(x!, axis, true), ref.argmaxRef(v.host, axis).data, EXACT)),
        ),
        { numRuns },
      );
    });

    it('copy, pad and concat of strided views', async () => {
      await fc.assert(
        fc.asyncProperty(
          arbShape({ minRank: 1 }).chain((s) =>
            fc.tuple(arbView(s, arbFloat32({ edge })), arbView(s, arbFloat32()), fc.array(fc.tuple(fc.nat(2), fc.nat(2)), { minLength: s.length, maxLength: s.length }), fc.integer({ min: 0, max: s.length - 1 })),
          ),
          ([va, vb, pads, axis]) =>
            withViews([va, vb], async ([a, b]) => {
              await check(() => a!.clone(), va.host.data, EXACT);
              await check(() => ops.pad(a!, pads as [number, number][], 7), ref.padRef(va.host, pads as [number, number][], 7).data, EXACT);
              // zero padding too: a kernel must write its border even when the value is 0 (new buffers are not zeroed)
              await check(() => ops.pad(a!, pads as [number, number][], 0), ref.padRef(va.host, pads as [number, number][], 0).data, EXACT);
              await check(() => ops.concat([a!, b!], axis), ref.concatRef([va.host, vb.host], axis).data, EXACT);
            }),
        ),
        { numRuns },
      );
    });

    it('matmul: batched, broadcast batch axes, transposed operands', async () => {
      const arbCase = fc
        .tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), arbShape({ maxRank: 2, maxDim: 3 }))
        .chain(([m, k, n, batch]) => fc.tuple(arbView([...batch, m, k]), arbBroadcastPartner(batch).chain((bb) => arbView([...bb, k, n]))));
      await fc.assert(
        fc.asyncProperty(arbCase, ([va, vb]) =>
          withViews([va, vb], async ([a, b]) => {
            const scale = ref.matmulRef(ref.map([va.host], Math.abs), ref.map([vb.host], Math.abs));
            await check(() => ops.matmul(a!, b!), ref.matmulRef(va.host, vb.host).data, { rtol: acc, atol: 1e-30 }, scale.data);
          }),
        ),
        { numRuns },
      );
    });

    it('matmulBias: a·b + bias on batched, broadcast and transposed operands', async () => {
      const arbCase = fc
        .tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 9 }), fc.integer({ min: 1, max: 9 }), arbShape({ maxRank: 2, maxDim: 3 }))
        .chain(([m, k, n, batch]) =>
          fc.tuple(arbView([...batch, m, k]), arbBroadcastPartner(batch).chain((bb) => arbView([...bb, k, n])), arbView([n])),
        );
      await fc.assert(
        fc.asyncProperty(arbCase, ([va, vb, vc]) =>
          withViews([va, vb, vc], async ([a, b, bias]) => {
            const n = vc.host.shape[0]!;
            const prod = ref.matmulRef(va.host, vb.host);
            const scale = ref.matmulRef(ref.map([va.host], Math.abs), ref.map([vb.host], Math.abs));
            const expected = Float64Array.from(prod.data, (v, i) => v + vc.host.data[i % n]!);
            const bound = Float64Array.from(scale.data, (v, i) => v + Math.abs(vc.host.data[i % n]!));
            await check(() => ops.matmulBias(a!, b!, bias!), expected, { rtol: acc, atol: 1e-30 }, bound);
          }),
        ),
        { numRuns },
      );
      const a = ops.tensor([[1, 2]], { runtime: rt });
      const bias = ops.tensor([1, 2, 3], { runtime: rt });
      try {
        // (the browser runner's expect has toMatch, not toThrow)
        const thrown = (f: () => unknown): string => {
          try {
            f();
          } catch (e) {
            return e instanceof Error ? e.message : String(e);
          }
          return 'nothing thrown';
        };
        expect(thrown(() => ops.matmulBias(a, a.transpose(), bias))).toMatch(/^matmulBias: bias has shape \[3\]; expected \[1\]/);
        expect(thrown(() => ops.matmulBias(a, a, bias))).toMatch(/^matmulBias: inner dimensions differ/);
      } finally {
        [a, bias].forEach((t) => t.dispose());
      }
    });

    it('gather and scatterAdd along an axis', async () => {
      const arbCase = arbShape({ minRank: 1, maxRank: 3 }).chain((s) =>
        fc.integer({ min: 0, max: s.length - 1 }).chain((axis) =>
          fc.tuple(arbView(s), fc.constant(axis), fc.array(fc.integer({ min: 0, max: s[axis]! - 1 }), { minLength: 1, maxLength: 6 })),
        ),
      );
      await fc.assert(
        fc.asyncProperty(arbCase, ([v, axis, indices]) =>
          withViews([v], async ([x]) => {
            const idx = ops.tensor(new Int32Array(indices), { runtime: rt });
            const idxHost = ref.build([indices.length], ([i]) => indices[i!]!);
            try {
              const expected = ref.gatherRef(v.host, idxHost, axis);
              await check(() => ops.gather(x!, idx, axis), expected.data, EXACT);
              const upd = ops.gather(x!, idx, axis);
              try {
                const scale = ref.scatterAddRef(idxHost, ref.map([expected], Math.abs), v.host.shape, axis);
                await check(() => ops.scatterAdd(idx, upd, v.host.shape, axis), ref.scatterAddRef(idxHost, expected, v.host.shape, axis).data, { rtol: acc, atol: 1e-30 }, scale.data);
              } finally {
                upd.dispose();
              }
            } finally {
              idx.dispose();
            }
          }),
        ),
        { numRuns },
      );
    });

    it('gather rejects out-of-range indices without leaking', async () => {
      const x = ops.tensor([1, 2, 3], { runtime: rt });
      const idx = ops.tensor(new Int32Array([0, 3]), { runtime: rt });
      const before = rt.memory();
      let threw = false;
      try {
        const out = ops.gather(x, idx, 0);
        await out.data(); // asynchronous backends may report at read time
        out.dispose();
      } catch (e) {
        threw = true;
        expect(String(e)).toMatch(/3/);
      }
      if (threw) expect(rt.memory()).toEqual(before);
      x.dispose();
      idx.dispose();
      expect(threw).toBe(true);
    });

    it('randomBits: the Philox stream of core, word for word', async () => {
      await fc.assert(
        fc.asyncProperty(arbShape({ maxDim: 9 }), fc.nat(2 ** 31), fc.nat(2 ** 32 - 1), fc.nat(1000), async (shape, seed, stream, counter) => {
          const key = { seed, stream, counter };
          const n = shape.reduce((a, d) => a * d, 1);
          const words = philoxWords(key, n);
          await check(() => ops.randomBits(shape, key, { runtime: rt }), Int32Array.from(words), EXACT);
          await check(() => ops.randomUniform(shape, key, 0, 1, { runtime: rt }), Float64Array.from(words, (w) => (w >>> 8) * 2 ** -24), EXACT);
        }),
        { numRuns },
      );
    });

    it('fakeQuant: per tensor and per channel, round half to even, float32 steps', async () => {
      const arbCase = arbShape({ minRank: 1, maxRank: 3 }).chain((s) =>
        fc.tuple(
          arbView(s, arbFloat32({ min: -20, max: 20 })),
          fc.oneof(fc.constant(null), fc.integer({ min: 0, max: s.length - 1 })),
          fc.integer({ min: 1, max: 8 }),
          fc.boolean(),
        ).chain(([v, axis, bits, symmetric]) => {
          const groups = axis === null ? 1 : s[axis]!;
          return fc.tuple(
            fc.constant(v), fc.constant(axis), fc.constant(bits), fc.constant(symmetric),
            fc.array(fc.float({ min: Math.fround(0.01), max: 4, noNaN: true }), { minLength: groups, maxLength: groups }),
            fc.array(fc.integer({ min: 0, max: 2 ** bits - 1 }), { minLength: groups, maxLength: groups }),
          );
        }),
      );
      await fc.assert(
        fc.asyncProperty(arbCase, ([v, axis, bits, symmetric, scales, zps]) =>
          withViews([v], async ([x]) => {
            const [qmin, qmax] = symmetric ? [-(2 ** (bits - 1)), 2 ** (bits - 1) - 1] : [0, 2 ** bits - 1];
            const z = symmetric ? zps.map(() => 0) : zps;
            const s = ops.tensor(scales, { runtime: rt });
            const zt = ops.tensor(z, { runtime: rt });
            try {
              await check(() => ops.fakeQuant(x!, s, zt, { qmin, qmax, axis }), ref.fakeQuantRef(v.host, scales.map(Math.fround), z, qmin, qmax, axis).data, EXACT);
            } finally {
              s.dispose();
              zt.dispose();
            }
          }),
        ),
        { numRuns },
      );
    });

    it('fakeQuant ties go to even: x/s = 0.5, 1.5, 2.5, −0.5 → 0, 2, 2, 0', async () => {
      const x = ops.tensor([0.5, 1.5, 2.5, -0.5, -1.5], { runtime: rt });
      const s = ops.tensor([1], { runtime: rt });
      const z = ops.tensor([0], { runtime: rt });
      try {
        await check(() => ops.fakeQuant(x, s, z, { qmin: -8, qmax: 7 }), [0, 2, 2, 0, -2], EXACT);
      } finally {
        [x, s, z].forEach((t) => t.dispose());
      }
    });

    it('softmax along any axis of strided views, NaN and ±Inf lines', async () => {
      const arbCase = arbShape({ minRank: 1, maxRank: 3, maxDim: 6 }).chain((s) =>
        fc.tuple(arbView(s, arbFloat32({ edge, min: -30, max: 30 })), fc.integer({ min: -s.length, max: s.length - 1 })),
      );
      await fc.assert(
        fc.asyncProperty(arbCase, ([v, axis]) =>
          withViews([v], async ([x]) => {
            const expected = ref.softmaxRef(v.host, axis < 0 ? axis + v.host.shape.length : axis);
            await check(() => ops.softmax(x!, axis), expected.data, { rtol: 4 * trans.rtol, atol: trans.atol });
          }),
        ),
        { numRuns },
      );
    });

    it('softmax gradient y·(g − Σ g·y) along any axis of strided views', async () => {
      const arbCase = arbShape({ minRank: 1, maxRank: 3, maxDim: 6 }).chain((s) => {
        const n = s.reduce((a, d) => a * d, 1);
        return fc.tuple(arbView(s, arbFloat32({ min: -8, max: 8 })), fc.integer({ min: -s.length, max: s.length - 1 }), fc.array(fc.float({ min: -4, max: 4, noNaN: true }), { minLength: n, maxLength: n }));
      });
      await fc.assert(
        fc.asyncProperty(arbCase, ([v, axis, w]) =>
          withViews([v], async ([x]) => {
            const shape = v.host.shape;
            const ax = axis < 0 ? axis + shape.length : axis;
            const y = ref.softmaxRef(v.host, ax).data;
            // lines along ax: element j of the line through flat index `base` is at base + j·stride
            const stride = shape.slice(ax + 1).reduce((a, d) => a * d, 1);
            const len = shape[ax]!;
            const expected = new Float64Array(y.length);
            for (let base = 0; base < y.length; base++) {
              if (Math.floor(base / stride) % len !== 0) continue;
              let s = 0;
              for (let j = 0; j < len; j++) s += Math.fround(w[base + j * stride]!) * y[base + j * stride]!;
              for (let j = 0; j < len; j++) expected[base + j * stride] = y[base + j * stride]! * (Math.fround(w[base + j * stride]!) - s);
            }
            const wt = ops.tensor(w, { runtime: rt, shape });
            try {
              await check(() => {
                const { value, grads } = valueAndGrad((t: Tensor) => ops.softmax(t, axis).mul(wt).sum())(x!);
                value.dispose();
                return grads[0]!;
              }, expected, { rtol: 8 * trans.rtol, atol: 8 * trans.atol });
            } finally {
              wt.dispose();
            }
          }),
        ),
        { numRuns },
      );
    });

    it('relu and its gradient (1 above 0, ½ at 0, 0 below and at NaN) on strided views with edge values', async () => {
      const arbCase = arbShape({ minRank: 1, maxRank: 3 }).chain((s) => {
        const n = s.reduce((a, d) => a * d, 1);
        return fc.tuple(arbView(s, fc.oneof(arbFloat32({ edge }), fc.constant(0))), fc.array(fc.float({ min: -4, max: 4, noNaN: true }), { minLength: n, maxLength: n }));
      });
      await fc.assert(
        fc.asyncProperty(arbCase, ([v, w]) =>
          withViews([v], async ([x]) => {
            await check(() => ops.relu(x!), f32(ref.map([v.host], (a) => (Number.isNaN(a) ? NaN : Math.max(a, 0))).data), EXACT);
            const wt = ops.tensor(w, { runtime: rt, shape: v.host.shape });
            try {
              const expected = Array.from(v.host.data, (a, i) => Math.fround(Math.fround(w[i]!) * (a > 0 ? 1 : a === 0 ? 0.5 : 0)));
              await check(() => {
                const { value, grads } = valueAndGrad((t: Tensor) => ops.relu(t).mul(wt).sum())(x!);
                value.dispose();
                return grads[0]!;
              }, expected, EXACT);
            } finally {
              wt.dispose();
            }
          }),
        ),
        { numRuns },
      );
    });

    it('layerNorm over the last axis of strided views', async () => {
      const arbCase = arbShape({ minRank: 1, maxRank: 3, maxDim: 7 }).chain((s) => {
        const d = s[s.length - 1]!;
        const vec = fc.array(fc.float({ min: -2, max: 2, noNaN: true }), { minLength: d, maxLength: d });
        return fc.tuple(arbView(s, arbFloat32({ min: -8, max: 8 })), vec, vec, fc.constantFrom(1e-5, 1e-3, 0.5));
      });
      await fc.assert(
        fc.asyncProperty(arbCase, ([v, gamma, beta, eps]) =>
          withViews([v], async ([x]) => {
            const g = ops.tensor(gamma, { runtime: rt });
            const b = ops.tensor(beta, { runtime: rt });
            try {
              const expected = ref.layerNormRef(v.host, gamma.map(Math.fround), beta.map(Math.fround), eps);
              await check(() => ops.layerNorm(x!, g, b, eps), expected.out.data, { rtol: 2e-6, atol: 1e-6 }, expected.scale);
            } finally {
              g.dispose();
              b.dispose();
            }
          }),
        ),
        { numRuns },
      );
    });

    /** Uniform float32 values in [lo, hi) from a seed (xorshift), for cases whose inputs are not views. */
    function seeded(seed: number): (lo: number, hi: number) => number {
      let s = (seed | 0) || 1;
      return (lo, hi) => {
        s ^= s << 13;
        s ^= s >>> 17;
        s ^= s << 5;
        return Math.fround(lo + ((s >>> 0) / 2 ** 32) * (hi - lo));
      };
    }
    // float32 summation of k terms: each output within 2·(k + 8)·2⁻²⁴ of Σ|terms| (and never tighter than `acc`)
    const sumTolerance = (k: number): Tolerance => ({ rtol: Math.max(acc, 2 * (k + 8) * 2 ** -24), atol: 1e-30 });

    it('packedMatmul: 1-, 2-, 4- and 8-bit codes (signed, or unsigned with zero-points; per row or per group of 32) against float64', async () => {
      const arbCase = fc.record({
        m: fc.integer({ min: 1, max: 4 }),
        n: fc.integer({ min: 1, max: 6 }),
        k: fc.constantFrom(3, 32, 64, 96, 128, 256),
        bits: fc.constantFrom(1, 2, 4, 8),
        grouped: fc.boolean(),
        signed: fc.boolean(),
        seed: fc.integer(),
      });
      await fc.assert(
        fc.asyncProperty(arbCase, async ({ m, n, k, bits, grouped, signed, seed }) => {
          const next = seeded(seed);
          const groupSize = grouped && k % 32 === 0 ? 32 : k;
          const groups = k / groupSize;
          const levels = 2 ** bits;
          const per = 8 / bits;
          const bytesPerRow = Math.ceil(k / per);
          const raw = Array.from({ length: n * k }, () => Math.floor(next(0, 1) * levels) % levels);
          const value = (r: number, p: number) => (signed && raw[r * k + p]! >= levels / 2 ? raw[r * k + p]! - levels : raw[r * k + p]!);
          // little-endian along K, low bits first: code p of a row is field p mod per of byte ⌊p / per⌋
          const packed = new Uint8Array(n * bytesPerRow);
          for (let r = 0; r < n; r++) for (let p = 0; p < k; p++) packed[r * bytesPerRow + Math.floor(p / per)]! |= raw[r * k + p]! << (bits * (p % per));
          const scales = Array.from({ length: n * groups }, () => next(0.01, 0.1));
          const zeros = signed ? undefined : Array.from({ length: n * groups }, () => Math.floor(next(0, 1) * levels) % levels);
          const xs = Array.from({ length: m * k }, () => next(-1, 1));
          const { out, scale } = ref.intRowsMatmulRef(xs, m, value, n, k, groupSize, scales, zeros);
          const x = ops.tensor(xs, { runtime: rt, shape: [m, k] });
          const codes = ops.tensor(packed, { runtime: rt, shape: [n, bytesPerRow] });
          const tables = ops.tensor(scales, { runtime: rt, shape: [n, groups] });
          const zp = zeros === undefined ? undefined : ops.tensor(zeros, { runtime: rt, shape: [n, groups] });
          try {
            const weights = { kind: 'int', bits, shape: [n, k], groupSize, signed } as const;
            await check(() => ops.packedMatmul(x, codes, tables, weights, zp), out, sumTolerance(k), scale);
          } finally {
            [x, codes, tables, zp].forEach((t) => t?.dispose());
          }
        }),
        { numRuns: 2 * numRuns },
      );
    });

    it('packedMatmul: product-quantized weights (codebook × uint8 codes) against float64', async () => {
      const arbCase = fc.record({
        m: fc.integer({ min: 1, max: 4 }),
        n: fc.integer({ min: 1, max: 6 }),
        blockSize: fc.constantFrom(1, 2, 4),
        blocks: fc.integer({ min: 1, max: 8 }),
        centroids: fc.integer({ min: 1, max: 16 }),
        seed: fc.integer(),
      });
      await fc.assert(
        fc.asyncProperty(arbCase, async ({ m, n, blockSize, blocks, centroids, seed }) => {
          const next = seeded(seed);
          const k = blockSize * blocks;
          const book = Array.from({ length: centroids * blockSize }, () => next(-1, 1));
          const picks = Uint8Array.from({ length: n * blocks }, () => Math.floor(next(0, 1) * centroids) % centroids);
          const xs = Array.from({ length: m * k }, () => next(-1, 1));
          const w: ref.HostTensor = ref.build([k, n], ([p, r]) => book[picks[r! * blocks + Math.floor(p! / blockSize)]! * blockSize + (p! % blockSize)]!);
          const xh: ref.HostTensor = { shape: [m, k], data: Float64Array.from(xs) };
          const expected = ref.matmulRef(xh, w).data;
          const scale = ref.matmulRef(ref.map([xh], Math.abs), ref.map([w], Math.abs)).data;
          const x = ops.tensor(xs, { runtime: rt, shape: [m, k] });
          const codes = ops.tensor(picks, { runtime: rt, shape: [n, blocks] });
          const codebook = ops.tensor(book, { runtime: rt, shape: [centroids, blockSize] });
          try {
            const weights = { kind: 'pq', shape: [n, k], blockSize, centroids } as const;
            await check(() => ops.packedMatmul(x, codes, codebook, weights), expected, sumTolerance(k), scale);
          } finally {
            [x, codes, codebook].forEach((t) => t.dispose());
          }
        }),
        { numRuns },
      );
    });

    it('lstmSequence and its gradient (backpropagation through time) against float64 and its central differences', async () => {
      const arbCase = fc.record({
        b: fc.integer({ min: 1, max: 3 }),
        steps: fc.integer({ min: 1, max: 4 }),
        hidden: fc.integer({ min: 1, max: 5 }),
        seed: fc.integer(),
      });
      await fc.assert(
        fc.asyncProperty(arbCase, async ({ b, steps, hidden, seed }) => {
          const next = seeded(seed);
          const h4 = 4 * hidden;
          const host = {
            xp: Array.from({ length: b * steps * h4 }, () => next(-2, 2)),
            wh: Array.from({ length: hidden * h4 }, () => next(-0.8, 0.8)),
            h0: Array.from({ length: b * hidden }, () => next(-1, 1)),
            c0: Array.from({ length: b * hidden }, () => next(-1, 1)),
          };
          const weight = Array.from({ length: b * steps * 2 * hidden }, () => next(-1, 1));
          const shapes = { xp: [b, steps, h4], wh: [hidden, h4], h0: [b, hidden], c0: [b, hidden] };
          const names = ['xp', 'wh', 'h0', 'c0'] as const;
          const loss64 = (which: (typeof names)[number], v: Float64Array): number => {
            const args = { ...host, [which]: v };
            const y = ref.lstmSequenceRef(args.xp, args.wh, args.h0, args.c0, b, steps, hidden);
            return y.reduce((a, yv, i) => a + yv * weight[i]!, 0);
          };
          const ts = names.map((nm) => ops.tensor(host[nm], { runtime: rt, shape: shapes[nm] }));
          const wt = ops.tensor(weight, { runtime: rt, shape: [b, steps, 2, hidden] });
          try {
            const [xp, wh, h0, c0] = ts as [Tensor, Tensor, Tensor, Tensor];
            await check(() => ops.lstmSequence(xp, wh, h0, c0), ref.lstmSequenceRef(host.xp, host.wh, host.h0, host.c0, b, steps, hidden), { rtol: 8 * trans.rtol, atol: 8 * trans.atol });
            const { value, grads } = valueAndGrad((...a: Tensor[]) => ops.lstmSequence(a[0]!, a[1]!, a[2]!, a[3]!).mul(wt).sum())(xp, wh, h0, c0);
            value.dispose();
            for (const [i, nm] of names.entries()) {
              const expected = ref.centralDifferences((v) => loss64(nm, v), host[nm]);
              await check(() => grads[i]!, expected, { rtol: 1e-4, atol: 2e-5 });
            }
          } finally {
            [...ts, wt].forEach((t) => t.dispose());
          }
        }),
        { numRuns },
      );
    });

    it('read and readSync return arrays the caller owns (not the buffer, not memory the backend reuses)', async () => {
      const backend = rt.backend();
      const id = backend.alloc('float32', 3);
      try {
        backend.write(id, new Float32Array([1, 2, 3]));
        const first = await backend.read(id);
        first[0] = 99;
        expect(Array.from(await backend.read(id))).toEqual([1, 2, 3]);
        if (backend.readSync) {
          const sync = backend.readSync(id);
          sync[1] = 99;
          expect(Array.from(backend.readSync(id))).toEqual([1, 2, 3]);
        }
      } finally {
        backend.decRef(id);
      }
      // a tensor's data survives the tensor: its buffer's memory may be reused by the next tensors of that size
      const size = 1 << 15;
      const t = ops.tensor(Float32Array.from({ length: size }, (_, i) => i), { runtime: rt });
      const data = await t.data();
      const dataSync = backend.readSync ? t.dataSync() : undefined;
      t.dispose();
      const others = Array.from({ length: 4 }, () => ops.full([size], -1, { runtime: rt }));
      await Promise.all(others.map((o) => o.data()));
      others.forEach((o) => o.dispose());
      expect(data[size - 1]).toBe(size - 1);
      expect(Array.from(data.slice(0, 4))).toEqual([0, 1, 2, 3]);
      if (dataSync) expect(dataSync[size - 1]).toBe(size - 1);
    });

    it('memory: 1000 scoped iterations leave no buffer behind', async () => {
      const x = ops.tensor([[1, 2, 3], [4, 5, 6]], { runtime: rt });
      const before = rt.memory();
      for (let i = 0; i < 1000; i++) {
        scope(() => {
          const y = x.transpose().matmul(x).softmax(-1);
          y.sum();
        });
      }
      await rt.backend().sync();
      expect(rt.memory()).toEqual(before);
      x.dispose();
    });
  });
}

/** float64 erf by its Maclaurin series / continued fraction, for the reference. */
function erf64(x: number): number {
  const ax = Math.abs(x);
  let r: number;
  if (ax < 3) {
    let term = ax;
    let total = ax;
    for (let n = 1; n < 100; n++) {
      term *= (-ax * ax) / n;
      total += term / (2 * n + 1);
    }
    r = (2 / Math.sqrt(Math.PI)) * total;
  } else {
    let f = ax;
    for (let n = 80; n >= 1; n--) f = ax + n / 2 / f;
    r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  }
  return x < 0 ? -r : r;
}
