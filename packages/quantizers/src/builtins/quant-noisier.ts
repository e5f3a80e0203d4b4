import { hostRandom, type Tensor } from '@nibble/core';
import { z } from 'zod';
import { configError, parseWith } from '../common/config.ts';
import type { JsonValue, PackedTensor, Quantizer, QuantizerCreateContext, QuantizerForwardContext, QuantizerPlugin } from '../spi.ts';
import { checkBlocks, DEFAULT_NOISE_TARGET, QuantNoiseQuantizer } from './quant-noise.ts';
import { steConfigSchema } from './ste.ts';

/** Config of the `quant-noisier` plugin (spec §4): Quant-Noise scalar with a variable rate π. */
export const quantNoisierConfigSchema = z
  .strictObject({
    /** Rate function: 'jitter' (π = p̂ − U(−β, β) per step), 'sched' (π = p̂ − α(1 − 2e/m)), 'hard1', 'hard2'. */
    variant: z.enum(['jitter', 'sched', 'hard1', 'hard2']),
    /** Base rate p̂ (paper: 0.5). */
    pHat: z.number().min(0).max(1).default(0.5),
    /** hard1 weight λ of the previous-epoch hardness h ∈ [−1, 1]. */
    lambda: z.number().min(0).default(0.125),
    /** hard2 weight γ of the reference-model hardness g ∈ [0, 1]. */
    gamma: z.number().min(0).default(0.125),
    /** sched amplitude α. */
    alpha: z.number().min(0).default(0.4),
    /** jitter half-width β. */
    beta: z.number().min(0).default(0.125),
    /** sched: number of epochs m (required for 'sched'). */
    epochs: z.number().int().min(1).optional(),
    /** sched: use e/(m − 1) so the mean over epochs is exactly p̂ (default false: the paper's 2e/m). */
    exactMean: z.boolean().default(false),
    blockSize: z.number().int().min(1).default(1),
    remainder: z.enum(['reject', 'pad']).default('reject'),
    /** The §1 quantizer used for q (default 8-bit affine min-max). */
    target: steConfigSchema.optional(),
  })
  .refine((c) => c.variant !== 'sched' || c.epochs !== undefined, { message: "required when variant is 'sched'", path: ['epochs'] });
/** Parsed `quant-noisier` config. */
export type QuantNoisierConfig = z.output<typeof quantNoisierConfigSchema>;

/** Inputs of {@link noisierRate} beyond the config. */
export interface NoisierRateInput {
  readonly epoch: number;
  /** hard1: h(k, e) ∈ [−1, 1]; hard2: g(k) ∈ [0, 1]. Missing → 0 (π = p̂, as in epoch 0 of hard1). */
  readonly hardness?: number;
  /** jitter: a U(0, 1) draw (mapped to U(−β, β)). */
  readonly uniform?: number;
}

/**
 * The noise rate π of spec §4.1, clamped to [0, 1]:
 * hard1 `p̂ − λh`, hard2 `p̂ − γg`, sched `p̂ − α(1 − 2e/m)` (or `1 − 2e/(m−1)` with exactMean), jitter `p̂ − U(−β, β)`.
 *
 * @example
 * ```ts
 * noisierRate({ ...config, variant: 'sched', epochs: 10 }, { epoch: 0 }); // 0.1 with p̂ = 0.5, α = 0.4
 * ```
 */
export function noisierRate(config: QuantNoisierConfig, input: NoisierRateInput): number {
  let pi: number;
  switch (config.variant) {
    case 'hard1':
      pi = config.pHat - config.lambda * (input.hardness ?? 0);
      break;
    case 'hard2':
      pi = config.pHat - config.gamma * (input.hardness ?? 0);
      break;
    case 'sched': {
      const m = config.epochs ?? 1;
      const zed = config.exactMean ? (m > 1 ? 1 - (2 * input.epoch) / (m - 1) : 0) : 1 - (2 * input.epoch) / m;
      pi = config.pHat - config.alpha * zed;
      break;
    }
    case 'jitter':
      pi = config.pHat - (2 * (input.uniform ?? 0.5) - 1) * config.beta;
      break;
  }
  return Math.min(Math.max(pi, 0), 1);
}

/**
 * Quant-Noisier (Charles et al.), spec §4: scalar Quant-Noise whose rate varies per step (jitter), per epoch (sched)
 * or per example (hard1/hard2, through `ctx.rate` computed by an {@link ExampleLossTracker}).
 */
export class QuantNoisierQuantizer implements Quantizer {
  private readonly noise: QuantNoiseQuantizer;

  constructor(
    readonly config: QuantNoisierConfig,
    ctx: QuantizerCreateContext,
  ) {
    this.noise = new QuantNoiseQuantizer(
      { variant: 'scalar', p: config.pHat, blockSize: config.blockSize, remainder: config.remainder, target: config.target ?? DEFAULT_NOISE_TARGET, clampThreshold: 5 },
      ctx,
      'quant-noisier',
    );
  }

