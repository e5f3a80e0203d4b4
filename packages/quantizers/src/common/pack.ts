/**
 * Packs integer codes of a [rows, cols] matrix into uint8 rows of `ceil(cols·bits/8)` bytes, low bits first
 * (the layout of `packedMatmul`). Signed codes are stored as two's complement truncated to `bits`.
 */
export function packCodes(codes: ArrayLike<number>, rows: number, cols: number, bits: 1 | 2 | 4 | 8): Uint8Array {
  const perByte = 8 / bits;
  const bytesPerRow = Math.ceil(cols / perByte);
  const mask = (1 << bits) - 1;
  const out = new Uint8Array(rows * bytesPerRow);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = codes[r * cols + c]! & mask;
      out[r * bytesPerRow + Math.floor(c / perByte)]! |= v << (bits * (c % perByte));
    }
  }
  return out;
}

/** Inverse of {@link packCodes}: codes as integers (sign-extended when `signed`). */
export function unpackCodes(packed: Uint8Array, rows: number, cols: number, bits: 1 | 2 | 4 | 8, signed: boolean): Int32Array {
  const perByte = 8 / bits;
  const bytesPerRow = Math.ceil(cols / perByte);
  const mask = (1 << bits) - 1;
  const out = new Int32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      let v = (packed[r * bytesPerRow + Math.floor(c / perByte)]! >> (bits * (c % perByte))) & mask;
      if (signed && v >= 1 << (bits - 1)) v -= 1 << bits;
      out[r * cols + c] = v;
    }
  }
  return out;
}
