import { cast, customVjp, fakeQuant, fullLike, ge, gt, le, lt, type Tensor, where } from '@nibble/core';

/** Settings of {@link stepRound}. */
export interface StepRoundOptions {
  /** Codes lie in [−qn, qp]. */
  readonly qn: number;
  readonly qp: number;
  /** Multiplies the step gradient (LSQ's g_s; 1 for RAND, whose scale gradient flows on through r(w)). */
  readonly gradScale: number;
  /**
   * 'open': v counts as inside when −qn < v/s < qp (LSQ §2.1); 'closed': when −qn ≤ v/s ≤ qp (RAND STE §5.2,
   * the spec's 1[|w| ≤ Q_P·s]).
   */
  readonly boundary: 'open' | 'closed';
  /** Shape [G, 1, ...] that broadcasts the step (shape [G]) against v; [] for one step. */
  readonly broadcastShape: readonly number[];
  /** Axis of the per-group steps (0) or null for one step. */
  readonly axis: 0 | null;
}

/**
 * `v̂ = s · clamp(round(v/s), −qn, qp)` with LSQ's gradients, computed in closed form in one custom rule (the same as
 * autodiff of `roundpass(clip(v/s', −Q_N, Q_P))·s'` with `s' = gradscale(s, g_s)`, spec §2.1), so the forward value
 * is bitwise the fused `fakeQuant`:
 * - ∂v̂/∂v = 1 inside the range, 0 outside;
 * - ∂v̂/∂s = round(v/s) − v/s inside, −qn below, qp above; summed per group and multiplied by `gradScale`.
 */
export function stepRound(v: Tensor, s: Tensor, opts: StepRoundOptions): Tensor {
  const zero = fullLike(s, 0); // a constant: never watched, so no gradient flows to it
  const op = customVjp(
    (x: Tensor, step: Tensor) => fakeQuant(x, step, zero, { qmin: -opts.qn, qmax: opts.qp, axis: opts.axis }),
    ({ inputs: [x, step] }, g) => {
      const sb = step!.reshape(opts.broadcastShape);
      const u = x!.div(sb);
      const above = opts.boundary === 'open' ? cast(ge(u, opts.qp), 'float32') : cast(gt(u, opts.qp), 'float32');
      const below = opts.boundary === 'open' ? cast(le(u, -opts.qn), 'float32') : cast(lt(u, -opts.qn), 'float32');
      const inside = above.add(below).neg().add(1);
      const d = where(inside.gt(0), u.roundHalfEven().sub(u), where(above.gt(0), opts.qp, -opts.qn));
      const reduceAxes = opts.axis === 0 ? [...Array(x!.rank).keys()].slice(1) : undefined;
      let gs = g.mul(d).sum(reduceAxes).mul(opts.gradScale);
      gs = gs.reshape(step!.shape);
      return [g.mul(inside), gs];
    },
  );
  const out = op(v, s);
  zero.dispose();
  return out;
}
