import { roundToFloat16 } from '../common/fp16.ts';

/**
 * IEEE half-precision bits of `value`, which must be exactly representable (a PQ codebook is kept on the fp16 grid
 * by its quantizer, so storing it as F16 loses nothing). Returns undefined when it is not.
 */
export function float16BitsExact(value: number): number | undefined {
  if (Number.isNaN(value)) return 0x7e00;
  if (roundToFloat16(value) !== value) return undefined;
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const a = Math.abs(value);
  if (a === 0) return sign;
  if (a === Infinity) return sign | 0x7c00;
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  if (e < -14) return sign | (a / 2 ** -24); // subnormal: an exact multiple of 2^−24
  return sign | ((e + 15) << 10) | ((a / 2 ** e - 1) * 1024);
}

/** The number IEEE half-precision `bits` encode. */
export function float16Value(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? Number.NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}
