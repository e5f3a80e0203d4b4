// Fused fake quantization: q = clamp(roundHalfEven(x/s) + z, qmin, qmax), out = (q − z)·s (quantizers-spec §1.1).
import { describe, dim, exactLength, float32, output } from './checks.js';
import { NativeArgumentError } from './errors.js';
import { requireAddon } from './loader.js';

/** Quantization grid of {@link fakeQuant}: per tensor (numbers) or per channel along axis 0 (one entry per row). */
export interface FakeQuantParams {
  readonly scale: number | Float32Array;
  /** Integer zero-point(s); same form as `scale`. */
  readonly zeroPoint: number | Float32Array;
  /** Integer clamp bounds, e.g. −128 and 127 for signed 8 bits. */
  readonly qmin: number;
  readonly qmax: number;
}

/**
 * Quantize-dequantize with round-half-to-even, per tensor or per output channel (rows of axis 0). Bit-exact with
 * `fround(x/s)` rounded half to even: ties go to the even integer (x/s = 0.5, 1.5, 2.5 → 0, 2, 2). NaN stays NaN.
 *
 * @example
 * ```ts
 * const wq = fakeQuant(w, { scale: 0.02, zeroPoint: 0, qmin: -8, qmax: 7 });           // int4 per tensor
 * const wc = fakeQuant(w, { scale: rowScales, zeroPoint: rowZeros, qmin: 0, qmax: 255 }); // per channel
 * ```
 */
export function fakeQuant(x: Float32Array, params: FakeQuantParams, out?: Float32Array): Float32Array {
  const fn = 'fakeQuant';
  const input = float32(fn, 'x', x);
  if (typeof params !== 'object' || params === null) throw new NativeArgumentError(`${fn}: params must be an object, got ${String(params)}`);
  const { qmin, qmax } = params;
  if (!Number.isInteger(qmin) || !Number.isInteger(qmax) || qmin > qmax) {
    throw new NativeArgumentError(`${fn}: qmin/qmax must be integers with qmin <= qmax, got ${String(qmin)}/${String(qmax)}`);
  }
  const perChannel = typeof params.scale !== 'number';
  const scale = perChannel ? float32(fn, 'scale', params.scale) : Float32Array.of(params.scale as number);
  let zero: Float32Array;
  if (typeof params.zeroPoint === 'number') {
    if (perChannel) throw new NativeArgumentError(`${fn}: zeroPoint must be a Float32Array like scale (per channel), got a number`);
    zero = Float32Array.of(params.zeroPoint);
  } else {
    if (!perChannel) throw new NativeArgumentError(`${fn}: zeroPoint must be a number like scale (per tensor), got ${describe(params.zeroPoint)}`);
    zero = float32(fn, 'zeroPoint', params.zeroPoint);
    exactLength(fn, 'zeroPoint', zero, scale.length, 'one per channel, like scale');
  }
  for (let i = 0; i < scale.length; i++) {
    const s = scale[i] ?? NaN;
    const z = zero[i] ?? NaN;
    if (!(s > 0) || !Number.isFinite(s)) throw new NativeArgumentError(`${fn}: scale[${i}] must be finite and > 0, got ${s}`);
    if (!Number.isInteger(z)) throw new NativeArgumentError(`${fn}: zeroPoint[${i}] must be an integer, got ${z}`);
  }
  const rows = perChannel ? dim(fn, 'scale.length', scale.length, 1) : 1;
  if (input.length % rows !== 0) {
    throw new NativeArgumentError(`${fn}: x has ${input.length} elements, expected a multiple of the ${rows} channels`);
  }
  const cols = input.length / rows;
  const result = output(fn, out, input.length, `like x`);
  requireAddon(fn).fakeQuant(input, result, rows, cols, scale, zero, qmin, qmax);
  return result;
}
