import type { Tensor } from '@nibble/core';
import { QuantizerCalibrationError, QuantizerShapeError } from '../errors.ts';

/** Host values of a tensor as stored (Float32Array, or Float64Array on a float64 reference backend). */
export function hostValues(t: Tensor): Float32Array | Float64Array {
  const v = t.hostValuesSync();
  return v instanceof Float64Array ? v : Float32Array.from(v);
}

/** A weight viewed as a matrix [rows, cols] (spec §0): rows = C_out, cols = the rest flattened. */
export function matrixShape(shape: readonly number[]): [number, number] {
  const n = shape.reduce((a, d) => a * d, 1);
  const rows = shape.length === 0 ? 1 : shape[0]!;
  return [rows, rows === 0 ? 0 : n / rows];
}

/** Quantization groups: one for per-tensor, one per output row (axis 0) for per-channel. */
export function groupsOf(shape: readonly number[], granularity: 'tensor' | 'channel'): { groups: number; groupLen: number } {
  const [rows, cols] = matrixShape(shape);
  return granularity === 'channel' ? { groups: rows, groupLen: cols } : { groups: 1, groupLen: rows * cols };
}

/** Shape [G, 1, 1, ...] (rank of `shape`) that broadcasts one value per group against the weight. */
export function groupBroadcastShape(shape: readonly number[], granularity: 'tensor' | 'channel'): number[] {
  if (shape.length === 0) return [];
  return shape.map((d, i) => (i === 0 && granularity === 'channel' ? d : 1));
}

/** Throws when calibration data holds NaN or ±Inf (a NaN range would turn every output into NaN, spec §1.5). */
export function assertFinite(where: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) {
      throw new QuantizerCalibrationError(`${where}: calibration got ${v} at flat index ${i}; expected finite weights (no NaN or ±Inf)`);
    }
  }
}

/** Throws when a tensor's shape differs from the one the quantizer was created for. */
export function assertShape(where: string, expected: readonly number[], got: readonly number[]): void {
  if (expected.length !== got.length || expected.some((d, i) => d !== got[i])) {
    throw new QuantizerShapeError(`${where}: tensor has shape [${got.join(',')}]; expected [${expected.join(',')}] (the shape given to create)`);
  }
}
