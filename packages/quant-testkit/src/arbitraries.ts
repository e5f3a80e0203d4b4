import fc from 'fast-check';
import { type Runtime, type Tensor, tensor } from '@nibble/core';

/** Host description of a test tensor: its shape and float32 values (row-major). */
export interface TensorSpec {
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

/** Options of {@link arbTensor}. */
export interface ArbTensorOptions {
  /** A fixed shape; otherwise a random one of rank minRank..maxRank with sizes 1..maxDim. */
  readonly shape?: readonly number[];
  readonly minRank?: number;
  readonly maxRank?: number;
  readonly maxDim?: number;
  /** Magnitude range of the values (default 1e-3..1e2, both signs). */
  readonly min?: number;
  readonly max?: number;
  /** Mix in exact zeros, repeated values and half-integers (quantization's tie cases); default true. */
  readonly edgeValues?: boolean;
}

function arbValue(opts: ArbTensorOptions): fc.Arbitrary<number> {
  const max = opts.max ?? 100;
  const min = opts.min ?? 1e-3;
  const magnitude = fc.double({ min: Math.log(min), max: Math.log(max), noNaN: true }).map(Math.exp);
  const regular = fc.tuple(magnitude, fc.boolean()).map(([m, neg]) => Math.fround(neg ? -m : m));
  if (opts.edgeValues === false) return regular;
  return fc.oneof({ weight: 8, arbitrary: regular }, { weight: 1, arbitrary: fc.constantFrom(0, 0.5, -0.5, 1.5, -2.5, 1, -1) });
}

/**
 * Float32 tensors as host specs (shape + values), shrinkable by fast-check. Turn one into a tensor with
 * {@link specTensor} inside the property and dispose it there.
 *
 * @example
 * ```ts
 * fc.assert(fc.property(arbTensor({ shape: [4, 8] }), (spec) => { using w = specTensor(spec); ... }));
 * ```
 */
export function arbTensor(opts: ArbTensorOptions = {}): fc.Arbitrary<TensorSpec> {
  const shape: fc.Arbitrary<readonly number[]> = opts.shape
    ? fc.constant(opts.shape)
    : fc.array(fc.integer({ min: 1, max: opts.maxDim ?? 6 }), { minLength: opts.minRank ?? 1, maxLength: opts.maxRank ?? 3 });
  return shape.chain((s) => {
    const n = s.reduce((a, d) => a * d, 1);
    return fc.array(arbValue(opts), { minLength: n, maxLength: n }).map((vals) => ({ shape: [...s], values: Float32Array.from(vals) }));
  });
}

/** A [rows, cols] weight whose rows have different magnitudes (per-channel scales matter). */
export function arbWeight(shape: readonly [number, number]): fc.Arbitrary<TensorSpec> {
  return fc.tuple(arbTensor({ shape, max: 4, edgeValues: true }), fc.array(fc.double({ min: 0.05, max: 20, noNaN: true }), { minLength: shape[0], maxLength: shape[0] })).map(([t, rowScales]) => ({
    shape: t.shape,
    values: t.values.map((v, i) => Math.fround(v * rowScales[Math.floor(i / shape[1])]!)),
  }));
}

/** Creates the tensor of a spec on a runtime (default: the default runtime). */
export function specTensor(spec: TensorSpec, runtime?: Runtime): Tensor {
  return tensor(Float32Array.from(spec.values), runtime ? { shape: spec.shape, runtime } : { shape: spec.shape });
}
