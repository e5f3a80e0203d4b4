import { fakeQuant, noGrad, scope, stopGradient, type Tensor, tensorLike } from '@nibble/core';
import {
  type JsonValue,
  type PackedTensor,
  packCodes,
  type Quantizer,
  QuantizerCalibrationError,
  QuantizerConfigError,
  type QuantizerCreateContext,
  type QuantizerForwardContext,
  type QuantizerPlugin,
  QuantizerShapeError,
  QuantizerStateError,
  roundHalfEven,
} from '@nibble/quantizers';

/** Config of the sample quantizer: only the bit width. */
export interface PowerOfTwoConfig {
  /** 2..8 bits; codes are symmetric in [−(2^(b−1) − 1), 2^(b−1) − 1]. */
  readonly bits: number;
}

/**
 * Validates a raw config at creation time (never at forward time). Errors are `QuantizerConfigError`s naming the
 * field, the value given and what was expected.
 */
export function parsePowerOfTwoConfig(raw: unknown): PowerOfTwoConfig {
  const fail = (field: string, given: unknown, expected: string): never => {
    throw new QuantizerConfigError(`__PLUGIN_ID__: invalid config: field '${field}' = ${JSON.stringify(given)}; expected ${expected}`, field);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('(config)', raw, 'an object like { bits: 4 }');
  for (const key of Object.keys(raw)) if (key !== 'bits') fail(key, (raw as Record<string, unknown>)[key], 'no such field (known: bits)');
  const bits = (raw as { bits?: unknown }).bits;
  if (typeof bits !== 'number' || !Number.isInteger(bits) || bits < 2 || bits > 8) fail('bits', bits, 'an integer in 2..8');
  return { bits: bits as number };
}

/** Smallest power of two s with max|w| ≤ qmax·s (so nothing clips), kept inside float32's normal range. */
export function powerOfTwoScale(maxAbs: number, qmax: number): number {
  if (maxAbs === 0) return 1;
  let e = Math.ceil(Math.log2(maxAbs / qmax));
  if (2 ** (e - 1) * qmax >= maxAbs) e--; // guard against log2 rounding up
  if (2 ** e * qmax < maxAbs) e++; // ... or down
  return 2 ** Math.min(127, Math.max(-126, e));
}

/**
 * Symmetric uniform quantization whose scale is a power of two (a shift in integer hardware), with an identity
 * straight-through gradient. It keeps no state: the scale is recomputed from the weight at every forward, so
 * training and eval agree and export reproduces the eval forward bitwise.
 */
export class PowerOfTwoQuantizer implements Quantizer {
  readonly qmax: number;

  constructor(
    readonly config: PowerOfTwoConfig,
    private readonly ctx: QuantizerCreateContext,
  ) {
    this.qmax = 2 ** (config.bits - 1) - 1;
  }

  /** The scale for `w`, from its host values (throws on NaN/±Inf, which would make every output NaN). */
  scaleOf(w: Tensor): number {
    this.checkShape(w);
    let maxAbs = 0;
    for (const v of w.dataSync()) {
      if (!Number.isFinite(v)) throw new QuantizerCalibrationError(`__PLUGIN_ID__: weight ${this.ctx.name ?? ''} holds ${v}; expected finite values`);
      maxAbs = Math.max(maxAbs, Math.abs(v));
    }
    return powerOfTwoScale(maxAbs, this.qmax);
  }

  forward(w: Tensor, _ctx: QuantizerForwardContext): Tensor {
    const s = this.scaleOf(w);
    return scope(() => {
      const q = noGrad(() =>
        fakeQuant(w, tensorLike(w, new Float32Array([s]), [1], 'float32'), tensorLike(w, new Float32Array([0]), [1], 'float32'), {
          qmin: -this.qmax,
          qmax: this.qmax,
        }),
      );
      // value of q, gradient of w (identity straight-through estimator)
      return w.add(stopGradient(q.sub(w)));
    });
  }

  parameters(): Record<string, Tensor> {
    return {};
  }

  assign(values: Record<string, Tensor>): void {
    const names = Object.keys(values);
    if (names.length) throw new QuantizerStateError(`__PLUGIN_ID__.assign: got [${names.join(', ')}]; this quantizer learns nothing`);
  }

  getState(): { version: number; state: JsonValue } {
    return { version: 1, state: null };
  }

  setState(s: { version: number; state: JsonValue }): void {
    if (s.version !== 1) throw new QuantizerStateError(`__PLUGIN_ID__.setState: version ${s.version}; expected 1`);
  }

  calibrate(w: Tensor): void {
    this.scaleOf(w); // stateless: only validates
  }

  export(w: Tensor): PackedTensor {
    const s = this.scaleOf(w);
    const values = w.dataSync();
    const rows = w.shape.length === 0 ? 1 : w.shape[0]!;
    const cols = rows === 0 ? 0 : values.length / rows;
    const codes = new Int32Array(values.length);
    // v / s is exact (s is a power of two), so these codes reproduce fakeQuant's float32 arithmetic bitwise.
    for (let i = 0; i < values.length; i++) codes[i] = Math.min(this.qmax, Math.max(-this.qmax, roundHalfEven(values[i]! / s)));
    const container = this.config.bits <= 2 ? 2 : this.config.bits <= 4 ? 4 : 8;
    return {
      layout: { kind: 'int', bits: container, shape: [rows, cols], groupSize: Math.max(cols, 1), signed: true },
      shape: [...w.shape],
      bits: this.config.bits,
      codes: packCodes(codes, rows, cols, container),
      tables: new Float32Array([s]),
      tableBits: 32,
      meta: { quantizer: '__PLUGIN_ID__', grid: 'symmetric', qmin: -this.qmax, qmax: this.qmax, bits: this.config.bits },
    };
  }

  /** N·b bits of codes plus one float32 scale. */
  sizeBits(shape: readonly number[]): number {
    return shape.reduce((a, d) => a * d, 1) * this.config.bits + 32;
  }

  [Symbol.dispose](): void {
    // nothing held: no tensors outlive a call
  }

  private checkShape(w: Tensor): void {
    const expected = this.ctx.shape;
    if (this.ctx.role === 'weight' && (w.rank !== expected.length || w.shape.some((d, i) => d !== expected[i]))) {
      throw new QuantizerShapeError(`__PLUGIN_ID__: weight has shape [${w.shape.join(',')}]; expected [${expected.join(',')}] (the shape given to create)`);
    }
  }
}

/**
 * The plugin: register it in a registry, then use its id in `prepareQat` plans.
 *
 * @example
 * ```ts
 * const registry = createQuantizerRegistry({ plugins: [...builtinQuantizers, powerOfTwo] });
 * prepareQat(model, [{ pattern: '*.weight', quantizer: '__PLUGIN_ID__', config: { bits: 4 } }], { registry });
 * ```
 */
export const powerOfTwo: QuantizerPlugin<PowerOfTwoConfig> = {
  id: '__PLUGIN_ID__',
  apiVersion: 1,
  parseConfig: parsePowerOfTwoConfig,
  create: (config, ctx) => new PowerOfTwoQuantizer(config, ctx),
};
