import { type Tensor, valueAndGrad } from '@nibble/core';
import { clipGradNorm, type Optimizer, type OptimizerState, type Trainable } from '@nibble/optim';

/** A model `trainStep` can train: parameters by name, `assign`, and optionally step-keyed progress (a `Module`). */
export interface TrainableModel extends Trainable {
  /** Called with the optimizer step before the forward pass, so dropout and quantizer noise are keyed by step. */
  setProgress?(progress: { step: number; epoch?: number; seed?: number }): void;
  train?(on?: boolean): unknown;
  eval?(): unknown;
  /** Current mode (a `Module` has it): {@link evaluate} restores it afterwards. */
  readonly training?: boolean;
}

/** The training objective: a scalar loss tensor for one batch, computed with the model's current parameters. */
export type LossFn<M, B> = (model: M, batch: B) => Tensor;

/** Options of {@link trainStep}. */
export interface TrainStepOptions {
  /** Clip gradients to this global 2-norm before the update (see `clipGradNorm`). */
  readonly clipNorm?: number;
}

/** Result of {@link trainStep}. */
export interface TrainStepResult {
  /** The loss before the update. */
  readonly loss: number;
  /** The gradient norm before clipping (only with `clipNorm`). */
  readonly gradNorm?: number;
  /** The new optimizer state (the old one is freed). */
  readonly state: OptimizerState;
}

/**
 * One optimization step: sets the model's step (`setProgress`), computes the loss and its gradients with respect to
 * every parameter, optionally clips them, and applies the optimizer (`optimizer.update`), freeing the gradients, the
 * old parameters and the old state.
 *
 * @example
 * ```ts
 * let state = opt.init(model.parameters());
 * for (const batch of batches) {
 *   const r = await trainStep(model, (m, b) => crossEntropy(m.forward(b.x), b.y), batch, opt, state);
 *   state = r.state;
 * }
 * ```
 */
export async function trainStep<M extends TrainableModel, B>(
  model: M,
  lossFn: LossFn<M, B>,
  batch: B,
  optimizer: Optimizer,
  state: OptimizerState,
  options: TrainStepOptions = {},
): Promise<TrainStepResult> {
  model.setProgress?.({ step: state.step });
  const params = model.parameters();
  // The loss reads the parameters through the model; passing the same tensors here makes autograd watch them.
  const { value, grads: [grads] } = valueAndGrad((_params: Record<string, Tensor>) => lossFn(model, batch))(params);
  let used = grads;
  try {
    let gradNorm: number | undefined;
    if (options.clipNorm !== undefined) {
      const clipped = clipGradNorm(grads, options.clipNorm);
      used = clipped.grads;
      for (const g of Object.values(grads)) g.dispose();
      gradNorm = (await clipped.norm.data())[0];
      clipped.norm.dispose();
    }
    const loss = (await value.data())[0] as number;
    const next = optimizer.update(model, used, state);
    return gradNorm === undefined ? { loss, state: next } : { loss, gradNorm, state: next };
  } finally {
    value.dispose();
    for (const g of [...Object.values(grads), ...Object.values(used)]) if (!g.isDisposed) g.dispose();
  }
}
