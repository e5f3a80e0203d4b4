// Forward values of core's composite ops (softmax, logSoftmax, logSumExp, mean, variance, min, relu, gelu, clamp,
// abs, sign, square, rsqrt, oneHot, stack/split, where with scalars) against float64 formulas computed on the host.
// Gradcheck holds their gradients to their own forward; this holds the forward to the textbook definition (exact erf
// GELU, population variance, oneHot zeros outside [0, depth), ...).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as nb from '@nibble/core';
import { createRuntime, scope, type Tensor } from '@nibble/core';
import { cpuFactory } from '../src/index.ts';

const runtime = createRuntime({ backends: [cpuFactory()] });
const on = { runtime };

const shapeArb = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 });
const valuesArb = (n: number, min = -6, max = 6) => fc.array(fc.double({ min, max, noNaN: true }).map(Math.fround), { minLength: n, maxLength: n });
const caseArb = shapeArb.chain((shape) =>
  fc.record({ shape: fc.constant(shape), values: valuesArb(shape.reduce((a, d) => a * d, 1)), axis: fc.integer({ min: -shape.length, max: shape.length - 1 }), keepDims: fc.boolean() }),
);

/** Flat indices of every 1-D slice along `axis` of a row-major `shape`. */
function slices(shape: readonly number[], axis: number): number[][] {
  const stride = shape.slice(axis + 1).reduce((a, d) => a * d, 1);
  const outer = shape.slice(0, axis).reduce((a, d) => a * d, 1);
  const n = shape[axis]!;
  const out: number[][] = [];
  for (let o = 0; o < outer; o++) for (let i = 0; i < stride; i++) out.push(Array.from({ length: n }, (_, k) => o * n * stride + k * stride + i));
  return out;
}

/** Per-slice reduction along `axis`, in the order the output (with or without keepDims) stores it. */
const reduceAlong = (v: readonly number[], shape: readonly number[], axis: number, f: (xs: number[]) => number) => slices(shape, axis).map((ix) => f(ix.map((i) => v[i]!)));
/** Per-slice elementwise map along `axis`, scattered back in place. */
function mapAlong(v: readonly number[], shape: readonly number[], axis: number, f: (xs: number[]) => number[]): number[] {
  const out = new Array<number>(v.length);
  for (const ix of slices(shape, axis)) f(ix.map((i) => v[i]!)).forEach((y, k) => (out[ix[k]!] = y));
  return out;
}

const lse = (xs: number[]) => {
  const m = Math.max(...xs);
  return m + Math.log(xs.reduce((s, x) => s + Math.exp(x - m), 0));
};
const meanOf = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

