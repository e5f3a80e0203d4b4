import type { PackedTensor } from '@nibble/quantizers';

/** Reads packed b-bit codes (low bits first, `ceil(cols·bits/8)` bytes per row), sign-extended when `signed`. */
function readCodes(p: PackedTensor, rows: number, cols: number, bits: number, signed: boolean): Int32Array {
  const perByte = 8 / bits;
  const bytesPerRow = Math.ceil(cols / perByte);
  const out = new Int32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      let v = (p.codes[r * bytesPerRow + Math.floor(c / perByte)]! >> (bits * (c % perByte))) & ((1 << bits) - 1);
      if (signed && v >= 1 << (bits - 1)) v -= 1 << bits;
      out[r * cols + c] = v;
    }
  }
  return out;
}

/**
 * Decodes a {@link PackedTensor} to float32 values (row-major, the original shape), written independently of any
 * quantizer: int codes `(code − zeroPoint)·scale` rounded to float32 per (row, group) or per tensor; PQ
 * `codebook[code]`.
 *
 * @example
 * ```ts
 * expect(dequantize(q.export(w))).toEqual(evalForwardValues); // §1.4.8
 * ```
 */
export function dequantize(p: PackedTensor): Float32Array {
  const [rows, cols] = p.layout.shape;
  const out = new Float32Array(rows * cols);
  if (p.layout.kind === 'pq') {
    const d = p.layout.blockSize;
    const blocks = cols / d;
    for (let r = 0; r < rows; r++) {
      for (let b = 0; b < blocks; b++) {
        const code = p.codes[r * blocks + b]!;
        for (let t = 0; t < d; t++) out[r * cols + b * d + t] = p.tables[code * d + t]!;
      }
    }
    return out;
  }
  const { bits, groupSize, signed } = p.layout;
  const codes = readCodes(p, rows, cols, bits, signed);
  const groupsPerRow = cols / groupSize;
  for (let i = 0; i < codes.length; i++) {
    const r = Math.floor(i / cols);
    const g = p.tables.length === 1 ? 0 : r * groupsPerRow + Math.floor((i % cols) / groupSize);
    const z = p.zeroPoints ? p.zeroPoints[p.zeroPoints.length === 1 ? 0 : g]! : 0;
    out[i] = Math.fround((codes[i]! - z) * p.tables[g]!);
  }
  return out;
}
