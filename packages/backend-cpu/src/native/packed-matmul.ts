// Packed low-bit weights × float32 activations, dequantized in registers (never into a float buffer).
import { dim, exactLength, float32, output, typedArray } from './checks.js';
import { NativeArgumentError } from './errors.js';
import { requireAddon } from './loader.js';

/**
 * Integer weight codes for an `[outFeatures, inFeatures]` matrix W (one row per output).
 * Dequantized value: `(code − zeroPoint)·scale`, with scale/zeroPoint per row, or per group of `groupSize`
 * consecutive inputs of a row when `groupSize` is set (index `row·⌈inFeatures/groupSize⌉ + group`).
 */
export interface QuantizedRows {
  readonly outFeatures: number;
  readonly inFeatures: number;
  readonly scale: Float32Array;
  /**
   * Optional zero-points (same indexing as scale); symmetric codes when omitted. They must hold integers: int4
   * subtracts them from the codes in integer registers (a fractional part is truncated).
   */
  readonly zeroPoint?: Float32Array;
  /** Inputs per scale group (int4: a multiple of 32); per-row scales when omitted. */
  readonly groupSize?: number;
}

/** int8 codes, row-major `[outFeatures, inFeatures]`. */
export interface Int8Weights extends QuantizedRows {
  readonly codes: Int8Array;
}

/**
 * int4 codes: two per byte, low nibble first, each row `⌈inFeatures/2⌉` bytes. `signed: true` reads nibbles as
 * two's-complement −8…7; `signed: false` as 0…15 (use a zeroPoint, e.g. 8).
 */
export interface Int4Weights extends QuantizedRows {
  readonly codes: Uint8Array;
  readonly signed: boolean;
}

/** Product-quantized W: row r is the concatenation of `codebook[codes[r, s]]` for s < inFeatures/subvectorSize. */
export interface PqWeights {
  readonly outFeatures: number;
  readonly inFeatures: number;
  /** `[centroids, subvectorSize]` row-major. */
  readonly codebook: Float32Array;
  readonly centroids: number;
  readonly subvectorSize: number;
  /** `[outFeatures, inFeatures/subvectorSize]`, values < centroids. */
  readonly codes: Uint8Array;
}

function checkRows(fn: string, w: QuantizedRows): { n: number; k: number; group: number; zero: Float32Array | null; scale: Float32Array } {
  if (typeof w !== 'object' || w === null) throw new NativeArgumentError(`${fn}: weights must be an object, got ${String(w)}`);
  const n = dim(fn, 'weights.outFeatures', w.outFeatures);
  const k = dim(fn, 'weights.inFeatures', w.inFeatures);
  const group = w.groupSize === undefined ? 0 : dim(fn, 'weights.groupSize', w.groupSize, 1);
  const params = group > 0 ? n * Math.ceil(k / group) : n;
  const what = group > 0 ? `${n} rows × ${Math.ceil(k / group)} groups of ${group}` : `one per row of ${n}`;
  const scale = float32(fn, 'weights.scale', w.scale);
  exactLength(fn, 'weights.scale', scale, params, what);
  let zero: Float32Array | null = null;
  if (w.zeroPoint !== undefined) {
    zero = float32(fn, 'weights.zeroPoint', w.zeroPoint);
    exactLength(fn, 'weights.zeroPoint', zero, params, what);
    // Values are not scanned here (that would cost a pass over the parameters per call); see QuantizedRows.
  }
  return { n, k, group, zero, scale };
}

function checkActivations(fn: string, x: Float32Array, m: number, k: number): Float32Array {
  const input = float32(fn, 'x', x);
  dim(fn, 'm', m);
  exactLength(fn, 'x', input, m * k, `[m=${m}, inFeatures=${k}]`);
  return input;
}

/**
 * `y = x·Wᵀ` for int8 weight rows: x `[m, inFeatures]` → y `[m, outFeatures]`. M ≤ 4 rows are served per
 * weight pass, so matvec (m = 1) streams the codes once.
 *
 * @example
 * ```ts
 * const y = int8Matmul(x, 1, { codes, outFeatures: 4096, inFeatures: 4096, scale: rowScales });
 * ```
 */
