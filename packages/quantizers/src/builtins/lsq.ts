import { fakeQuant, keep, noGrad, scope, type Tensor, tensor, tensorLike } from '@nibble/core';
import { z } from 'zod';
import { bitsSchema, configError, parseWith } from '../common/config.ts';
import { codeOf, containerBits, roundHalfEven, SCALE_EPSILON } from '../common/grid.ts';
import { assertFinite, assertShape, groupBroadcastShape, groupsOf, hostValues, matrixShape } from '../common/host.ts';
import { packCodes } from '../common/pack.ts';
import { stepRound } from '../common/step-round.ts';
import { QuantizerExportError, QuantizerStateError } from '../errors.ts';
import type { JsonValue, PackedTensor, Quantizer, QuantizerCreateContext, QuantizerForwardContext, QuantizerPlugin } from '../spi.ts';
import { binaryStep, scaleGradient } from './lsq-ops.ts';

/** Config of the `lsq` and `lsq+` plugins (spec §2). */
export const lsqConfigSchema = z.strictObject({
  /** Bit width 1..8 (`lsq+`: 2..8); LSQ at b = 1 is binary s·sign(v). */
  bits: bitsSchema,
  /** 'tensor' (default, one learned step as in the paper) or 'channel' (one per output row). */
  granularity: z.enum(['tensor', 'channel']).default('tensor'),
  /** Step gradient scale g_s: 'auto' = 1/√(N·Q_P) (1/√N at b = 1), or a fixed positive number. */
  gradScale: z.union([z.literal('auto'), z.number().positive()]).default('auto'),
  /** Lower bound ε of the step, enforced at init and at every `assign` (default 2^−23). */
  minStep: z.number().positive().default(SCALE_EPSILON),
});
/** Parsed `lsq` / `lsq+` config. */
export type LsqConfig = z.output<typeof lsqConfigSchema>;

/**
 * LSQ (Esser et al. 2020) and LSQ+ (Bhalgat et al. 2020), spec §2: a learned step s (and for LSQ+ an offset β) with
 * the LSQ step gradient scaled by g_s. LSQ+ trains with a continuous β and evaluates/exports with β snapped to s·Z.
 */
export class LsqQuantizer implements Quantizer {
  readonly qn: number;
  readonly qp: number;
  readonly binary: boolean;
  private readonly groups: number;
  private step: Tensor | undefined;
  private offset: Tensor | undefined;

  constructor(
    readonly config: LsqConfig,
    private readonly ctx: QuantizerCreateContext,
    readonly variant: 'lsq' | 'lsq+',
  ) {
    const b = config.bits;
    const signed = ctx.role === 'weight';
    this.binary = signed && b === 1;
    this.qn = signed ? 2 ** (b - 1) : 0;
    this.qp = signed ? 2 ** (b - 1) - 1 : 2 ** b - 1;
    this.groups = groupsOf(ctx.shape, config.granularity).groups;
  }

  /** g_s of spec §2.1: 1/√(N·Q_P) with N the weights per step (activations: features per example); 1/√N at b = 1. */
  get gradScale(): number {
    if (this.config.gradScale !== 'auto') return this.config.gradScale;
    const n = this.ctx.role === 'weight' ? groupsOf(this.ctx.shape, this.config.granularity).groupLen : this.ctx.shape.slice(1).reduce((a, d) => a * d, 1);
    return this.binary ? 1 / Math.sqrt(n) : 1 / Math.sqrt(n * this.qp);
  }

  forward(w: Tensor, ctx: QuantizerForwardContext): Tensor {
    if (this.ctx.role === 'weight') assertShape(`${this.variant}.forward`, this.ctx.shape, w.shape);
    if (!this.step) this.calibrate(w);
    const s = this.step!;
    const bshape = groupBroadcastShape(w.shape, this.config.granularity);
    const axis = this.config.granularity === 'channel' ? 0 : null;
    return scope(() => {
      if (this.binary) return binaryStep(w, s, this.gradScale, bshape);
      const opts = { qn: this.qn, qp: this.qp, gradScale: this.gradScale, boundary: 'open', broadcastShape: bshape, axis } as const;
      if (this.variant === 'lsq') return stepRound(w, s, opts);
      const beta = this.offset!;
      if (!ctx.training) return noGrad(() => fakeQuant(w, s, this.snappedZeroPoint(beta, s), { qmin: -this.qn, qmax: this.qp, axis }));
      // x̂ = round(clip((x − β)/s))·s + β; ∂x̂/∂β = 1 − 1[inside] by autodiff, scaled like the step.
      const b = scaleGradient(beta, this.gradScale).reshape(bshape);
      return stepRound(w.sub(b), s, opts).add(b);
    });
  }

