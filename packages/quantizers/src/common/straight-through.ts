import { cast, customVjp, ge, le, stopGradient, type Tensor } from '@nibble/core';

/**
 * Value of `q`, gradient of the identity to `w` (spec §1.2 `steMode = "identity"`). Unlike `w + sg(q − w)`, the
 * value is `q` bitwise, so an eval forward equals the dequantized export exactly.
 */
export const straightThrough: (w: Tensor, q: Tensor) => Tensor = customVjp(
  (_w: Tensor, q: Tensor) => stopGradient(q),
  (_ctx, g) => [g.clone(), null],
);

/**
 * Value of `q`, gradient `g · 1[lo ≤ w ≤ hi]` to `w` (spec §1.2 clipped STE). `lo` and `hi` broadcast against `w`
 * (one value per group); the mask is computed in the backward pass only.
 */
export const clippedStraightThrough: (w: Tensor, q: Tensor, lo: Tensor, hi: Tensor) => Tensor = customVjp(
  (_w: Tensor, q: Tensor, _lo: Tensor, _hi: Tensor) => stopGradient(q),
  ({ inputs: [w, , lo, hi] }, g) => {
    const inside = cast(ge(w!, lo!), 'float32').mul(cast(le(w!, hi!), 'float32'));
    return [g.mul(inside), null, null, null];
  },
);

/** Value of `q`, identity gradient to `w`; `mask` and `q` get none (Quant-Noise scalar / exact-PQ noise, §3.2). */
export const identityGradient: (w: Tensor) => Tensor = customVjp(
  (w: Tensor) => stopGradient(w),
  (_ctx, g) => [g.clone()],
);
