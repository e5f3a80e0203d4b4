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
 * zero-points, or a PQ codebook with codes. `payloadBytes()` counts exactly what {@link Quantizer.sizeBits} counts.
 */
export interface PackedTensor {
  /** Layout every backend understands (see `packedMatmul` in @nibble/core). */
  readonly layout: PackedWeights;
  /** Original (unflattened) weight shape. */
  readonly shape: readonly number[];
  /** Packed codes (uint8). */
  readonly codes: Uint8Array;
  /** Int codes: float32 scales, one per (row, group) or one per tensor. PQ: float32 codebook [K, d] (stored as fp16 when exported). */
  readonly tables: Float32Array;
  /** Unsigned int codes: zero-points (integers stored as float32). */
  readonly zeroPoints?: Float32Array;
  /** Producer and settings, for the file's metadata. */
  readonly meta: { readonly [key: string]: JsonValue };
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
  /** Packs `w` as the eval-mode forward would quantize it. */
  export(w: Tensor): PackedTensor;
  /** Payload size in bits; equals the exported payload bytes × 8. */
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
