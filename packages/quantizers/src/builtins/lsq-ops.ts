import { cast, customVjp, ge, stopGradient, type Tensor, where } from '@nibble/core';

/**
 * Binary LSQ (spec §2.4, b = 1): `v̂ = s·sign(v)` with sign(0) = +1; ∂v̂/∂v = 1[|v| ≤ s], ∂v̂/∂s = sign(v) summed
 * per group times `gradScale`. `s` has shape [G]; `broadcastShape` spreads it over v.
 */
export function binaryStep(v: Tensor, s: Tensor, gradScale: number, broadcastShape: readonly number[]): Tensor {
  const op = customVjp(
    (x: Tensor, step: Tensor) => {
      const sb = step.reshape(broadcastShape);
      return where(ge(x, 0), sb, sb.neg());
    },
    ({ inputs: [x, step] }, g) => {
      const sb = step!.reshape(broadcastShape);
      const inside = cast(x!.abs().le(sb), 'float32');
      const sign = where(ge(x!, 0), 1, -1);
      const axes = step!.size > 1 ? [...Array(x!.rank).keys()].slice(1) : undefined;
      return [g.mul(inside), g.mul(sign).sum(axes).mul(gradScale).reshape(step!.shape)];
    },
  );
  return op(v, s);
}

/** Same value, gradient multiplied by `factor` (LSQ's gradscale without changing the forward value by rounding). */
export function scaleGradient(t: Tensor, factor: number): Tensor {
  return customVjp(
    (x: Tensor) => stopGradient(x),
    (_ctx, g) => [g.mul(factor)],
  )(t);
}
