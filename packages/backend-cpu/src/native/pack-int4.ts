// Packing and unpacking of int4 codes (two per byte, low nibble first), shared by tests, exporters and the bench.
import { dim, exactLength } from './checks.js';
import { NativeArgumentError } from './errors.js';

/**
 * Packs integer codes `[rows, cols]` into `rows × ⌈cols/2⌉` bytes, low nibble first. Signed codes must lie in
 * −8…7 (stored as two's complement), unsigned in 0…15.
 *
 * @example
 * ```ts
 * packInt4(Int8Array.of(1, -2, 3), 1, 3, true); // Uint8Array [0xe1, 0x03]
 * ```
 */
export function packInt4(codes: ArrayLike<number>, rows: number, cols: number, signed: boolean): Uint8Array {
  const fn = 'packInt4';
  dim(fn, 'rows', rows);
  dim(fn, 'cols', cols);
  exactLength(fn, 'codes', codes, rows * cols, `[${rows}, ${cols}]`);
  const lo = signed ? -8 : 0;
  const hi = signed ? 7 : 15;
  const rowBytes = Math.ceil(cols / 2);
  const out = new Uint8Array(rows * rowBytes);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      const v = codes[r * cols + c] ?? NaN;
      if (!Number.isInteger(v) || v < lo || v > hi) {
        throw new NativeArgumentError(`${fn}: codes[${r * cols + c}] = ${v}, expected an integer in ${lo}…${hi}`);
      }
      const byte = r * rowBytes + (c >> 1);
      out[byte] = (out[byte] ?? 0) | ((v & 15) << ((c & 1) * 4));
    }
  return out;
}

/** Inverse of {@link packInt4}. */
export function unpackInt4(packed: Uint8Array, rows: number, cols: number, signed: boolean): Int8Array {
  const fn = 'unpackInt4';
  const rowBytes = Math.ceil(dim(fn, 'cols', cols) / 2);
  exactLength(fn, 'packed', packed, dim(fn, 'rows', rows) * rowBytes, `${rows} rows × ${rowBytes} bytes`);
  const out = new Int8Array(rows * cols);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      const nibble = ((packed[r * rowBytes + (c >> 1)] ?? 0) >> ((c & 1) * 4)) & 15;
      out[r * cols + c] = signed ? ((nibble ^ 8) - 8) : nibble;
    }
  return out;
}
