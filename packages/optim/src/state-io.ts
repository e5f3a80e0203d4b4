import type { Tensor } from '@nibble/core';
import { OptimizerError } from './errors.ts';
import type { Optimizer, OptimizerState, TensorRecord } from './optimizer.ts';

/** Separates slot and parameter in serialized names: `expAvg/encoder.0.weight`. Slot names never contain it. */
const SEPARATOR = '/';

/**
 * Flattens a state into named tensors (`<slot>/<param>`) and JSON-safe scalars, e.g. for a safetensors checkpoint
 * (tensors as entries, scalars in `__metadata__`). The tensors are the state's own (not copies).
 *
 * @example
 * ```ts
 * const { tensors, scalars } = flattenOptimizerState(state); // tensors['expAvg/fc.weight'], scalars.step
 * ```
 */
export function flattenOptimizerState(state: OptimizerState): { tensors: Record<string, Tensor>; scalars: { step: number } } {
  const tensors: Record<string, Tensor> = {};
  for (const [slot, byParam] of Object.entries(state.slots)) {
    for (const [param, t] of Object.entries(byParam)) tensors[`${slot}${SEPARATOR}${param}`] = t;
  }
  return { tensors, scalars: { step: state.step } };
}

/**
 * Rebuilds a state from {@link flattenOptimizerState}'s output, validated against what `optimizer.init(params)` would
 * build: the same slots for the same parameters with the same shapes and dtypes. The state takes the given tensors
 * (no copy). Throws an {@link OptimizerError} naming the first mismatch; nothing is disposed on failure.
 *
 * @example
 * ```ts
 * const state = unflattenOptimizerState(opt, model.parameters(), tensors, { step: 1200 });
 * ```
 */
export function unflattenOptimizerState(
  optimizer: Optimizer,
  params: TensorRecord,
  tensors: TensorRecord,
  scalars: { step: number },
): OptimizerState {
  const fn = 'unflattenOptimizerState';
  if (!Number.isSafeInteger(scalars.step) || scalars.step < 0) throw new OptimizerError(`${fn}: step is ${scalars.step}; expected an integer ≥ 0`);
  const template = optimizer.init(params);
  try {
    const expected = flattenOptimizerState(template).tensors;
    const missing = Object.keys(expected).filter((k) => !(k in tensors));
    const unexpected = Object.keys(tensors).filter((k) => !(k in expected));
    if (missing.length || unexpected.length) {
      throw new OptimizerError(`${fn}: the ${optimizer.name} state does not fit the parameters: missing [${missing.join(', ')}], unexpected [${unexpected.join(', ')}]`);
    }
    const slots: Record<string, Record<string, Tensor>> = {};
    for (const [key, want] of Object.entries(expected)) {
      const got = tensors[key]!;
      if (got.dtype !== want.dtype || got.rank !== want.rank || got.shape.some((d, i) => d !== want.shape[i])) {
        throw new OptimizerError(`${fn}: '${key}' is ${got.dtype}[${got.shape.join(',')}]; expected ${want.dtype}[${want.shape.join(',')}]`);
      }
      const cut = key.indexOf(SEPARATOR);
      (slots[key.slice(0, cut)] ??= {})[key.slice(cut + 1)] = got;
    }
    return { step: scalars.step, slots };
  } finally {
    for (const slot of Object.values(template.slots)) for (const t of Object.values(slot)) t.dispose();
  }
}
