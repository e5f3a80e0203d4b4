import { customVjp, noGrad, scope, type Tensor, tensorLike, where } from '@nibble/core';
import { z } from 'zod';
import { configError, parseWith } from '../common/config.ts';
import { assertFinite, assertShape, hostValues, matrixShape } from '../common/host.ts';
import { identityGradient, straightThrough } from '../common/straight-through.ts';
import { QuantizerExportError, QuantizerStateError } from '../errors.ts';
import { encode, kmeans } from '../pq/kmeans.ts';
import { storedCodebook } from '../pq/pq.ts';
import type { JsonValue, PackedTensor, Quantizer, QuantizerCreateContext, QuantizerForwardContext, QuantizerPlugin } from '../spi.ts';
import { blockMask } from './block-mask.ts';
import { SteQuantizer, steConfigSchema } from './ste.ts';

const remainder = z.enum(['reject', 'pad']).default('reject');

/** Config of the `quant-noise` plugin (spec §3), by variant. */
export const quantNoiseConfigSchema = z.discriminatedUnion('variant', [
  z.strictObject({
    /** Variant A (§3.2): noised elements take q(w), identity gradient, no rescaling; eval is fully quantized. */
    variant: z.literal('scalar'),
    /** Noise rate p ∈ [0, 1] (fairseq README: 0.5); `ctx.rate` overrides it. */
    p: z.number().min(0).max(1),
    /** Elements per noise block along the input axis (1 = per element). */
    blockSize: z.number().int().min(1).default(1),
    remainder,
    /** The §1 quantizer used for q (default: 8-bit affine min-max, refreshed every step). */
    target: steConfigSchema.optional(),
    /** Activations only: clean entries are clamp(y, −t, t) (fairseq clamp_threshold = 5). */
    clampThreshold: z.number().positive().default(5),
  }),
  z.strictObject({
    /** Variant B (§3.3): dropped blocks zeroed, survivors rescaled by 1/(1 − p); eval is the identity. */
    variant: z.literal('proxy'),
    /** Noise rate p ∈ [0, 1): p = 1 would divide by zero. */
    p: z.number().min(0).lt(1),
    blockSize: z.number().int().min(1).default(8),
    remainder,
    /** Gradient of dropped blocks: true (default) g (STE), false 0 (DropConnect). */
    steOnDropped: z.boolean().default(true),
  }),
  z.strictObject({
    /** Variant C (§3.4): noised blocks take their nearest centroid of a periodically refreshed codebook. */
    variant: z.literal('exact-pq'),
    p: z.number().min(0).max(1),
    blockSize: z.number().int().min(1).default(8),
    remainder,
    centroids: z.number().int().min(1).max(256).default(256),
    iterations: z.number().int().min(0).default(20),
    /** Training steps between codebook refreshes. */
    refreshEvery: z.number().int().min(1).default(100),
    seed: z.number().int().min(0).default(0),
  }),
]);
/** Parsed `quant-noise` config. */
export type QuantNoiseConfig = z.output<typeof quantNoiseConfigSchema>;

/** Default §1 target of scalar noise: fairseq's 8-bit affine min-max. */
export const DEFAULT_NOISE_TARGET = steConfigSchema.parse({ bits: 8, scheme: 'affine' });

function clampRate(p: number, max: number): number {
  return Math.min(Math.max(p, 0), max);
}

/** Proxy noise (§3.3) as one custom op: value where(M, 0, w/(1−p)); gradient g·((1−M)/(1−p) + M) or g·(1−M)/(1−p). */
function proxyNoise(w: Tensor, mask: Tensor, p: number, steOnDropped: boolean): Tensor {
  return customVjp(
    (x: Tensor, m: Tensor) => where(m.gt(0), 0, x.div(1 - p)),
    ({ inputs: [, m] }, g) => {
      const kept = m!.neg().add(1).div(1 - p);
      return [g.mul(steOnDropped ? kept.add(m!) : kept), null];
    },
  )(w, mask);
}

/**
 * Quant-Noise (Fan, Stock et al. 2021), spec §3: at each training forward a Bernoulli(p) block mask picks the blocks
 * to noise. Never mutates the parameter; masks come from the core RNG keyed by `ctx.key`.
 */
export class QuantNoiseQuantizer implements Quantizer {
  /** The §1 quantizer of scalar noise. */
  readonly inner: SteQuantizer | undefined;
  private codebook: Float32Array | undefined;
  private lastRefresh: number | null = null;

  constructor(
    readonly config: QuantNoiseConfig,
    private readonly ctx: QuantizerCreateContext,
    private readonly id = 'quant-noise',
  ) {
    if (config.variant === 'scalar') this.inner = new SteQuantizer(config.target ?? DEFAULT_NOISE_TARGET, ctx, id);
  }

