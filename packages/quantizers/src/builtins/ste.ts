import { noGrad, scope, type Tensor, fakeQuant, ge, keep, tensorLike, where } from '@nibble/core';
import type { Backend } from '@nibble/core/spi';
import { z } from 'zod';
import { bitsSchema, configError, parseWith } from '../common/config.ts';
import { containerBits, codeOf, uniformGrid, type UniformGrid } from '../common/grid.ts';
import { assertFinite, assertShape, groupBroadcastShape, groupsOf, hostValues, matrixShape } from '../common/host.ts';
import { type GridParams, type ObserverState, RangeObserver } from '../common/observer.ts';
import { packCodes } from '../common/pack.ts';
import { clippedStraightThrough, straightThrough } from '../common/straight-through.ts';
import { QuantizerStateError } from '../errors.ts';
import type { JsonValue, PackedTensor, Quantizer, QuantizerCreateContext, QuantizerForwardContext, QuantizerPlugin } from '../spi.ts';

/** Config of the `ste` plugin (spec §1); every field but `bits` has a default. */
export const steConfigSchema = z.strictObject({
  /** Bit width 1..8; b = 1 is the binary grid α·sign(x). */
  bits: bitsSchema,
  /** 'symmetric' (default, signed codes) or 'affine' (unsigned codes with a zero-point, PyTorch MinMaxObserver). */
  scheme: z.enum(['affine', 'symmetric']).default('symmetric'),
  /** Symmetric grids: 'narrow' [−Q_P, Q_P] (default) or 'full' [−2^{b−1}, 2^{b−1}−1]. */
  range: z.enum(['narrow', 'full']).default('narrow'),
  /** 'tensor' (one scale) or 'channel' (one scale per output row, axis 0). */
  granularity: z.enum(['tensor', 'channel']).default('tensor'),
  /** 'clipped' (default): gradient g·1[lo ≤ w ≤ hi]; 'identity': gradient g everywhere. */
  steMode: z.enum(['identity', 'clipped']).default('clipped'),
  /** Range estimator: 'minmax' (default), 'ema-minmax' or 'mse'. */
  observer: z.enum(['minmax', 'ema-minmax', 'mse']).default('minmax'),
  /** Training steps between range refreshes (fairseq uses 1000; default 1). */
  refreshEvery: z.number().int().min(1).default(1),
  /** EMA momentum of 'ema-minmax': new = m·old + (1 − m)·current. */
  momentum: z.number().gt(0).lt(1).default(0.9),
  /** Binary grid (b = 1): α = mean|x| (default, L2-optimal) or max|x|. */
  binaryScale: z.enum(['mean', 'max']).default('mean'),
});
/** Parsed `ste` config. */
export type SteConfig = z.output<typeof steConfigSchema>;

interface GridTensors {
  readonly backend: Backend;
  readonly scale: Tensor;
  readonly zeroPoint: Tensor;
  readonly lo: Tensor;
  readonly hi: Tensor;
}

/**
 * STE uniform fake quantization (spec §1): ranges from an observer on sg(w), the fused `fakeQuant` forward (binary
 * α·sign(x) at b = 1) and a straight-through gradient (identity or clipped).
 */
export class SteQuantizer implements Quantizer {
  readonly grid: UniformGrid;
  private readonly observer: RangeObserver;
  private lastRefresh: number | null = null;
  private cache: GridTensors | undefined;

  constructor(
    readonly config: SteConfig,
    private readonly ctx: QuantizerCreateContext,
    private readonly id = 'ste',
  ) {
    this.grid = uniformGrid(config.bits, config.scheme, config.range);
    this.observer = new RangeObserver(this.grid, config.granularity, config.observer, { momentum: config.momentum, binaryScale: config.binaryScale });
  }

  forward(w: Tensor, ctx: QuantizerForwardContext): Tensor {
    return scope(() => {
      const q = this.quantizedValue(w, ctx);
      const t = this.tensors(w);
      return this.config.steMode === 'identity' ? straightThrough(w, q) : clippedStraightThrough(w, q, t.lo, t.hi);
    });
  }

  /**
   * q(sg(w)) without gradient, refreshing the ranges first when the step calls for it (used by Quant-Noise to build
   * its noised blocks). The caller owns the result.
   */
  quantizedValue(w: Tensor, ctx: QuantizerForwardContext): Tensor {
    if (this.ctx.role === 'weight') assertShape(`${this.id}.forward`, this.ctx.shape, w.shape);
    this.maybeRefresh(w, ctx);
    const t = this.tensors(w);
    return noGrad(() => {
      if (this.grid.kind === 'binary') return where(ge(w, 0), t.hi, t.lo);
      return fakeQuant(w, t.scale, t.zeroPoint, { qmin: this.grid.qmin, qmax: this.grid.qmax, axis: this.config.granularity === 'channel' ? 0 : null });
    });
  }

  /** The current grid parameters per group (scales, zero-points, clip bounds); calibrates on `w` if never done. */
  gridParams(w: Tensor): GridParams {
    if (!this.observer.observed) this.calibrate(w);
    return this.observer.params();
  }

  parameters(): Record<string, Tensor> {
    return {};
  }

  assign(values: Record<string, Tensor>): void {
    const names = Object.keys(values);
    if (names.length) throw new QuantizerStateError(`${this.id}.assign: got parameters [${names.join(', ')}]; expected none (this quantizer learns nothing)`);
  }

  calibrate(w: Tensor): void {
    const values = hostValues(w);
    assertFinite(`${this.id}.calibrate`, values);
    this.observer.observe(values, w.shape);
    this.dropCache();
  }

