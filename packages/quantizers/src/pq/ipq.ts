import type { Tensor } from '@nibble/core';
import type { Module } from '@nibble/layers';
import { prepareQat, type PrepareQatOptions, type QatHandle, type QatRule, type QatTrainable } from '../qat/prepare-qat.ts';
import { QatPlanError } from '../qat/errors.ts';
import type { WeightNamePattern } from '../qat/name-pattern.ts';

/** One stage of iPQ: the weights it quantizes and their PQ config (spec §6.3). */
export interface IpqStage {
  readonly pattern: WeightNamePattern;
  /** Raw config of the quantizer (for 'pq': `{ blockSize, centroids, centroidGrad, ... }`). */
  readonly config: unknown;
  /** Registry id (default 'pq'). */
  readonly quantizer?: string;
}

/** What {@link IpqOptions.fineTune} receives after stage `index` is quantized. */
export interface IpqFineTuneContext {
  readonly index: number;
  readonly handle: QatHandle;
  /**
   * The parameters fine-tuned at this stage: the float parameters not quantized yet, plus the centroids of every
   * quantized weight (as `weight/centroids`). The quantized float weights are left out: their assignments are frozen.
   */
  readonly trainable: QatTrainable;
  /** Weights quantized so far (this stage and the earlier ones). */
  readonly quantized: readonly string[];
}

/** Options of {@link quantizeInStages}. */
export interface IpqOptions extends PrepareQatOptions {
  /** Fine-tunes the model after each stage (e.g. a few hundred optimizer steps on `ctx.trainable`). */
  readonly fineTune: (ctx: IpqFineTuneContext) => void;
}

/**
 * Iterative product quantization (spec §6.3, "And the Bit Goes Down"): quantizes the weight groups of `stages` one
 * stage at a time (recommended transformer order: FFN, embeddings, attention). Each stage runs k-means on the current
 * (already fine-tuned) weights of its group; then `fineTune` trains the float parameters that remain and the centroids
 * of every quantized weight with their assignments frozen (centroid gradients 'mean' or 'sum', per the PQ config).
 * Codes and fine-tuned centroids of earlier stages carry over unchanged into later stages.
 *
 * Every stage is validated (ids, configs, patterns that match) before the model is touched. Returns the handle of
 * the final stage, holding a quantizer on every staged weight.
 *
 * @example
 * ```ts
 * const qat = quantizeInStages(model, [
 *   { pattern: '*.linear?.weight', config: { blockSize: 8, centroids: 64 } },
 *   { pattern: '*.selfAttn.*.weight', config: { blockSize: 4, centroids: 64 } },
 * ], { fineTune: ({ trainable }) => trainClassifier({ model, trainable, optimizer: adam({ lr: 1e-3 }), ... }) });
 * ```
 */
export function quantizeInStages(model: Module, stages: readonly IpqStage[], options: IpqOptions): QatHandle {
  if (!Array.isArray(stages) || stages.length === 0) throw new QatPlanError('quantizeInStages: no stages; expected a non-empty list of { pattern, config }');
  if (typeof options?.fineTune !== 'function') throw new QatPlanError('quantizeInStages: options.fineTune is missing; expected a function that trains ctx.trainable');
  const rules: QatRule[] = stages.map((s) => ({ pattern: s.pattern, quantizer: s.quantizer ?? 'pq', config: s.config }));
  // Validate the whole plan up front: prepareQat checks every id, config and pattern, creates nothing lazily
  // calibrated (PQ runs k-means at its first forward or calibrate), and detach restores the float model.
  prepareQat(model, rules, options).detach();

  let handle: QatHandle | undefined;
  for (let index = 0; index < stages.length; index++) {
    const carried = handle?.getState() ?? {};
    handle?.detach();
    handle = prepareQat(model, rules.slice(0, index + 1), options);
    for (const [name, q] of handle.quantizers) {
      const state = carried[name];
      if (state) q.setState(state); // earlier stage: same codes, fine-tuned centroids
      else {
        const input = handle.quantizerInput(name); // this stage: k-means on the current weights
        try {
          q.calibrate(input);
        } finally {
          input.dispose();
        }
      }
    }
    const h = handle;
    const quantized = [...h.quantizers.keys()];
    const frozen = new Set(quantized);
    const trainable: QatTrainable = {
      parameters: () => {
        const all = h.trainable().parameters();
        const out: Record<string, Tensor> = {};
        for (const [k, v] of Object.entries(all)) if (!frozen.has(k)) out[k] = v;
        return out;
      },
      assign: (values) => {
        const bad = Object.keys(values).filter((k) => frozen.has(k));
        if (bad.length) throw new QatPlanError(`quantizeInStages: '${bad.join("', '")}' are quantized at this stage; their float values are frozen (train the centroids instead)`);
        h.trainable().assign(values);
      },
    };
    options.fineTune({ index, handle: h, trainable, quantized });
  }
  return handle!;
}
