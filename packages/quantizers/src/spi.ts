import type { PackedWeights, RngKey, Runtime, Tensor } from '@nibble/core';

/** JSON-serializable values (quantizer state, export metadata). */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** Where a quantizer sits: on a weight or on an activation. */
export type QuantizerRole = 'weight' | 'activation';

/** Given to {@link QuantizerPlugin.create}. */
export interface QuantizerCreateContext {
  /** Shape of the tensor it will quantize (weights: [C_out, C_in...]). */
  readonly shape: readonly number[];
  readonly role: QuantizerRole;
  readonly runtime: Runtime;
  /** Dotted name of the weight/activation, for error messages. */
  readonly name?: string;
}

/** Given to {@link Quantizer.forward} at every forward pass. */
export interface QuantizerForwardContext {
  readonly training: boolean;
  readonly step: number;
  readonly epoch: number;
  /** Random stream for masks and noise (unique per weight and step). */
  readonly key: RngKey;
  /** Noise-rate override (Quant-Noisier). */
  readonly rate?: number;
}

/**
 * A weight quantized for storage: b-bit integer codes (packed, low bits first) with scales and optional
 * zero-points, or a PQ codebook with codes. {@link payloadBits} counts the stored bits from the field widths below;
 * it equals {@link Quantizer.sizeBits} whenever the container holds exactly the logical bits (int codes of 1, 2, 4
 * or 8 bits with rows filling whole bytes; PQ with 256 centroids).
 */
export interface PackedTensor {
  /** Layout every backend understands (see `packedMatmul` in @nibble/core). */
  readonly layout: PackedWeights;
  /** Original (unflattened) weight shape. */
  readonly shape: readonly number[];
  /**
   * Logical bits per code: the quantizer's bit width for int codes (the container `layout.bits` is the next of 1, 2,
   * 4, 8), ⌈log2 K⌉ for PQ codes (the container is one byte per code).
   */
  readonly bits: number;
  /** Packed codes (uint8): [N, ceil(K·layout.bits/8)] for int codes, [N, K/blockSize] for PQ. */
  readonly codes: Uint8Array;
  /**
   * Int codes: float32 scales, one per tensor (length 1) or one per (row, group). PQ: the codebook [centroids,
   * blockSize], row-major, holding values exactly representable in `tableBits` (fp16 for PQ).
   */
  readonly tables: Float32Array;
  /** Bits each table entry is stored with: 32 (float32 scales) or 16 (fp16 codebook). */
  readonly tableBits: 16 | 32;
  /**
   * Zero-points (integers, or 0.5 for the binary ±α layout), one per scale; absent for symmetric codes. Dequantize as
   * `(code − zeroPoint) · scale`.
   */
  readonly zeroPoints?: Float32Array;
  /** Bits each zero-point is stored with (b when packed, 0 when implied by the layout, as for binary codes). */
  readonly zeroPointBits?: number;
  /** Producer and settings (quantizer id, qmin/qmax, ...), for the file's metadata. */
  readonly meta: { readonly [key: string]: JsonValue };
}

/**
 * Stored payload of a packed tensor in bits: codes bytes × 8 + tables × tableBits + zero-points × zeroPointBits.
 *
 * @example
 * ```ts
 * const packed = quantizer.export(w);
 * payloadBits(packed) === quantizer.sizeBits(w.shape); // for 4-bit codes of a [16, 32] weight
 * ```
 */
export function payloadBits(p: PackedTensor): number {
  return p.codes.length * 8 + p.tables.length * p.tableBits + (p.zeroPoints?.length ?? 0) * (p.zeroPointBits ?? 0);
}

/**
 * A quantizer instance for one tensor: differentiable forward (fake quantization with its gradient rule), learned
 * parameters, versioned state, and packed export.
 */
export interface Quantizer extends Disposable {
  /** Differentiable: returns the (fake-)quantized or noised tensor with the method's gradient rule. */
  forward(w: Tensor, ctx: QuantizerForwardContext): Tensor;
  /** Learned tensors (LSQ step, PQ centroids), by name; the optimizer updates them through `assign`. */
  parameters(): Record<string, Tensor>;
  /** Replaces learned tensors after an optimizer step (disposing the old ones). */
  assign(values: Record<string, Tensor>): void;
  /** Versioned, JSON-serializable observer state (ranges, EMA, step counters). */
  getState(): { version: number; state: JsonValue };
  setState(s: { version: number; state: JsonValue }): void;
  /**
   * Recomputes ranges (or the PQ codebook) from `w` now, as the next training forward at a refresh step would.
   * For post-training quantization and before export of a model that was never run in training mode.
   */
  calibrate(w: Tensor): void;
  /** Packs `w` as the eval-mode forward would quantize it: dequantizing the result reproduces that forward bitwise. */
  export(w: Tensor): PackedTensor;
  /**
   * Compressed size in bits by the formulas of the spec (§8): N·b plus the scales, zero-points or codebook. Equals
   * {@link payloadBits} of the export when the container holds exactly the logical bits.
   */
  sizeBits(shape: readonly number[]): number;
}

/**
 * A quantization method, registered by id. Third-party ids are namespaced (`acme/my-quant`).
 *
 * @example
 * ```ts
 * const myPlugin: QuantizerPlugin<{ bits: number }> = {
 *   id: 'acme/round',
 *   apiVersion: 1,
 *   parseConfig: (raw) => mySchema.parse(raw),
 *   create: (config, ctx) => new MyQuantizer(config, ctx),
 * };
 * ```
 */
export interface QuantizerPlugin<C = unknown> {
  readonly id: string;
  readonly apiVersion: 1;
  /** Validates a raw config at creation time, naming the bad field; never at forward time. */
  parseConfig(raw: unknown): C;
  create(config: C, ctx: QuantizerCreateContext): Quantizer;
}