export function int8Matmul(x: Float32Array, m: number, weights: Int8Weights, out?: Float32Array): Float32Array {
  const fn = 'int8Matmul';
  const { n, k, group, zero, scale } = checkRows(fn, weights);
  const codes = typedArray(fn, 'weights.codes', weights.codes, Int8Array);
  exactLength(fn, 'weights.codes', codes, n * k, `[${n}, ${k}]`);
  const input = checkActivations(fn, x, m, k);
  const y = output(fn, out, m * n, `[${m}, ${n}]`);
  requireAddon(fn).int8Matmul(input, m, k, codes, n, scale, zero, group, y);
  return y;
}

/**
 * `y = x·Wᵀ` for packed int4 weight rows (low nibble first): x `[m, inFeatures]` → y `[m, outFeatures]`.
 *
 * @example
 * ```ts
 * const w = { codes: packInt4(q, 4096, 4096), signed: true, outFeatures: 4096, inFeatures: 4096, scale: groupScales, groupSize: 32 };
 * const y = int4Matmul(x, 1, w);
 * ```
 */
export function int4Matmul(x: Float32Array, m: number, weights: Int4Weights, out?: Float32Array): Float32Array {
  const fn = 'int4Matmul';
  const { n, k, group, zero, scale } = checkRows(fn, weights);
  if (group % 32 !== 0) throw new NativeArgumentError(`${fn}: weights.groupSize must be a multiple of 32, got ${group}`);
  const codes = typedArray(fn, 'weights.codes', weights.codes, Uint8Array);
  exactLength(fn, 'weights.codes', codes, n * Math.ceil(k / 2), `${n} rows × ⌈${k}/2⌉ bytes`);
  if (typeof weights.signed !== 'boolean') throw new NativeArgumentError(`${fn}: weights.signed must be a boolean, got ${String(weights.signed)}`);
  const input = checkActivations(fn, x, m, k);
  const y = output(fn, out, m * n, `[${m}, ${n}]`);
  requireAddon(fn).int4Matmul(input, m, k, codes, n, weights.signed, scale, zero, group, y);
  return y;
}

/**
 * `y = x·Wᵀ` for product-quantized W: per activation row, a table of dot products with every centroid is built
 * once per sub-vector, then each output sums table lookups.
 *
 * @example
 * ```ts
 * const y = pqMatmul(x, 1, { codebook, centroids: 256, subvectorSize: 8, codes, outFeatures: 512, inFeatures: 512 });
 * ```
 */
export function pqMatmul(x: Float32Array, m: number, weights: PqWeights, out?: Float32Array): Float32Array {
  const fn = 'pqMatmul';
  if (typeof weights !== 'object' || weights === null) throw new NativeArgumentError(`${fn}: weights must be an object, got ${String(weights)}`);
  const n = dim(fn, 'weights.outFeatures', weights.outFeatures);
  const k = dim(fn, 'weights.inFeatures', weights.inFeatures);
  const d = dim(fn, 'weights.subvectorSize', weights.subvectorSize, 1);
  const centroids = dim(fn, 'weights.centroids', weights.centroids, 1);
  if (centroids > 256) throw new NativeArgumentError(`${fn}: weights.centroids must be <= 256 for uint8 codes, got ${centroids}`);
  if (k % d !== 0) throw new NativeArgumentError(`${fn}: inFeatures ${k} must be a multiple of subvectorSize ${d}`);
  const codebook = float32(fn, 'weights.codebook', weights.codebook);
  exactLength(fn, 'weights.codebook', codebook, centroids * d, `[${centroids}, ${d}]`);
  const codes = typedArray(fn, 'weights.codes', weights.codes, Uint8Array);
  exactLength(fn, 'weights.codes', codes, n * (k / d), `[${n}, ${k / d}]`);
  const input = checkActivations(fn, x, m, k);
  const y = output(fn, out, m * n, `[${m}, ${n}]`);
  try {
    // code values are range-checked by native code before the kernel runs (a byte scan, much cheaper than in JS)
    requireAddon(fn).pqMatmul(input, m, k, codebook, centroids, d, codes, n, y);
  } catch (error) {
    if (error instanceof RangeError && /code out of range/.test(error.message)) {
      throw new NativeArgumentError(`${fn}: weights.codes holds a value >= centroids (${centroids}); expected codes in 0…${centroids - 1}`);
    }
    throw error;
  }
  return y;
}
