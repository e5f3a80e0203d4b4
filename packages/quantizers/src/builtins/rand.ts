import { randomNormal, randomUniform, scope, stopGradient, type Tensor, tensorLike, noGrad } from '@nibble/core';
import { z } from 'zod';
import { parseWith } from '../common/config.ts';
import { codeOf, containerBits, SCALE_EPSILON } from '../common/grid.ts';
import { assertFinite, assertShape, groupBroadcastShape, groupsOf, hostValues, matrixShape } from '../common/host.ts';
import { packCodes } from '../common/pack.ts';
import { stepRound } from '../common/step-round.ts';
import { identityGradient } from '../common/straight-through.ts';
import { QuantizerStateError } from '../errors.ts';
import type { JsonValue, PackedTensor, Quantizer, QuantizerCreateContext, QuantizerForwardContext, QuantizerPlugin } from '../spi.ts';

/** Config of the `rand` plugin (spec §5.2, a reconstruction: see spec §10). */
export const randConfigSchema = z.strictObject({
  /** Bit width 2..8 (s = r/Q_P needs Q_P ≥ 1). */
  bits: z.number().int().min(2).max(8),
  /** 'pqn' (default): training adds s·u noise; 'ste': training fake-quantizes with the LSQ-style scale gradient. */
  flavour: z.enum(['ste', 'pqn']).default('pqn'),
  /**
   * Presets of (p, c, scale gradient): 'none' = max|w| with stop-gradient; '1' = max|w| with gradient; '2' (default)
   * = finite p, c = c₀ = max|w₀|/‖w₀‖_p frozen at init; '3' = finite p, c = clipFactor·c₀ (deliberate clipping);
   * 'custom' = the given p and c.
   */
  mode: z.enum(['none', '1', '2', '3', 'custom']).default('2'),
  /** Norm order p ≥ 1, or 'inf' (modes 2, 3 default 4; custom default 'inf'). */
  p: z.union([z.number().min(1), z.literal('inf')]).optional(),
  /** Multiplier c > 0 of mode 'custom' (default 1). */
  c: z.number().positive().optional(),
  /** Mode 3: c = clipFactor·c₀, in (0, 1). */
  clipFactor: z.number().gt(0).lt(1).default(0.9),
  /** Use the power mean (mean |w|^p)^{1/p} = N^{−1/p}‖w‖_p instead of the norm. */
  normalize: z.boolean().default(false),
  /** 'channel' (default, praxis PerChannelLinf) or 'tensor'. */
  granularity: z.enum(['tensor', 'channel']).default('channel'),
  /** Override the mode's scale gradient: true detaches r (plain STE/PQN). */
  stopScaleGrad: z.boolean().optional(),
  /** PQN noise: U(−½, ½) (default) or N(0, 1). */
  noise: z.enum(['uniform', 'normal']).default('uniform'),
  /** PQN warm-up: no noise before this training step (praxis vn_start_step). */
  startStep: z.number().int().min(0).default(0),
});
/** Parsed `rand` config. */
export type RandConfig = z.output<typeof randConfigSchema>;

/** Floors that keep r and its gradient finite for all-zero groups (∂r/∂w = 0 there, spec §5.3). */
const TINY = 1e-30;

/**
 * RAND (Qiu et al.), spec §5.2: the step s = c·‖w‖_p/Q_P per group with the gradient flowing through s (an outlier
 * "norm decay"), with a PQN (noise) or STE training forward; eval and export fake-quantize on the symmetric narrow
 * grid with s recomputed from the current weights.
 */
export class RandQuantizer implements Quantizer {
  readonly qp: number;
  readonly p: number;
  readonly stopScaleGrad: boolean;
  private c0: number[] | undefined;

  constructor(
    readonly config: RandConfig,
    private readonly ctx: QuantizerCreateContext,
  ) {
    this.qp = 2 ** (config.bits - 1) - 1;
    const p = config.p === 'inf' ? Infinity : config.p;
    this.p = config.mode === 'none' || config.mode === '1' ? Infinity : config.mode === 'custom' ? (p ?? Infinity) : (p ?? 4);
    this.stopScaleGrad = config.stopScaleGrad ?? config.mode === 'none';
  }

  /**
   * r(w) = c·‖w‖_p per group ([G]), differentiable; computed overflow-safe as m·(Σ(|w|/m)^p)^{1/p} with m = sg(max|w|),
   * which equals ‖w‖_p for any m, so its gradient is exactly ∂‖w‖_p/∂w. p = ∞ is max|w| (ties share the gradient).
   */
  range(w: Tensor): Tensor {
    return scope(() => this.rangeInScope(w));
  }

  private rangeInScope(w: Tensor): Tensor {
    const { groups, groupLen } = groupsOf(w.shape, this.config.granularity);
    const a = w.reshape([groups, groupLen]).abs();
    let r: Tensor;
    if (this.p === Infinity) {
      r = a.max(1);
    } else {
      const m = stopGradient(a.max(1, true)).maximum(TINY);
      const s = a.div(m).pow(this.p).sum(1).maximum(TINY);
      r = s.pow(1 / this.p).mul(m.reshape([groups]));
      if (this.config.normalize) r = r.mul(groupLen ** (-1 / this.p));
    }
    const c = this.multipliers(w);
    return typeof c === 'number' ? (c === 1 ? r : r.mul(c)) : r.mul(tensorLike(w, Float32Array.from(c), [groups], 'float32'));
  }

  /** s = max(r/Q_P, ε) per group ([G]); detached when the scale gradient is stopped. */
  step(w: Tensor): Tensor {
    return scope(() => {
      const s = this.range(w).div(this.qp).maximum(SCALE_EPSILON);
      return this.stopScaleGrad ? stopGradient(s) : s;
    });
  }