  getState(): { version: number; state: JsonValue } {
    const obs = this.observer.getState();
    return { version: 1, state: { observer: obs as unknown as JsonValue, lastRefresh: this.lastRefresh } };
  }

  setState(s: { version: number; state: JsonValue }): void {
    if (s.version !== 1) throw new QuantizerStateError(`${this.id}.setState: state version ${s.version}; expected 1`);
    const st = s.state as { observer?: ObserverState | null; lastRefresh?: number | null } | null;
    const obs = st?.observer ?? null;
    const { groups } = groupsOf(this.ctx.shape, this.config.granularity);
    if (obs && this.ctx.role === 'weight' && (obs.lo.length !== groups || obs.hi.length !== groups || obs.alpha.length !== groups)) {
      throw new QuantizerStateError(`${this.id}.setState: state has ${obs.lo.length} groups; expected ${groups} for shape [${this.ctx.shape.join(',')}]`);
    }
    this.observer.setState(obs);
    this.lastRefresh = st?.lastRefresh ?? null;
    this.dropCache();
  }

  export(w: Tensor): PackedTensor {
    assertShape(`${this.id}.export`, this.ctx.shape, w.shape);
    const p = this.gridParams(w);
    const values = hostValues(w);
    const [rows, cols] = matrixShape(w.shape);
    const { groupLen } = groupsOf(w.shape, this.config.granularity);
    const { qmin, qmax, kind, bits } = this.grid;
    const codes = new Int32Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const g = Math.floor(i / groupLen);
      codes[i] = kind === 'binary' ? (values[i]! >= 0 ? 1 : 0) : codeOf(values[i]!, p.scale[g]!, p.zeroPoint[g]!, qmin, qmax);
    }
    const cb = containerBits(bits);
    const meta = { quantizer: this.id, grid: kind, qmin, qmax, granularity: this.config.granularity, bits };
    const layout = { kind: 'int', bits: cb, shape: [rows, cols], groupSize: cols, signed: kind === 'symmetric' } as const;
    const packed = packCodes(codes, rows, cols, cb);
    if (kind === 'binary') {
      // ±α as unsigned 1-bit codes: (c − ½)·2α; the zero-point ½ is implied by the layout and costs no bits.
      const tables = p.scale.map((a) => Math.fround(2 * a));
      return { layout, shape: [...w.shape], bits, codes: packed, tables, tableBits: 32, zeroPoints: new Float32Array(p.scale.length).fill(0.5), zeroPointBits: 0, meta };
    }
    if (kind === 'affine') {
      return { layout, shape: [...w.shape], bits, codes: packed, tables: p.scale, tableBits: 32, zeroPoints: p.zeroPoint, zeroPointBits: bits, meta };
    }
    return { layout, shape: [...w.shape], bits, codes: packed, tables: p.scale, tableBits: 32, meta };
  }

  sizeBits(shape: readonly number[]): number {
    const n = shape.reduce((a, d) => a * d, 1);
    const { groups } = groupsOf(shape, this.config.granularity);
    const zeroPointBits = this.grid.kind === 'affine' ? this.grid.bits : 0;
    return n * this.grid.bits + groups * (32 + zeroPointBits);
  }

  [Symbol.dispose](): void {
    this.dropCache();
  }

  private maybeRefresh(w: Tensor, ctx: QuantizerForwardContext): void {
    if (!this.observer.observed) {
      this.calibrate(w);
      this.lastRefresh = ctx.step;
      return;
    }
    if (!ctx.training) return;
    if (this.lastRefresh === null) {
      this.lastRefresh = ctx.step;
      return;
    }
    if (ctx.step >= this.lastRefresh + this.config.refreshEvery || ctx.step < this.lastRefresh) {
      this.calibrate(w);
      this.lastRefresh = ctx.step;
    }
  }

  private tensors(w: Tensor): GridTensors {
    if (this.cache && this.cache.backend === w.backend) return this.cache;
    this.dropCache();
    const p = this.observer.params();
    const g = p.scale.length;
    const bshape = groupBroadcastShape(w.shape, this.config.granularity);
    const make = (data: Float32Array, shape: readonly number[]) => keep(tensorLike(w, data, shape, 'float32'));
    this.cache = {
      backend: w.backend,
      scale: make(p.scale, [g]),
      zeroPoint: make(p.zeroPoint, [g]),
      lo: make(p.lo, bshape),
      hi: make(p.hi, bshape),
    };
    return this.cache;
  }

  private dropCache(): void {
    if (!this.cache) return;
    for (const t of [this.cache.scale, this.cache.zeroPoint, this.cache.lo, this.cache.hi]) t.dispose();
    this.cache = undefined;
  }
}

/** Checks the rules of an `ste` config that depend on where it is used. */
export function checkSteContext(id: string, config: SteConfig, ctx: QuantizerCreateContext): void {
  if (ctx.role === 'activation' && config.granularity === 'channel') {
    configError(id, 'granularity', 'channel', "'tensor' for activations (per-channel means one scale per weight output row)");
  }
}

/**
 * The `ste` plugin: uniform fake quantization with a straight-through gradient (spec §1).
 *
 * @example
 * ```ts
 * const q = defaultRegistry.create('ste', { bits: 4, granularity: 'channel' }, { shape: [16, 32], role: 'weight', runtime });
 * const wq = q.forward(w, { training: true, step: 0, epoch: 0, key: { seed: 0, stream: 0, counter: 0 } });
 * ```
 */
export const ste: QuantizerPlugin<SteConfig> = {
  id: 'ste',
  apiVersion: 1,
  parseConfig: (raw) => parseWith('ste', steConfigSchema, raw),
  create: (config, ctx) => {
    checkSteContext('ste', config, ctx);
    return new SteQuantizer(config, ctx);
  },
};
