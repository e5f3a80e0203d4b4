/** Tolerances of a comparison: |actual − expected| ≤ atol + rtol·|scale| (scale defaults to |expected|). */
export interface Tolerance {
  rtol: number;
  atol: number;
}

/**
 * Finds the first element where `actual` differs from the float64 `expected` beyond the tolerance. NaN must meet NaN,
 * ±Inf must meet the same infinity. Returns a message naming the index and both values, or undefined.
 */
export function firstMismatch(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tolerance, scale?: ArrayLike<number>): string | undefined {
  if (actual.length !== expected.length) return `length ${actual.length} ≠ expected ${expected.length}`;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(e) || Number.isNaN(a)) {
      if (Number.isNaN(e) && Number.isNaN(a)) continue;
      return `element ${i}: got ${a}, expected ${e}`;
    }
    if (!Number.isFinite(e) || !Number.isFinite(a)) {
      if (a === e) continue;
      // a float32 overflow of a finite float64 value is the correctly rounded result
      if (Number.isFinite(e) && Math.fround(e) === a) continue;
      return `element ${i}: got ${a}, expected ${e}`;
    }
    const s = scale ? Math.abs(scale[i]!) : Math.abs(e);
    if (Math.abs(a - e) > tol.atol + tol.rtol * s) return `element ${i}: got ${a}, expected ${e} (|diff| ${Math.abs(a - e)} > ${tol.atol} + ${tol.rtol}·${s})`;
  }
  return undefined;
}
