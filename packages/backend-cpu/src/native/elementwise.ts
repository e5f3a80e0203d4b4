// Vectorized elementwise math with NumPy-style broadcasting, and reductions over the last axis or everything.
// Inputs are contiguous row-major arrays with their shapes; broadcasting becomes zero strides.
import { float32, output, product, shapeOf } from './checks.js';
import { NativeArgumentError } from './errors.js';
import { requireAddon } from './loader.js';

const binaryCodes = { add: 0, sub: 1, mul: 2, div: 3, max: 4, min: 5 } as const;
const unaryCodes = { neg: 0, abs: 1, exp: 2, log: 3, tanh: 4, sigmoid: 5, relu: 6, sqrt: 7, square: 8 } as const;

/** Binary operations of {@link binaryOp}; `max`/`min` propagate NaN like Math.max/Math.min. */
export type BinaryOpName = keyof typeof binaryCodes;
/**
 * Unary operations of {@link unaryOp}. exp/log/tanh/sigmoid use Cephes single-precision polynomials (a few ulp;
 * log of subnormals is scaled first); the others are exact IEEE operations.
 */
export type UnaryOpName = keyof typeof unaryCodes;

/** The broadcast shape of two shapes (NumPy rules), or an error naming both. */
export function broadcastShapes(fn: string, a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new NativeArgumentError(`${fn}: shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast (axis ${i}: ${da} vs ${db})`);
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const strides = new Array<number>(outShape.length).fill(0);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = shape[i] ?? 1;
    strides[outShape.length - shape.length + i] = d === 1 ? 0 : stride;
    stride *= d;
  }
  return strides;
}

/**
 * `op(a, b)` elementwise with broadcasting; returns the result and its shape.
 *
 * @example
 * ```ts
 * const { data, shape } = binaryOp('add', x, [32, 64], bias, [64]); // shape [32, 64]
 * ```
 */
export function binaryOp(
  op: BinaryOpName,
  a: Float32Array,
  aShape: readonly number[],
  b: Float32Array,
  bShape: readonly number[],
  out?: Float32Array,
): { data: Float32Array; shape: number[] } {
  const fn = `binaryOp(${String(op)})`;
  const code = Object.hasOwn(binaryCodes, op) ? binaryCodes[op] : undefined;
  if (code === undefined) throw new NativeArgumentError(`binaryOp: unknown op ${String(op)}, expected one of ${Object.keys(binaryCodes).join(', ')}`);
  const as = shapeOf(fn, 'aShape', aShape);
  const bs = shapeOf(fn, 'bShape', bShape);
  const x = float32(fn, 'a', a);
  const y = float32(fn, 'b', b);
  if (x.length !== product(as)) throw new NativeArgumentError(`${fn}: a has ${x.length} elements, expected ${product(as)} for shape [${as.join(', ')}]`);
  if (y.length !== product(bs)) throw new NativeArgumentError(`${fn}: b has ${y.length} elements, expected ${product(bs)} for shape [${bs.join(', ')}]`);
  const shape = broadcastShapes(fn, as, bs);
  const result = output(fn, out, product(shape), `[${shape.join(', ')}]`);
  if (result.length > 0) requireAddon(fn).binary(code, shape, x, broadcastStrides(as, shape), y, broadcastStrides(bs, shape), result);
  return { data: result, shape };
}

/**
 * `op(x)` elementwise; `out` may be `x` itself (in place).
 *
 * @example
 * ```ts
 * const y = unaryOp('sigmoid', x);
 * ```
 */
export function unaryOp(op: UnaryOpName, x: Float32Array, out?: Float32Array): Float32Array {
  const fn = `unaryOp(${String(op)})`;
  const code = Object.hasOwn(unaryCodes, op) ? unaryCodes[op] : undefined;
  if (code === undefined) throw new NativeArgumentError(`unaryOp: unknown op ${String(op)}, expected one of ${Object.keys(unaryCodes).join(', ')}`);
  const input = float32(fn, 'x', x);
  const result = output(fn, out, input.length, 'like x');
  requireAddon(fn).unary(code, input, result);
  return result;
}

/**
 * Sum or max over the last axis of a contiguous [..., n] array → [...]. Sums accumulate in float32 over several
 * vector lanes (error ≲ n·2⁻²⁴·Σ|x|); max propagates NaN; max of an empty row is −Infinity, sum is 0.
 *
 * @example
 * ```ts
 * const rowSums = reduceLastAxis('sum', logits, [batch, classes]); // length batch
 * ```
 */
export function reduceLastAxis(op: 'sum' | 'max', x: Float32Array, shape: readonly number[], out?: Float32Array): Float32Array {
  const fn = `reduceLastAxis(${String(op)})`;
  if (op !== 'sum' && op !== 'max') throw new NativeArgumentError(`reduceLastAxis: unknown op ${String(op)}, expected sum or max`);
  const s = shapeOf(fn, 'shape', shape);
  const input = float32(fn, 'x', x);
  if (input.length !== product(s)) throw new NativeArgumentError(`${fn}: x has ${input.length} elements, expected ${product(s)} for shape [${s.join(', ')}]`);
  const cols = s.length === 0 ? 1 : (s[s.length - 1] ?? 1);
  const rows = s.length === 0 ? 1 : product(s.slice(0, -1));
  const result = output(fn, out, rows, `[${s.slice(0, -1).join(', ')}]`);
  if (rows > 0) requireAddon(fn).reduceRows(op === 'sum' ? 0 : 1, input, rows, cols, result);
  return result;
}

/**
 * Sum or max of every element.
 *
 * @example
 * ```ts
 * const total = reduceAll('sum', x);
 * ```
 */
export function reduceAll(op: 'sum' | 'max', x: Float32Array): number {
  const input = float32(`reduceAll(${String(op)})`, 'x', x);
  return reduceLastAxis(op, input, [input.length])[0] ?? NaN;
}
