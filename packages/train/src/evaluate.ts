import { noGrad, scope, type Tensor } from '@nibble/core';
import type { LossFn, TrainableModel } from './train-step.ts';

/** A metric of one batch (a number or a scalar tensor); {@link evaluate} averages it over batches. */
export type MetricFn<M, B> = (model: M, batch: B) => number | Tensor;

async function scalar(v: number | Tensor): Promise<number> {
  if (typeof v === 'number') return v;
  try {
    return (await v.data())[0] as number;
  } finally {
    v.dispose();
  }
}

/**
 * Mean loss and metrics over evaluation batches (each batch weighs the same), in evaluation mode and without
 * gradients; restores the model's previous mode afterwards (training mode when the model does not tell).
 *
 * @example
 * ```ts
 * const { loss, accuracy } = await evaluate(model, validBatches, lossFn, { accuracy: (m, b) => accuracyOf(m, b) });
 * ```
 */
export async function evaluate<M extends TrainableModel, B>(
  model: M,
  data: Iterable<B>,
  lossFn: LossFn<M, B>,
  metrics: Readonly<Record<string, MetricFn<M, B>>> = {},
): Promise<Record<string, number>> {
  const wasTraining = model.training ?? true;
  model.eval?.();
  const sums: Record<string, number> = { loss: 0 };
  for (const name of Object.keys(metrics)) sums[name] = 0;
  let batches = 0;
  try {
    for (const batch of data) {
      const values = noGrad(() =>
        scope(() => {
          const out: Record<string, number | Tensor> = { loss: lossFn(model, batch) };
          for (const [name, fn] of Object.entries(metrics)) out[name] = fn(model, batch);
          return out;
        }),
      );
      for (const [name, v] of Object.entries(values)) sums[name]! += await scalar(v);
      batches++;
    }
  } finally {
    model.train?.(wasTraining);
  }
  const means: Record<string, number> = {};
  for (const [name, s] of Object.entries(sums)) means[name] = batches > 0 ? s / batches : Number.NaN;
  return means;
}