  /** The noise rate of a forward pass: `ctx.rate` when given, else the configured p (clamped to [0, 1], proxy < 1). */
  rateOf(ctx: QuantizerForwardContext): number {
    return clampRate(ctx.rate ?? this.config.p, this.config.variant === 'proxy' ? 1 - 2 ** -24 : 1);
  }

  forward(w: Tensor, ctx: QuantizerForwardContext): Tensor {
    return this.forwardAt(w, ctx, this.rateOf(ctx));
  }

  /** The forward pass at an explicit noise rate `p` (Quant-Noisier computes its own). */
  forwardAt(w: Tensor, ctx: QuantizerForwardContext, p: number): Tensor {
    if (this.ctx.role === 'weight') assertShape(`${this.id}.forward`, this.ctx.shape, w.shape);
    const cfg = this.config;
    return scope(() => {
      if (cfg.variant === 'proxy') {
        if (!ctx.training || p === 0) return identityGradient(w);
        return proxyNoise(w, blockMask(w, cfg.blockSize, p, ctx.key), p, cfg.steOnDropped);
      }
      if (cfg.variant === 'scalar' && this.ctx.role === 'activation') {
        // §3.2 activation hook: y' = clamp(y, −t, t) + sg(M ⊙ (q(y) − y)); noised entries are q(y), clean ones clamp(y).
        const clamped = w.clamp(-cfg.clampThreshold, cfg.clampThreshold);
        const qy = this.inner!.quantizedValue(w, ctx);
        if (!ctx.training || p === 1) return straightThrough(clamped, qy);
        if (p === 0) return clamped;
        const m = blockMask(w, cfg.blockSize, p, ctx.key);
        return straightThrough(clamped, noGrad(() => where(m.gt(0), qy, clamped)));
      }
      const q = cfg.variant === 'scalar' ? this.inner!.quantizedValue(w, ctx) : this.pqValue(w, ctx);
      if (!ctx.training || p === 1) return straightThrough(w, q);
      if (p === 0) return identityGradient(w);
      const mask = blockMask(w, cfg.blockSize, p, ctx.key);
      return straightThrough(w, noGrad(() => where(mask.gt(0), q, w)));
    });
  }

  parameters(): Record<string, Tensor> {
    return {};
  }

  assign(values: Record<string, Tensor>): void {
    const names = Object.keys(values);
    if (names.length) throw new QuantizerStateError(`${this.id}.assign: got parameters [${names.join(', ')}]; expected none`);
  }

  calibrate(w: Tensor): void {
    if (this.inner) this.inner.calibrate(w);
    else if (this.config.variant === 'exact-pq') this.refreshCodebook(w);
  }

  getState(): { version: number; state: JsonValue } {
    if (this.inner) return { version: 1, state: { target: this.inner.getState().state } };
    if (this.config.variant === 'exact-pq') {
      return { version: 1, state: { codebook: this.codebook ? Array.from(this.codebook) : null, lastRefresh: this.lastRefresh } };
    }
    return { version: 1, state: {} };
  }

  setState(s: { version: number; state: JsonValue }): void {
    if (s.version !== 1) throw new QuantizerStateError(`${this.id}.setState: state version ${s.version}; expected 1`);
    const st = (s.state ?? {}) as { target?: JsonValue; codebook?: number[] | null; lastRefresh?: number | null };
    if (this.inner) this.inner.setState({ version: 1, state: st.target ?? null });
    if (this.config.variant === 'exact-pq') {
      const k = this.codebookSize();
      if (st.codebook && st.codebook.length !== k * this.config.blockSize) {
        throw new QuantizerStateError(`${this.id}.setState: codebook has ${st.codebook.length} values; expected ${k * this.config.blockSize}`);
      }
      this.codebook = st.codebook ? Float32Array.from(st.codebook) : undefined;
      this.lastRefresh = st.lastRefresh ?? null;
    }
  }

  export(w: Tensor): PackedTensor {
    if (this.inner) {
      const packed = this.inner.export(w);
      return { ...packed, meta: { ...packed.meta, quantizer: this.id } };
    }
    if (this.config.variant === 'proxy') {
      throw new QuantizerExportError(`${this.id}.export: proxy noise keeps float weights (eval is the identity); expected 'scalar' or 'exact-pq' — compress with 'pq' after training`);
    }
    assertShape(`${this.id}.export`, this.ctx.shape, w.shape);
    if (!this.codebook) this.refreshCodebook(w);
    const [rows, cols] = matrixShape(w.shape);
    const d = this.config.blockSize;
    const k = this.codebookSize();
    const codes = encode(hostValues(w), d, this.codebook!, k);
    return {
      layout: { kind: 'pq', shape: [rows, cols], blockSize: d, centroids: k },
      shape: [...w.shape],
      bits: Math.ceil(Math.log2(k)),
      codes: Uint8Array.from(codes),
      tables: Float32Array.from(this.codebook!),
      tableBits: 16,
      meta: { quantizer: this.id, variant: 'exact-pq', blockSize: d, centroids: k },
    };
  }

