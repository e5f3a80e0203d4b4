import fc from 'fast-check';
import type { Runtime } from '../runtime/runtime.ts';
import { expand, permute, slice } from '../ops/movement.ts';
import { tensor } from '../ops/create.ts';
import type { Tensor } from '../tensor.ts';
import { build, expandRef, type HostTensor, permute as permuteRef, sliceRef } from './reference.ts';

/** Float32 values including the edge cases kernels get wrong: NaN, ±Inf, −0, denormals, tiny and huge magnitudes. */
export function arbFloat32(options: { edge?: boolean; min?: number; max?: number } = {}): fc.Arbitrary<number> {
  const min = options.min ?? -1e3;
  const max = options.max ?? 1e3;
  const regular = fc.float({ min: Math.fround(min), max: Math.fround(max), noNaN: true, noDefaultInfinity: true });
  if (!options.edge) return regular;
  return fc.oneof(
    { weight: 6, arbitrary: regular },
    { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, -0, 0, 1.4e-45, -1e-38, 1e-30, 3e38, -3e38, 0.5, -0.5, 1.5, 2.5) },
  );
}

/** A shape of rank `minRank..maxRank` with sizes 1..maxDim. */
export function arbShape(opts: { minRank?: number; maxRank?: number; maxDim?: number } = {}): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: 1, max: opts.maxDim ?? 5 }), { minLength: opts.minRank ?? 0, maxLength: opts.maxRank ?? 3 });
}

/** How a test tensor is laid out in its buffer. */
export type Layout = 'contiguous' | 'permuted' | 'sliced' | 'broadcast';

/** A recipe for a tensor with a given logical shape and a chosen strided layout, plus its float64 logical values. */
export interface ViewCase {
  readonly layout: Layout;
  readonly host: HostTensor;
  /** Creates the (possibly non-contiguous) tensor on a runtime; dispose it after use. */
  make(rt: Runtime): Tensor;
}

/** Tensors of logical shape `shape` laid out contiguously, permuted, sliced out of a larger buffer, or broadcast. */
export function arbView(shape: readonly number[], values: fc.Arbitrary<number> = arbFloat32()): fc.Arbitrary<ViewCase> {
  const rank = shape.length;
  const n = shape.reduce((a, d) => a * d, 1);
  const layouts: fc.Arbitrary<Layout> = fc.constantFrom<Layout>('contiguous', 'permuted', 'sliced', 'broadcast');
  return layouts.chain((layout) => {
    if (layout === 'permuted' && rank >= 2) {
      return fc.tuple(fc.shuffledSubarray([...Array(rank).keys()], { minLength: rank, maxLength: rank }), fc.array(values, { minLength: n, maxLength: n })).map(([perm, vals]) => {
        // base has shape perm-applied; permuting base by `inverse` yields `shape`.
        const inverse = new Array<number>(rank);
        perm.forEach((p, i) => (inverse[p] = i));
        const baseShape = perm.map((p) => shape[p]!);
        const base = build(baseShape, () => 0);
        base.data.set(vals.map(Math.fround));
        return { layout, host: permuteRef(base, inverse), make: (rt: Runtime) => viewOf(rt, base, (t) => permute(t, inverse)) };
      });
    }
    if (layout === 'sliced' && rank >= 1) {
      return fc.tuple(fc.array(fc.integer({ min: 0, max: 2 }), { minLength: rank, maxLength: rank }), fc.array(fc.integer({ min: 0, max: 2 }), { minLength: rank, maxLength: rank })).chain(([before, after]) => {
        const baseShape = shape.map((d, i) => d + before[i]! + after[i]!);
        const m = baseShape.reduce((a, d) => a * d, 1);
        return fc.array(values, { minLength: m, maxLength: m }).map((vals) => {
          const base = build(baseShape, () => 0);
          base.data.set(vals.map(Math.fround));
          return { layout, host: sliceRef(base, before, shape), make: (rt: Runtime) => viewOf(rt, base, (t) => slice(t, before, shape)) };
        });
      });
    }
    if (layout === 'broadcast' && rank >= 1) {
      return fc.array(fc.boolean(), { minLength: rank, maxLength: rank }).chain((ones) => {
        const baseShape = shape.map((d, i) => (ones[i] ? 1 : d));
        const m = baseShape.reduce((a, d) => a * d, 1);
        return fc.array(values, { minLength: m, maxLength: m }).map((vals) => {
          const base = build(baseShape, () => 0);
          base.data.set(vals.map(Math.fround));
          return { layout, host: expandRef(base, shape), make: (rt: Runtime) => viewOf(rt, base, (t) => expand(t, shape)) };
        });
      });
    }
    return fc.array(values, { minLength: n, maxLength: n }).map((vals) => {
      const base = build(shape, () => 0);
      base.data.set(vals.map(Math.fround));
      return { layout: 'contiguous' as Layout, host: base, make: (rt: Runtime) => viewOf(rt, base, (t) => t.clone()) };
    });
  });
}

function viewOf(rt: Runtime, base: HostTensor, view: (t: Tensor) => Tensor): Tensor {
  const t = tensor(new Float32Array(base.data), { shape: base.shape, runtime: rt });
  try {
    return view(t);
  } finally {
    t.dispose();
  }
}

/** A shape `b` that broadcasts against `a` (some axes set to 1, some leading axes dropped). */
export function arbBroadcastPartner(a: readonly number[]): fc.Arbitrary<number[]> {
  return fc.tuple(fc.integer({ min: 0, max: a.length }), fc.array(fc.boolean(), { minLength: a.length, maxLength: a.length })).map(([drop, ones]) =>
    a.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d)),
  );
}