  parameters(): Record<string, Tensor> {
    if (!this.step) return {};
    return this.variant === 'lsq' ? { step: this.step } : { step: this.step, offset: this.offset! };
  }

  assign(values: Record<string, Tensor>): void {
    const expected = this.variant === 'lsq' ? ['step'] : ['step', 'offset'];
    for (const [name, t] of Object.entries(values)) {
      if (!expected.includes(name)) throw new QuantizerStateError(`${this.variant}.assign: unknown parameter '${name}'; expected ${expected.join(', ')}`);
      if (t.rank !== 1 || t.shape[0] !== this.groups) throw new QuantizerStateError(`${this.variant}.assign: '${name}' has shape [${t.shape.join(',')}]; expected [${this.groups}]`);
    }
    if (values.step) {
      const clamped = keep(noGrad(() => values.step!.maximum(this.config.minStep)));
      values.step.dispose();
      this.step?.dispose();
      this.step = clamped;
    }
    if (values.offset) {
      if (this.offset !== values.offset) this.offset?.dispose();
      this.offset = keep(values.offset);
    }
  }

  calibrate(w: Tensor): void {
    const v = hostValues(w);
    assertFinite(`${this.variant}.calibrate`, v);
    const { groups, groupLen } = this.ctx.role === 'weight' ? groupsOf(w.shape, this.config.granularity) : { groups: 1, groupLen: v.length };
    const step = new Float32Array(groups);
    const offset = new Float32Array(groups);
    for (let g = 0; g < groups; g++) {
      const part = Array.from(v.subarray(g * groupLen, (g + 1) * groupLen));
      let s: number;
      if (this.variant === 'lsq') {
        const meanAbs = part.reduce((a, x) => a + Math.abs(x), 0) / Math.max(1, part.length);
        s = this.binary ? meanAbs : (2 * meanAbs) / Math.sqrt(this.qp);
      } else if (this.ctx.role === 'weight') {
        const mu = part.reduce((a, x) => a + x, 0) / Math.max(1, part.length);
        const sigma = Math.sqrt(part.reduce((a, x) => a + (x - mu) ** 2, 0) / Math.max(1, part.length));
        s = Math.max(Math.abs(mu - 3 * sigma), Math.abs(mu + 3 * sigma)) / 2 ** (this.config.bits - 1);
      } else {
        const lo = part.reduce((a, x) => Math.min(a, x), Infinity);
        const hi = part.reduce((a, x) => Math.max(a, x), -Infinity);
        s = (hi - lo) / this.qp;
        offset[g] = lo;
      }
      step[g] = Math.max(Math.fround(s), this.config.minStep);
    }
    this.setParams(w, step, offset);
  }

  getState(): { version: number; state: JsonValue } {
    if (!this.step) return { version: 1, state: { initialized: false } };
    const state: { [k: string]: JsonValue } = { initialized: true, step: Array.from(this.step.dataSync()) };
    if (this.offset) state.offset = Array.from(this.offset.dataSync());
    return { version: 1, state };
  }

  setState(s: { version: number; state: JsonValue }): void {
    if (s.version !== 1) throw new QuantizerStateError(`${this.variant}.setState: state version ${s.version}; expected 1`);
    const st = s.state as { initialized?: boolean; step?: number[]; offset?: number[] } | null;
    if (!st?.initialized) {
      this.dispose();
      return;
    }
    if (!Array.isArray(st.step) || st.step.length !== this.groups) {
      throw new QuantizerStateError(`${this.variant}.setState: step has ${st.step?.length ?? 0} entries; expected ${this.groups}`);
    }
    const offset = new Float32Array(this.groups);
    if (this.variant === 'lsq+') {
      if (!Array.isArray(st.offset) || st.offset.length !== this.groups) {
        throw new QuantizerStateError(`${this.variant}.setState: offset has ${st.offset?.length ?? 0} entries; expected ${this.groups}`);
      }
      offset.set(st.offset);
    }
    this.dispose();
    this.step = keep(tensor(Float32Array.from(st.step), { runtime: this.ctx.runtime }));
    if (this.variant === 'lsq+') this.offset = keep(tensor(offset, { runtime: this.ctx.runtime }));
  }