  sizeBits(shape: readonly number[]): number {
    const n = shape.reduce((a, d) => a * d, 1);
    const cfg = this.config;
    if (cfg.variant === 'scalar') return this.inner!.sizeBits(shape);
    if (cfg.variant === 'proxy') return 32 * n;
    const m = n / cfg.blockSize;
    const k = Math.max(1, Math.min(cfg.centroids, m));
    return m * Math.ceil(Math.log2(k)) + 16 * k * cfg.blockSize;
  }

  [Symbol.dispose](): void {
    this.inner?.[Symbol.dispose]();
  }

  private codebookSize(): number {
    const n = this.ctx.shape.reduce((a, d) => a * d, 1);
    return this.config.variant === 'exact-pq' ? Math.max(1, Math.min(this.config.centroids, n / this.config.blockSize)) : 0;
  }

  private refreshCodebook(w: Tensor): void {
    if (this.config.variant !== 'exact-pq') return;
    const x = hostValues(w);
    assertFinite(`${this.id}.calibrate`, x);
    const r = kmeans(x, this.config.blockSize, { centroids: this.config.centroids, iterations: this.config.iterations, key: { seed: this.config.seed, stream: 0x7051, counter: 0 } });
    this.codebook = storedCodebook(r.centroids, 16);
  }

  /** φ(sg(w)): every block replaced by its nearest centroid of the (fp16-stored) codebook. */
  private pqValue(w: Tensor, ctx: QuantizerForwardContext): Tensor {
    if (this.config.variant !== 'exact-pq') throw new QuantizerStateError(`${this.id}: no codebook for variant ${this.config.variant}`);
    const every = this.config.refreshEvery;
    if (!this.codebook || (ctx.training && this.lastRefresh !== null && (ctx.step >= this.lastRefresh + every || ctx.step < this.lastRefresh))) {
      this.refreshCodebook(w);
      this.lastRefresh = ctx.step;
    } else if (ctx.training && this.lastRefresh === null) {
      this.lastRefresh = ctx.step;
    }
    const d = this.config.blockSize;
    const x = hostValues(w);
    const codes = encode(x, d, this.codebook!, this.codebookSize());
    const out = new Float32Array(x.length);
    for (let i = 0; i < codes.length; i++) for (let t = 0; t < d; t++) out[i * d + t] = this.codebook![codes[i]! * d + t]!;
    return tensorLike(w, out, w.shape, 'float32');
  }
}

/** Checks block-size rules against the weight shape (fairseq asserts in_features % block_size == 0). */
export function checkBlocks(id: string, config: { blockSize: number; remainder: 'reject' | 'pad'; variant: string }, ctx: QuantizerCreateContext): void {
  const [, cols] = matrixShape(ctx.shape);
  if (config.variant === 'exact-pq' && cols % config.blockSize !== 0) {
    configError(id, 'blockSize', config.blockSize, `a divisor of the row length ${cols} (exact-PQ noise needs whole blocks)`);
  }
  if (config.remainder === 'reject' && cols % config.blockSize !== 0) {
    configError(id, 'blockSize', config.blockSize, `a divisor of the row length ${cols} of shape [${ctx.shape.join(',')}] (or remainder: 'pad')`);
  }
}

/**
 * The `quant-noise` plugin (spec §3): variants 'scalar', 'proxy' and 'exact-pq'.
 *
 * @example
 * ```ts
 * const q = defaultRegistry.create('quant-noise', { variant: 'scalar', p: 0.5, target: { bits: 4 } }, { shape, role: 'weight', runtime });
 * const q2 = defaultRegistry.create('quant-noise', { variant: 'proxy', p: 0.1, blockSize: 8 }, { shape, role: 'weight', runtime });
 * ```
 */
export const quantNoise: QuantizerPlugin<QuantNoiseConfig> = {
  id: 'quant-noise',
  apiVersion: 1,
  parseConfig: (raw) => parseWith('quant-noise', quantNoiseConfigSchema, raw),
  create: (config, ctx) => {
    checkBlocks('quant-noise', config, ctx);
    if (ctx.role === 'activation' && config.variant !== 'scalar') configError('quant-noise', 'variant', config.variant, "'scalar' for activations");
    return new QuantNoiseQuantizer(config, ctx);
  },
};