  /**
   * π of this forward pass: `ctx.rate` when given (hard1/hard2 batches), else the variant's own rule (jitter draws
   * U(0, 1) from the step's key on a separate stream; sched uses `ctx.epoch`; hard1/hard2 without a rate use p̂).
   */
  rateOf(ctx: QuantizerForwardContext): number {
    if (ctx.rate !== undefined) return Math.min(Math.max(ctx.rate, 0), 1);
    const uniform = this.config.variant === 'jitter' ? hostRandom.uniform({ ...ctx.key, stream: (ctx.key.stream ^ 0x9e3779b9) >>> 0 }, ctx.key.counter, 1)[0]! : undefined;
    return noisierRate(this.config, { epoch: ctx.epoch, ...(uniform === undefined ? {} : { uniform }) });
  }

  forward(w: Tensor, ctx: QuantizerForwardContext): Tensor {
    return this.noise.forwardAt(w, ctx, this.rateOf(ctx));
  }

  parameters(): Record<string, Tensor> {
    return {};
  }

  assign(values: Record<string, Tensor>): void {
    this.noise.assign(values);
  }

  calibrate(w: Tensor): void {
    this.noise.calibrate(w);
  }

  getState(): { version: number; state: JsonValue } {
    return this.noise.getState();
  }

  setState(s: { version: number; state: JsonValue }): void {
    this.noise.setState(s);
  }

  export(w: Tensor): PackedTensor {
    return this.noise.export(w);
  }

  sizeBits(shape: readonly number[]): number {
    return this.noise.sizeBits(shape);
  }

  [Symbol.dispose](): void {
    this.noise[Symbol.dispose]();
  }
}

/**
 * Per-example losses for hard1/hard2 (spec §4.1–4.2). hard1: record each example's loss during epoch e − 1; at epoch
 * e its hardness h is that loss min-max scaled to [−1, 1] over all examples of epoch e − 1 (0 in epoch 0, or when all
 * losses are equal). hard2: set the converged uncompressed model's losses once; g is min-max normalised to [0, 1].
 * The batch rate is the mean of its examples' π (one mask serves the whole batch).
 *
 * @example
 * ```ts
 * const tracker = new ExampleLossTracker(config);
 * model.setProgress({ step, epoch, rate: tracker.batchRate(ids, epoch) });
 * // ... after the forward pass:
 * tracker.record(ids, perExampleLosses, epoch);
 * ```
 */
export class ExampleLossTracker {
  private readonly byEpoch = new Map<number, Map<number, number>>();
  private reference: Map<number, number> | undefined;

  constructor(private readonly config: QuantNoisierConfig) {}

  /** Records per-example losses observed at `epoch` (hard1). */
  record(ids: readonly number[], losses: ArrayLike<number>, epoch: number): void {
    if (ids.length !== losses.length) throw new RangeError(`ExampleLossTracker.record: ${ids.length} ids but ${losses.length} losses; expected equal lengths`);
    let m = this.byEpoch.get(epoch);
    if (!m) this.byEpoch.set(epoch, (m = new Map()));
    ids.forEach((id, i) => m!.set(id, losses[i]!));
    for (const e of this.byEpoch.keys()) if (e < epoch - 1) this.byEpoch.delete(e);
  }

  /** Sets the losses of the converged uncompressed model (hard2). */
  setReferenceLosses(ids: readonly number[], losses: ArrayLike<number>): void {
    this.reference = new Map(ids.map((id, i) => [id, losses[i]!]));
  }

  /** hard1: h(k, e) ∈ [−1, 1]; hard2: g(k) ∈ [0, 1]; 0 when unknown. */
  hardness(id: number, epoch: number): number {
    const table = this.config.variant === 'hard2' ? this.reference : this.byEpoch.get(epoch - 1);
    const loss = table?.get(id);
    if (!table || loss === undefined) return 0;
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of table.values()) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    if (hi === lo) return 0;
    const unit = (loss - lo) / (hi - lo);
    return this.config.variant === 'hard2' ? unit : 2 * unit - 1;
  }

  /** π of one example. */
  rate(id: number, epoch: number): number {
    return noisierRate(this.config, { epoch, hardness: this.hardness(id, epoch) });
  }

  /** Rate of a batch: the mean of its examples' π. */
  batchRate(ids: readonly number[], epoch: number): number {
    if (ids.length === 0) return noisierRate(this.config, { epoch });
    return ids.reduce((a, id) => a + this.rate(id, epoch), 0) / ids.length;
  }
}

/**
 * The `quant-noisier` plugin (spec §4).
 *
 * @example
 * ```ts
 * const q = defaultRegistry.create('quant-noisier', { variant: 'jitter', target: { bits: 4 } }, { shape, role: 'weight', runtime });
 * ```
 */
export const quantNoisier: QuantizerPlugin<QuantNoisierConfig> = {
  id: 'quant-noisier',
  apiVersion: 1,
  parseConfig: (raw) => parseWith('quant-noisier', quantNoisierConfigSchema, raw),
  create: (config, ctx) => {
    checkBlocks('quant-noisier', { ...config, variant: 'scalar' }, ctx);
    if (config.variant === 'sched' && config.epochs === undefined) configError('quant-noisier', 'epochs', undefined, "an integer ≥ 1 for variant 'sched'");
    return new QuantNoisierQuantizer(config, ctx);
  },
};