  forward(w: Tensor, ctx: QuantizerForwardContext): Tensor {
    assertShape('rand.forward', this.ctx.shape, w.shape);
    if (this.c0 === undefined && (this.config.mode === '2' || this.config.mode === '3')) this.calibrate(w);
    return scope(() => {
      const bshape = groupBroadcastShape(w.shape, this.config.granularity);
      if (ctx.training && this.config.flavour === 'pqn') {
        if (ctx.step < this.config.startStep) return identityGradient(w);
        const where = { runtime: w.runtime, backend: w.backend.name };
        const u = this.config.noise === 'uniform' ? randomUniform(w.shape, ctx.key, -0.5, 0.5, where) : randomNormal(w.shape, ctx.key, 0, 1, where);
        return w.add(this.step(w).reshape(bshape).mul(u));
      }
      const axis = this.config.granularity === 'channel' ? 0 : null;
      return stepRound(w, this.step(w), { qn: this.qp, qp: this.qp, gradScale: 1, boundary: 'closed', broadcastShape: bshape, axis });
    });
  }

  parameters(): Record<string, Tensor> {
    return {};
  }

  assign(values: Record<string, Tensor>): void {
    const names = Object.keys(values);
    if (names.length) throw new QuantizerStateError(`rand.assign: got parameters [${names.join(', ')}]; expected none (the scale follows the weights)`);
  }

  /** Freezes c₀ = max|w₀| / ‖w₀‖_p per group (modes 2 and 3); other modes only check the weights. */
  calibrate(w: Tensor): void {
    const v = hostValues(w);
    assertFinite('rand.calibrate', v);
    if (this.config.mode !== '2' && this.config.mode !== '3') return;
    const { groups, groupLen } = groupsOf(w.shape, this.config.granularity);
    const c0: number[] = [];
    for (let g = 0; g < groups; g++) {
      let m = 0;
      for (let i = g * groupLen; i < (g + 1) * groupLen; i++) m = Math.max(m, Math.abs(v[i]!));
      let norm = m;
      if (this.p !== Infinity && m > 0) {
        let s = 0;
        for (let i = g * groupLen; i < (g + 1) * groupLen; i++) s += (Math.abs(v[i]!) / m) ** this.p;
        norm = m * s ** (1 / this.p) * (this.config.normalize ? groupLen ** (-1 / this.p) : 1);
      }
      c0.push(norm > 0 ? m / norm : 1);
    }
    this.c0 = c0;
  }

  getState(): { version: number; state: JsonValue } {
    return { version: 1, state: { c0: this.c0 ?? null } };
  }

  setState(s: { version: number; state: JsonValue }): void {
    if (s.version !== 1) throw new QuantizerStateError(`rand.setState: state version ${s.version}; expected 1`);
    const c0 = (s.state as { c0?: number[] | null } | null)?.c0 ?? null;
    const { groups } = groupsOf(this.ctx.shape, this.config.granularity);
    if (c0 && c0.length !== groups) throw new QuantizerStateError(`rand.setState: c0 has ${c0.length} entries; expected ${groups}`);
    this.c0 = c0 ? [...c0] : undefined;
  }

  export(w: Tensor): PackedTensor {
    assertShape('rand.export', this.ctx.shape, w.shape);
    if (this.c0 === undefined && (this.config.mode === '2' || this.config.mode === '3')) this.calibrate(w);
    const s = noGrad(() => scope(() => this.step(w).dataSync() as Float32Array));
    const v = hostValues(w);
    const [rows, cols] = matrixShape(w.shape);
    const { groupLen } = groupsOf(w.shape, this.config.granularity);
    const codes = new Int32Array(v.length);
    for (let i = 0; i < v.length; i++) codes[i] = codeOf(v[i]!, s[Math.floor(i / groupLen)]!, 0, -this.qp, this.qp);
    const cb = containerBits(this.config.bits);
    return {
      layout: { kind: 'int', bits: cb, shape: [rows, cols], groupSize: cols, signed: true },
      shape: [...w.shape],
      bits: this.config.bits,
      codes: packCodes(codes, rows, cols, cb),
      tables: Float32Array.from(s),
      tableBits: 32,
      meta: { quantizer: 'rand', grid: 'symmetric', qmin: -this.qp, qmax: this.qp, granularity: this.config.granularity, bits: this.config.bits, mode: this.config.mode },
    };
  }

  sizeBits(shape: readonly number[]): number {
    const n = shape.reduce((a, d) => a * d, 1);
    return n * this.config.bits + 32 * groupsOf(shape, this.config.granularity).groups;
  }

  [Symbol.dispose](): void {}

  private multipliers(w: Tensor): number | number[] {
    const mode = this.config.mode;
    if (mode === 'none' || mode === '1') return 1;
    if (mode === 'custom') return this.config.c ?? 1;
    if (!this.c0) this.calibrate(w);
    return mode === '2' ? this.c0! : this.c0!.map((c) => c * this.config.clipFactor);
  }
}

/**
 * The `rand` plugin (spec §5.2).
 *
 * @example
 * ```ts
 * const q = defaultRegistry.create('rand', { bits: 4, flavour: 'pqn', mode: '2', p: 4 }, { shape, role: 'weight', runtime });
 * ```
 */
export const rand: QuantizerPlugin<RandConfig> = {
  id: 'rand',
  apiVersion: 1,
  parseConfig: (raw) => parseWith('rand', randConfigSchema, raw),
  create: (config, ctx) => new RandQuantizer(config, ctx),
};
