import { add, concat, customVjp, scope, stack, type Tensor, zerosLike } from '@nibble/core';

/** Gradients of one recurrent step, given the gradient of its new state. */
export interface StepGradients {
  /** Gradient of the previous state. */
  readonly state: Tensor;
  /** Gradient of the step input. */
  readonly input: Tensor;
  /** Gradient of each parameter (null when none flows, or when {@link RecurrentCell.batchedParamGradients} gives it). */
  readonly params: readonly (Tensor | null)[];
}

/**
 * One step of a recurrence `s_t = step(s_{t−1}, x_t, params)` with its hand-written backward. The backward gets the
 * previous and the new state (both kept as the scan's output), so a cell can carry what its backward needs (e.g. gate
 * activations) in its state instead of recomputing it.
 */
export interface RecurrentCell {
  step(state: Tensor, input: Tensor, params: readonly Tensor[]): Tensor;
  backward(state: Tensor, input: Tensor, params: readonly Tensor[], gradNewState: Tensor, newState: Tensor): StepGradients;
  /**
   * Parameter gradients computed once after the backward loop from all previous states [T, ...] and all input
   * gradients [T, ...] (e.g. dW = Σ_t dz_tᵀ h_{t−1} as one large matmul instead of T small ones); added to the
   * per-step ones.
   */
  batchedParamGradients?(previousStates: Tensor, inputGradients: Tensor, params: readonly Tensor[]): readonly (Tensor | null)[];
}

function at(xs: Tensor, t: number): Tensor {
  return xs.slice([t], [1]).squeeze(0);
}

/**
 * Runs a recurrence over the leading (time) axis of `inputs` ([T, ...]) from `initial` and returns every state,
 * stacked as [T, ...state shape]. Differentiable in `inputs`, `initial` and `params` through backpropagation through
 * time with the cell's own backward: one node on the tape for the whole sequence, so slicing the inputs per step
 * costs nothing in the backward pass (an autograd slice per step would scatter T full-size gradients).
 *
 * @example
 * ```ts
 * // a cumulative sum s_t = s_{t−1} + x_t, with its backward
 * const cumsum: RecurrentCell = {
 *   step: (s, x) => s.add(x),
 *   backward: (_s, _x, _p, g) => ({ state: g.clone(), input: g.clone(), params: [] }),
 * };
 * const states = scan(cumsum, xs, zeros([B, F]), []); // xs: [T, B, F] → [T, B, F]
 * ```
 */
export function scan(cell: RecurrentCell, inputs: Tensor, initial: Tensor, params: readonly Tensor[]): Tensor {
  const steps = inputs.shape[0] ?? 0;
  const run = customVjp(
    (xs: Tensor, s0: Tensor, ...ps: Tensor[]) =>
      scope(() => {
        const states: Tensor[] = [];
        let s = s0;
        for (let t = 0; t < steps; t++) {
          s = scope(() => cell.step(s, at(xs, t), ps));
          states.push(s);
        }
        return stack(states, 0);
      }),
    ({ inputs: [xs, s0, ...ps], output }, g) => {
      let dState: Tensor | null = null;
      const dInputs: Tensor[] = new Array<Tensor>(steps);
      const dParams: (Tensor | null)[] = ps.map(() => null);
      for (let t = steps - 1; t >= 0; t--) {
        const r = scope(() => {
          const prev = t === 0 ? s0! : at(output, t - 1);
          const gt = dState ? add(at(g, t), dState) : at(g, t);
          const step = cell.backward(prev, at(xs!, t), ps, gt, at(output, t));
          const acc = step.params.map((p, i) => (p && dParams[i] ? add(dParams[i]!, p) : (p ?? dParams[i] ?? null)));
          return { state: step.state, input: step.input, params: acc };
        });
        // Free the previous accumulators now rather than at the end of the backward pass.
        dState?.dispose();
        dParams.forEach((p, i) => {
          if (p && p !== r.params[i]) p.dispose();
          dParams[i] = r.params[i] ?? null;
        });
        dState = r.state;
        dInputs[t] = r.input;
      }
      const dXs = steps > 0 ? stack(dInputs, 0) : zerosLike(xs!);
      for (const d of dInputs) d.dispose();
      if (cell.batchedParamGradients && steps > 0) {
        const batched = scope(() => {
          const previous = steps === 1 ? s0!.unsqueeze(0) : concat([s0!.unsqueeze(0), output.slice([0], [steps - 1])], 0);
          return cell.batchedParamGradients!(previous, dXs, ps);
        });
        batched.forEach((g, i) => {
          if (!g) return;
          const prev = dParams[i];
          dParams[i] = prev ? add(prev, g) : g;
        });
      }
      return [dXs, dState ?? zerosLike(s0!), ...dParams];
    },
  );
  return run(inputs, initial, ...params);
}