  export(w: Tensor): PackedTensor {
    if (this.ctx.role !== 'weight') throw new QuantizerExportError(`${this.variant}.export: role '${this.ctx.role}'; expected 'weight' (activations are not stored)`);
    assertShape(`${this.variant}.export`, this.ctx.shape, w.shape);
    if (!this.step) this.calibrate(w);
    const s = this.step!.dataSync();
    const beta = this.offset?.dataSync();
    const v = hostValues(w);
    const [rows, cols] = matrixShape(w.shape);
    const { groupLen } = groupsOf(w.shape, this.config.granularity);
    const bits = this.config.bits;
    const cb = containerBits(bits);
    const zp = new Float32Array(s.length);
    if (beta) for (let g = 0; g < s.length; g++) zp[g] = roundHalfEven(Math.fround(-beta[g]! / s[g]!));
    const codes = new Int32Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const g = Math.floor(i / groupLen);
      codes[i] = this.binary ? (v[i]! >= 0 ? 1 : 0) : codeOf(v[i]!, s[g]!, zp[g]!, -this.qn, this.qp);
    }
    const meta = { quantizer: this.variant, grid: this.binary ? 'binary' : 'symmetric', qmin: this.binary ? 0 : -this.qn, qmax: this.binary ? 1 : this.qp, granularity: this.config.granularity, bits };
    const packed = packCodes(codes, rows, cols, cb);
    const base = { shape: [...w.shape], bits, codes: packed, tableBits: 32 as const, meta };
    if (this.binary) {
      return { ...base, layout: { kind: 'int', bits: cb, shape: [rows, cols], groupSize: cols, signed: false }, tables: Float32Array.from(s, (a) => Math.fround(2 * a)), zeroPoints: new Float32Array(s.length).fill(0.5), zeroPointBits: 0 };
    }
    const layout = { kind: 'int', bits: cb, shape: [rows, cols], groupSize: cols, signed: true } as const;
    if (beta) return { ...base, layout, tables: Float32Array.from(s), zeroPoints: zp, zeroPointBits: bits };
    return { ...base, layout, tables: Float32Array.from(s) };
  }

  sizeBits(shape: readonly number[]): number {
    const n = shape.reduce((a, d) => a * d, 1);
    const { groups } = groupsOf(shape, this.config.granularity);
    return n * this.config.bits + groups * (32 + (this.variant === 'lsq+' ? this.config.bits : 0));
  }

  dispose(): void {
    this.step?.dispose();
    this.offset?.dispose();
    this.step = undefined;
    this.offset = undefined;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** z = round(−β/s), so β snapped to s·Z is −z·s (spec §2.4), computed as the export computes it. */
  private snappedZeroPoint(beta: Tensor, s: Tensor): Tensor {
    return beta.neg().div(s).roundHalfEven();
  }

  private setParams(like: Tensor, step: Float32Array, offset: Float32Array): void {
    this.dispose();
    this.step = keep(tensorLike(like, step, [step.length], 'float32'));
    if (this.variant === 'lsq+') this.offset = keep(tensorLike(like, offset, [offset.length], 'float32'));
  }
}

function checkLsqContext(id: 'lsq' | 'lsq+', config: LsqConfig, ctx: QuantizerCreateContext): void {
  if (id === 'lsq+' && config.bits < 2) configError(id, 'bits', config.bits, 'an integer in 2..8 (LSQ+ has no binary form; use lsq for b = 1)');
  if (ctx.role === 'activation' && config.granularity === 'channel') configError(id, 'granularity', 'channel', "'tensor' for activations");
}

/**
 * The `lsq` plugin: learned step size quantization (spec §2), parameter `step`.
 *
 * @example
 * ```ts
 * const q = defaultRegistry.create('lsq', { bits: 3 }, { shape: [64, 64], role: 'weight', runtime });
 * q.calibrate(w);                       // s₀ = 2·mean|w|/√Q_P
 * const { step } = q.parameters();      // train it with the weights; q.assign({ step: newStep }) after each update
 * ```
 */
export const lsq: QuantizerPlugin<LsqConfig> = {
  id: 'lsq',
  apiVersion: 1,
  parseConfig: (raw) => parseWith('lsq', lsqConfigSchema, raw),
  create: (config, ctx) => {
    checkLsqContext('lsq', config, ctx);
    return new LsqQuantizer(config, ctx, 'lsq');
  },
};

/**
 * The `lsq+` plugin: LSQ with a learned offset β (spec §2.4), parameters `step` and `offset`.
 *
 * @example
 * ```ts
 * const q = defaultRegistry.create('lsq+', { bits: 4 }, { shape: [64, 64], role: 'weight', runtime });
 * ```
 */
export const lsqPlus: QuantizerPlugin<LsqConfig> = {
  id: 'lsq+',
  apiVersion: 1,
  parseConfig: (raw) => parseWith('lsq+', lsqConfigSchema, raw),
  create: (config, ctx) => {
    checkLsqContext('lsq+', config, ctx);
    return new LsqQuantizer(config, ctx, 'lsq+');
  },
};
