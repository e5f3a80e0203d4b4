import type { PackedWeights } from '@nibble/core';
import { unpackCodes } from '../common/pack.ts';

/** The host arrays of a packed weight (as in a file or a `PackedTensor`). */
export interface PackedArrays {
  readonly layout: PackedWeights;
  readonly codes: Uint8Array;
  /** Scales (one, or one per row and group) or the PQ codebook [centroids, blockSize]. */
  readonly tables: Float32Array;
  /** Zero-points (one, or one per scale); absent for symmetric codes. */
  readonly zeroPoints?: Float32Array;
}

/**
 * Float32 weight [N, K] (row-major) that `packedMatmul` multiplies with: int codes `(code − zeroPoint)·scale` per
 * (row, group) or per tensor, PQ `codebook[code]`. Written from the layout alone, so it checks a quantizer's export.
 *
 * @example
 * ```ts
 * const w = dequantizePacked(quantizer.export(weight)); // equals the eval-mode forward bitwise
 * ```
 */
export function dequantizePacked(p: PackedArrays): Float32Array {
  const [rows, cols] = p.layout.shape;
  const out = new Float32Array(rows * cols);
  if (p.layout.kind === 'pq') {
    const d = p.layout.blockSize;
    const blocks = cols / d;
    for (let r = 0; r < rows; r++) {
      for (let b = 0; b < blocks; b++) {
        const code = p.codes[r * blocks + b]!;
        out.set(p.tables.subarray(code * d, code * d + d), r * cols + b * d);
      }
    }
    return out;
  }
  const { bits, groupSize, signed } = p.layout;
  const codes = unpackCodes(p.codes, rows, cols, bits, signed);
  const groupsPerRow = cols / groupSize;
  for (let i = 0; i < codes.length; i++) {
    const r = Math.floor(i / cols);
    const g = p.tables.length === 1 ? 0 : r * groupsPerRow + Math.floor((i % cols) / groupSize);
    const z = p.zeroPoints ? p.zeroPoints[p.zeroPoints.length === 1 ? 0 : g]! : 0;
    out[i] = Math.fround((codes[i]! - z) * p.tables[g]!);
  }
  return out;
}

/**
 * Scales or zero-points laid out as `packedMatmul` wants them, [N, K/groupSize]: a per-tensor value is repeated for
 * every row.
 */
export function perRowGroups(values: Float32Array, layout: Extract<PackedWeights, { kind: 'int' }>): Float32Array {
  const [rows, cols] = layout.shape;
  const n = rows * (cols / layout.groupSize);
  if (values.length === n) return values;
  return new Float32Array(n).fill(values[0]!);
}
