import { customVjp, gather, keep, noGrad, scatterAdd, scope, type Tensor, tensor, tensorLike } from '@nibble/core';
import { z } from 'zod';
import { configError, parseWith } from '../common/config.ts';
import { roundToFloat16 } from '../common/fp16.ts';
import { assertFinite, assertShape, hostValues, matrixShape } from '../common/host.ts';
import { QuantizerStateError } from '../errors.ts';
import type { JsonValue, PackedTensor, Quantizer, QuantizerCreateContext, QuantizerForwardContext, QuantizerPlugin } from '../spi.ts';
import { kmeans } from './kmeans.ts';

/** Config of the `pq` plugin (spec §6). */
export const pqConfigSchema = z.strictObject({
  /** Sub-vector length d along the input axis (must divide C_in·kh·kw). */
  blockSize: z.number().int().min(1),
  /** Centroids K, 1..256 (one byte per code); the codebook keeps K_eff = min(K, M). */
  centroids: z.number().int().min(1).max(256).default(256),
  /** k-means EM iterations (default 20). */
  iterations: z.number().int().min(0).default(20),
  /** Empty-cluster repairs per iteration before EM stops (default 30). */
  maxTentatives: z.number().int().min(0).default(30),
  /** Centroid gradient during iPQ fine-tuning: 'mean' over members (default, kill-the-bits) or 'sum' (autograd). */
  centroidGrad: z.enum(['mean', 'sum']).default('mean'),
  /** Bits of each exported codebook entry: 16 (fp16, default) or 32. The eval forward uses the same values. */
  codebookBits: z.union([z.literal(16), z.literal(32)]).default(16),
  /** Seed of the k-means initialization. */
  seed: z.number().int().min(0).default(0),
});
/** Parsed `pq` config. */
export type PqConfig = z.output<typeof pqConfigSchema>;

/** Rounds codebook values to what export stores (fp16 or float32). */
export function storedCodebook(values: ArrayLike<number>, bits: 16 | 32): Float32Array {
  return Float32Array.from(values as ArrayLike<number>, (v) => (bits === 16 ? roundToFloat16(Math.fround(v)) : v));
}

/**
 * Product quantization with iPQ fine-tuning (spec §6): each row is cut into sub-vectors of d; k-means gives the
 * codebook (a learned parameter, `centroids`) and frozen codes; the forward decodes `centroids[codes]`
 * (differentiable in the centroids only, 'mean' or 'sum' gradient). Eval and export use the codebook rounded to
 * `codebookBits`.
 */
export class PqQuantizer implements Quantizer {
  readonly rows: number;
  readonly cols: number;
  readonly subVectors: number;
  private centroids: Tensor | undefined;
  private codes: Tensor | undefined;
  private counts: Tensor | undefined;
  private hostCodes: Int32Array | undefined;

  constructor(
    readonly config: PqConfig,
    private readonly ctx: QuantizerCreateContext,
  ) {
    [this.rows, this.cols] = matrixShape(ctx.shape);
    this.subVectors = (this.rows * this.cols) / config.blockSize;
  }

  /** K_eff = min(K, M). */
  get codebookSize(): number {
    return Math.max(1, Math.min(this.config.centroids, this.subVectors));
  }

  forward(w: Tensor, ctx: QuantizerForwardContext): Tensor {
    assertShape('pq.forward', this.ctx.shape, w.shape);
    if (!this.centroids) this.calibrate(w);
    const c = this.centroids!;
    return scope(() => {
      if (!ctx.training) return noGrad(() => this.decode(c, true, w));
      if (this.config.centroidGrad === 'sum') return this.decode(c, false, w);
      const codes = this.codes!;
      const counts = this.counts!;
      const k = this.codebookSize;
      const d = this.config.blockSize;
      // gather forward, scatter-add backward divided by the member count (kill-the-bits centroid_sgd, fairseq PQConv2d).
      const op = customVjp(
        (cb: Tensor) => this.decode(cb, false, w),
        (_ctx, g) => [scatterAdd(codes, g.reshape([this.rows, this.cols / d, d]), [k, d], 0).div(counts)],
      );
      return op(c);
    });
  }

  parameters(): Record<string, Tensor> {
    return this.centroids ? { centroids: this.centroids } : {};
  }

  assign(values: Record<string, Tensor>): void {
    for (const [name, t] of Object.entries(values)) {
      if (name !== 'centroids') throw new QuantizerStateError(`pq.assign: unknown parameter '${name}'; expected centroids`);
      if (t.rank !== 2 || t.shape[0] !== this.codebookSize || t.shape[1] !== this.config.blockSize) {
        throw new QuantizerStateError(`pq.assign: centroids have shape [${t.shape.join(',')}]; expected [${this.codebookSize},${this.config.blockSize}]`);
      }
      if (this.centroids !== t) this.centroids?.dispose();
      this.centroids = keep(t);
    }
  }

  calibrate(w: Tensor): void {
    const x = hostValues(w);
    assertFinite('pq.calibrate', x);
    const r = kmeans(x, this.config.blockSize, {
      centroids: this.config.centroids,
      iterations: this.config.iterations,
      maxTentatives: this.config.maxTentatives,
      key: { seed: this.config.seed, stream: 0x7051, counter: 0 },
    });
    this.install(Float32Array.from(r.centroids), r.codes);
  }