/** erf by its Maclaurin series, exact to ~1e-10 in float64 for |x| ≤ 4. */
function erf(x: number): number {
  let term = x;
  let sum = x;
  for (let n = 1; n < 80; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

function expectClose(got: ArrayLike<number>, expected: readonly number[], what: string, rtol = 2e-5, atol = 1e-6): void {
  expect(got.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    expect(Math.abs(got[i]! - e) <= atol + rtol * Math.abs(e), `${what}[${i}]: got ${got[i]}, expected ${e}`).toBe(true);
  }
}

const input = (shape: readonly number[], values: readonly number[]): Tensor => nb.tensor(Float32Array.from(values), { ...on, shape: [...shape] });

describe('composite ops against float64 formulas', () => {
  it('softmax, logSoftmax, logSumExp, mean, variance (population) and min along an axis, with keepDims', () => {
    fc.assert(
      fc.property(caseArb, ({ shape, values, axis, keepDims }) =>
        scope(() => {
          const a = axis < 0 ? axis + shape.length : axis;
          const x = input(shape, values);
          const reducedShape = keepDims ? shape.map((d, i) => (i === a ? 1 : d)) : shape.filter((_, i) => i !== a);
          expectClose(x.softmax(axis).hostValuesSync(), mapAlong(values, shape, a, (xs) => xs.map((v) => Math.exp(v - lse(xs)))), 'softmax');
          expectClose(x.logSoftmax(axis).hostValuesSync(), mapAlong(values, shape, a, (xs) => xs.map((v) => v - lse(xs))), 'logSoftmax');
          for (const [name, y, f] of [
            ['logSumExp', x.logSumExp(axis, keepDims), lse],
            ['mean', x.mean(axis, keepDims), meanOf],
            ['variance', x.variance(axis, keepDims), (xs: number[]) => meanOf(xs.map((v) => (v - meanOf(xs)) ** 2))],
            ['min', x.min(axis, keepDims), (xs: number[]) => Math.min(...xs)],
          ] as const) {
            expect(y.shape, name).toEqual(reducedShape);
            expectClose(y.hostValuesSync(), reduceAlong(values, shape, a, f), name, 2e-5, 2e-6);
          }
        }),
      ),
      { numRuns: 150 },
    );
  });

  it('relu, exact-erf GELU, clamp, abs, sign, square and rsqrt elementwise (with ±0)', () => {
    fc.assert(
      fc.property(
        shapeArb.chain((s) => fc.tuple(fc.constant(s), valuesArb(s.reduce((a, d) => a * d, 1), -4, 4).map((v) => (v.length > 1 ? [0, -0, ...v.slice(2)] : v)))),
        fc.double({ min: -3, max: 0, noNaN: true }).map(Math.fround),
        fc.double({ min: 0, max: 3, noNaN: true }).map(Math.fround),
        ([shape, values], lo, hi) =>
          scope(() => {
            const x = input(shape, values);
            expectClose(nb.relu(x).hostValuesSync(), values.map((v) => Math.max(v, 0)), 'relu', 0, 0);
            expectClose(nb.gelu(x).hostValuesSync(), values.map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2))), 'gelu');
            expectClose(nb.clamp(x, lo, hi).hostValuesSync(), values.map((v) => Math.min(Math.max(v, lo), hi)), 'clamp', 0, 0);
            expectClose(nb.abs(x).hostValuesSync(), values.map(Math.abs), 'abs', 0, 0);
            expectClose(nb.sign(x).hostValuesSync(), values.map((v) => (v > 0 ? 1 : v < 0 ? -1 : 0)), 'sign', 0, 0);
            expectClose(nb.square(x).hostValuesSync(), values.map((v) => Math.fround(v * v)), 'square', 0, 0);
            const positive = values.map((v) => Math.fround(Math.abs(v) + 0.01));
            expectClose(nb.rsqrt(input(shape, positive)).hostValuesSync(), positive.map((v) => 1 / Math.sqrt(v)), 'rsqrt');
          }),
      ),
      { numRuns: 150 },
    );
  });

  it('oneHot: 1 at the index, all-zero rows for indices outside [0, depth)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -3, max: 8 }), { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 6 }), (indices, depth) =>
        scope(() => {
          const y = nb.oneHot(nb.tensor(Int32Array.from(indices), on), depth);
          expect(y.shape).toEqual([indices.length, depth]);
          expect(Array.from(y.hostValuesSync())).toEqual(indices.flatMap((i) => Array.from({ length: depth }, (_, j) => (j === i ? 1 : 0))));
        }),
      ),
      { numRuns: 150 },
    );
  });

  it('stack then split along any axis gives the inputs back; where takes scalar branches', () => {
    fc.assert(
      fc.property(caseArb, fc.integer({ min: 1, max: 3 }), ({ shape, values, axis }, count) =>
        scope(() => {
          const xs = Array.from({ length: count }, (_, k) => input(shape, values.map((v) => v + k)));
          const a = axis < 0 ? axis + shape.length + 1 : axis; // stack axis in [0, rank]
          const stacked = nb.stack(xs, a);
          expect(stacked.shape).toEqual([...shape.slice(0, a), count, ...shape.slice(a)]);
          nb.split(stacked, count, a).forEach((piece, k) => expect(Array.from(piece.squeeze(a).hostValuesSync())).toEqual(values.map((v) => Math.fround(v + k))));
          const x = input(shape, values);
          const w = nb.where(nb.gt(x, 0), 1, -1);
          expect(Array.from(w.hostValuesSync())).toEqual(values.map((v) => (v > 0 ? 1 : -1)));
        }),
      ),
      { numRuns: 100 },
    );
  });
});
