import { keep, noGrad, scope, type Tensor, tensor } from '@nibble/core';
import type { Module } from '@nibble/layers';
import { dequantizePacked } from '../export/dequantize.ts';
import { calibrateWeight, internalHandleOf, type QatHandle } from './prepare-qat.ts';

/** Result of {@link calibrate}. */
export interface CalibrationReport {
  /** Batches run. */
  readonly batches: number;
  /** Weights whose ranges came from the tensor a forward pass handed to their quantizer. */
  readonly observed: readonly string[];
  /** Weights no forward reached, calibrated from their parameter directly. */
  readonly fromParameters: readonly string[];
}

/**
 * Post-training calibration: recomputes every attached quantizer's ranges (or PQ codebook) from the weights as the
 * model uses them, running eval-mode forwards on `batches` without gradients (the model's train/eval flags are
 * restored afterwards). Each quantizer calibrates on the first tensor a forward hands it; weights no batch reaches
 * are calibrated from their parameter. After this, eval forwards are the post-training-quantized (PTQ) model.
 *
 * @example
 * ```ts
 * const qat = prepareQat(trainedModel, [{ pattern: '*.weight', quantizer: 'ste', config: { bits: 4 } }]);
 * calibrate(trainedModel, validationBatches, (m, x) => m.forward(x));
 * const ptqLoss = evaluate(trainedModel);      // PTQ baseline
 * ```
 */
export function calibrate<M extends Module, B>(model: M, batches: Iterable<B>, forward: (model: M, batch: B) => unknown): CalibrationReport {
  const handle = internalHandleOf(model);
  const modes = [...model.namedModules().values()].map((m) => [m, m.training] as const);
  // A failure (NaN/±Inf weights, spec §1.5) leaves every quantizer as it was, also those calibrated before it.
  const saved = handle.getState();
  const observed = new Set<string>();
  handle.calibrating = observed;
  let count = 0;
  try {
    try {
      model.eval();
      for (const batch of batches) {
        scope(() => {
          noGrad(() => forward(model, batch));
        });
        count++;
      }
    } finally {
      handle.calibrating = undefined;
      for (const [m, on] of modes) m.training = on;
    }
    const fromParameters: string[] = [];
    for (const [name, q] of handle.quantizers) {
      if (observed.has(name)) continue;
      const input = handle.quantizerInput(name);
      try {
        calibrateWeight(name, q, input);
      } finally {
        input.dispose();
      }
      fromParameters.push(name);
    }
    return { batches: count, observed: [...observed], fromParameters };
  } catch (e) {
    handle.setState(saved);
    throw e;
  }
}

/**
 * The post-training-quantized copy of a prepared model's state: every quantized weight replaced by
 * dequantize(export(w)) (the export → dequantize round trip, equal to the eval-mode fake quantization bitwise), every
 * other parameter and buffer copied. Load it into a fresh float model (`fresh.loadStateDict(state)`) to get a plain
 * float model computing with the quantized weights; the caller owns the returned tensors. For a layer that derives
 * its weight before the transform (OrthogonalRNN with Björck), the entry holds q(Björck(V)) under V's name, which a
 * fresh layer would orthogonalize again: use `exportQuantized` + `loadQuantized` for those.
 *
 * @example
 * ```ts
 * const state = quantizeWeights(qat);
 * const ptq = buildModel();
 * ptq.loadStateDict(state);
 * for (const t of state.values()) t.dispose();
 * ```
 */
export function quantizeWeights(qat: QatHandle): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  try {
    for (const [name, t] of qat.model.stateDict()) {
      const binding = qat.bindings.get(name);
      if (!binding) {
        out.set(name, keep(t.clone())); // owned by the caller, even inside a scope()
        continue;
      }
      const input = qat.quantizerInput(name);
      try {
        const values = dequantizePacked(binding.quantizer.export(input));
        out.set(name, keep(tensor(values, { shape: t.shape, runtime: t.runtime, backend: t.backend.name })));
      } finally {
        input.dispose();
      }
    }
  } catch (e) {
    for (const t of out.values()) t.dispose();
    throw e;
  }
  return out;
}