  getState(): { version: number; state: JsonValue } {
    if (!this.centroids) return { version: 1, state: { calibrated: false } };
    return { version: 1, state: { calibrated: true, centroids: Array.from(this.centroids.dataSync()), codes: Array.from(this.hostCodes!) } };
  }

  setState(s: { version: number; state: JsonValue }): void {
    if (s.version !== 1) throw new QuantizerStateError(`pq.setState: state version ${s.version}; expected 1`);
    const st = s.state as { calibrated?: boolean; centroids?: number[]; codes?: number[] } | null;
    if (!st?.calibrated) {
      this.dispose();
      return;
    }
    const k = this.codebookSize;
    if (!Array.isArray(st.centroids) || st.centroids.length !== k * this.config.blockSize || !Array.isArray(st.codes) || st.codes.length !== this.subVectors) {
      throw new QuantizerStateError(`pq.setState: expected ${k * this.config.blockSize} centroid values and ${this.subVectors} codes`);
    }
    if (st.codes.some((c) => !Number.isInteger(c) || c < 0 || c >= k)) throw new QuantizerStateError(`pq.setState: codes must be integers in [0, ${k})`);
    this.install(Float32Array.from(st.centroids), Int32Array.from(st.codes));
  }

  export(w: Tensor): PackedTensor {
    assertShape('pq.export', this.ctx.shape, w.shape);
    if (!this.centroids) this.calibrate(w);
    const k = this.codebookSize;
    const d = this.config.blockSize;
    return {
      layout: { kind: 'pq', shape: [this.rows, this.cols], blockSize: d, centroids: k },
      shape: [...w.shape],
      bits: Math.ceil(Math.log2(k)),
      codes: Uint8Array.from(this.hostCodes!),
      tables: storedCodebook(this.centroids!.dataSync(), this.config.codebookBits),
      tableBits: this.config.codebookBits,
      meta: { quantizer: 'pq', blockSize: d, centroids: k, requestedCentroids: this.config.centroids },
    };
  }

  /** M·⌈log2 K_eff⌉ + codebookBits·K_eff·d (spec §6.5). */
  sizeBits(shape: readonly number[]): number {
    const [rows, cols] = matrixShape(shape);
    const m = (rows * cols) / this.config.blockSize;
    const k = Math.max(1, Math.min(this.config.centroids, m));
    return m * Math.ceil(Math.log2(k)) + this.config.codebookBits * k * this.config.blockSize;
  }

  dispose(): void {
    for (const t of [this.centroids, this.codes, this.counts]) t?.dispose();
    this.centroids = this.codes = this.counts = undefined;
    this.hostCodes = undefined;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  private decode(c: Tensor, stored: boolean, like: Tensor): Tensor {
    const d = this.config.blockSize;
    const cb = stored && this.config.codebookBits === 16 ? tensorLike(like, storedCodebook(c.dataSync(), 16), c.shape, 'float32') : c;
    return gather(cb, this.codes!, 0).reshape(this.ctx.shape);
    void d;
  }

  private install(centroids: Float32Array, codes: Int32Array): void {
    this.dispose();
    const k = this.codebookSize;
    const d = this.config.blockSize;
    const counts = new Float32Array(k);
    for (const c of codes) counts[c]!++;
    const rt = { runtime: this.ctx.runtime };
    this.centroids = keep(tensor(centroids, { ...rt, shape: [k, d] }));
    this.codes = keep(tensor(codes, { ...rt, dtype: 'int32', shape: [this.rows, this.cols / d] }));
    // members per centroid as a [K, 1] divisor; unused centroids get 1 (their summed gradient is 0 anyway).
    this.counts = keep(tensor(counts.map((n) => Math.max(n, 1)), { ...rt, shape: [k, 1] }));
    this.hostCodes = codes;
  }
}

/**
 * The `pq` plugin: product quantization of weights with iPQ centroid fine-tuning (spec §6).
 *
 * @example
 * ```ts
 * const q = defaultRegistry.create('pq', { blockSize: 8, centroids: 256 }, { shape: [512, 512], role: 'weight', runtime });
 * q.calibrate(w);                            // k-means
 * const { centroids } = q.parameters();      // fine-tune them; codes stay frozen
 * ```
 */
export const pq: QuantizerPlugin<PqConfig> = {
  id: 'pq',
  apiVersion: 1,
  parseConfig: (raw) => parseWith('pq', pqConfigSchema, raw),
  create: (config, ctx) => {
    if (ctx.role !== 'weight') configError('pq', 'role', ctx.role, "'weight' (PQ quantizes weights)");
    const [rows, cols] = matrixShape(ctx.shape);
    if (cols % config.blockSize !== 0) {
      configError('pq', 'blockSize', config.blockSize, `a divisor of the row length ${cols} of shape [${ctx.shape.join(',')}]`);
    }
    void rows;
    return new PqQuantizer(config, ctx);
  },
};
