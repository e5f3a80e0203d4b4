/** Float32 machine epsilon 2^−23: the smallest scale a calibrated grid may have (spec §1.1). */
export const SCALE_EPSILON = 2 ** -23;

/** Integer code range and kind of a uniform grid. */
export interface UniformGrid {
  readonly bits: number;
  /** 'affine' (unsigned codes with a zero-point), 'symmetric' (signed codes, zero-point 0) or 'binary' (b = 1: ±α). */
  readonly kind: 'affine' | 'symmetric' | 'binary';
  /** Symmetric only: 'narrow' [−Q_P, Q_P] or 'full' [−2^{b−1}, 2^{b−1}−1]. */
  readonly range: 'narrow' | 'full';
  readonly qmin: number;
  readonly qmax: number;
}

/**
 * The code range of a b-bit grid (spec §1.1): affine [0, 2^b − 1]; symmetric narrow [−Q_P, Q_P] with
 * Q_P = 2^{b−1} − 1; symmetric full [−2^{b−1}, 2^{b−1} − 1]; b = 1 is always the binary grid {−α, +α}.
 */
export function uniformGrid(bits: number, scheme: 'affine' | 'symmetric', range: 'narrow' | 'full' = 'narrow'): UniformGrid {
  if (bits === 1) return { bits, kind: 'binary', range, qmin: 0, qmax: 1 };
  if (scheme === 'affine') return { bits, kind: 'affine', range, qmin: 0, qmax: 2 ** bits - 1 };
  const half = 2 ** (bits - 1);
  return range === 'narrow'
    ? { bits, kind: 'symmetric', range, qmin: -(half - 1), qmax: half - 1 }
    : { bits, kind: 'symmetric', range, qmin: -half, qmax: half - 1 };
}

/** Round half to even on doubles (NumPy `rint`): 0.5 → 0, 1.5 → 2, −2.5 → −2. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Scale and zero-point of a grid for the clipping range [lo, hi] (zero already included), in float32 arithmetic
 * exactly as PyTorch's observers compute them: affine s = max((hi − lo)/(q_max − q_min), ε),
 * z = clamp(q_min − round(lo/s)); symmetric narrow s = max(|lo|, |hi|)/Q_P; symmetric full
 * s = max(|lo|, |hi|)/((q_max − q_min)/2) (PyTorch's qint8 convention).
 */
export function scaleAndZeroPoint(grid: UniformGrid, lo: number, hi: number): { scale: number; zeroPoint: number } {
  const f = Math.fround;
  if (grid.kind === 'affine') {
    const scale = Math.max(f(f(hi - lo) / (grid.qmax - grid.qmin)), SCALE_EPSILON);
    const z = grid.qmin - roundHalfEven(f(lo / scale));
    return { scale, zeroPoint: Math.min(Math.max(z, grid.qmin), grid.qmax) };
  }
  const m = Math.max(Math.abs(lo), Math.abs(hi));
  const denom = grid.range === 'narrow' ? grid.qmax : (grid.qmax - grid.qmin) / 2;
  return { scale: Math.max(f(m / denom), SCALE_EPSILON), zeroPoint: 0 };
}

/** The integer code of x, as the fused `fakeQuant` kernel computes it: clamp(round(fround(x/s)) + z, q_min, q_max). */
export function codeOf(x: number, scale: number, zeroPoint: number, qmin: number, qmax: number): number {
  const q = roundHalfEven(Math.fround(x / scale)) + zeroPoint;
  return q < qmin ? qmin : q > qmax ? qmax : q;
}

/** Fake quantization of one value, bit-identical to the `fakeQuant` kernel: fround((code − z)·s). */
export function fakeQuantValue(x: number, scale: number, zeroPoint: number, qmin: number, qmax: number): number {
  return Math.fround((codeOf(x, scale, zeroPoint, qmin, qmax) - zeroPoint) * scale);
}

/** Bits of the storage container for b-bit codes: 1, 2, 4 or 8. */
export function containerBits(bits: number): 1 | 2 | 4 | 8 {
  return bits <= 1 ? 1 : bits <= 2 ? 2 : bits <= 4 ? 4 : 8;
}
