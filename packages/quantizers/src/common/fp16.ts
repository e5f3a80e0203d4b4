/**
 * Rounds a number to the nearest IEEE half-precision value (round half to even), returned as a double: the values a
 * PQ codebook keeps when exported as fp16. Overflow gives ±Infinity, as a float16 cast does.
 */
export function roundToFloat16(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const a = Math.abs(x);
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  const ulp = 2 ** (Math.max(e, -14) - 10); // subnormals below 2^−14 share the 2^−24 spacing
  const m = a / ulp; // exact: ulp is a power of two
  let r = Math.round(m);
  if (r - m === 0.5 && r % 2 !== 0) r--;
  const v = r * ulp;
  return Math.sign(x) * (v > 65504 ? Infinity : v);
}
