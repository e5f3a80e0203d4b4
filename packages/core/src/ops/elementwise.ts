import type { DType } from '../dtype.ts';
import { assertDType } from '../dtype.ts';
import { ValueError } from '../errors.ts';
import type { BinaryOp, CompareOp, UnaryOp } from '../spi/ops.ts';
import type { Tensor } from '../tensor.ts';
import { bind } from './bind.ts';
import { fullLike } from './create.ts';

/** A tensor, or a number broadcast as a scalar of the other operand's dtype. */
export type TensorLike = Tensor | number;

function pair(where: string, a: TensorLike, b: TensorLike): [Tensor, Tensor, Tensor[]] {
  if (typeof a === 'number' && typeof b === 'number') {
    throw new ValueError(`${where}: both operands are numbers; expected at least one tensor`);
  }
  const temps: Tensor[] = [];
  const ta = typeof a === 'number' ? (temps.push(fullLike(b as Tensor, a, [])), temps[temps.length - 1]!) : a;
  const tb = typeof b === 'number' ? (temps.push(fullLike(a as Tensor, b, [])), temps[temps.length - 1]!) : b;
  return [ta, tb, temps];
}

function binary(op: BinaryOp | CompareOp, a: TensorLike, b: TensorLike): Tensor {
  const [ta, tb, temps] = pair(op, a, b);
  try {
    return bind(op, [ta, tb], {});
  } finally {
    for (const t of temps) t.dispose();
  }
}

function unary(op: UnaryOp, x: Tensor): Tensor {
  return bind(op, [x], {});
}

/** Elementwise `a + b` with broadcasting. @example `add(x, 1)` */
export const add = (a: TensorLike, b: TensorLike): Tensor => binary('add', a, b);
/** Elementwise `a − b`. */
export const sub = (a: TensorLike, b: TensorLike): Tensor => binary('sub', a, b);
/** Elementwise `a · b`. */
export const mul = (a: TensorLike, b: TensorLike): Tensor => binary('mul', a, b);
/** Elementwise `a / b` (float32). */
export const div = (a: TensorLike, b: TensorLike): Tensor => binary('div', a, b);
/** Elementwise `a ^ b` (float32). */
export const pow = (a: TensorLike, b: TensorLike): Tensor => binary('pow', a, b);
/** Elementwise maximum; the gradient is split equally at ties. */
export const maximum = (a: TensorLike, b: TensorLike): Tensor => binary('maximum', a, b);
/** Elementwise minimum; the gradient is split equally at ties. */
export const minimum = (a: TensorLike, b: TensorLike): Tensor => binary('minimum', a, b);
/** `a < b` as bool. */
export const lt = (a: TensorLike, b: TensorLike): Tensor => binary('lt', a, b);
/** `a ≤ b` as bool. */
export const le = (a: TensorLike, b: TensorLike): Tensor => binary('le', a, b);
/** `a > b` as bool. */
export const gt = (a: TensorLike, b: TensorLike): Tensor => binary('lt', b, a);
/** `a ≥ b` as bool. */
export const ge = (a: TensorLike, b: TensorLike): Tensor => binary('le', b, a);
/** `a = b` as bool. */
export const eq = (a: TensorLike, b: TensorLike): Tensor => binary('eq', a, b);
/** `a ≠ b` as bool. */
export const ne = (a: TensorLike, b: TensorLike): Tensor => binary('ne', a, b);

/** −x. */
export const neg = (x: Tensor): Tensor => unary('neg', x);
/** |x|. */
export const abs = (x: Tensor): Tensor => unary('abs', x);
/** −1, 0 or 1 (0 for ±0; NaN stays NaN). */
export const sign = (x: Tensor): Tensor => unary('sign', x);
/** eˣ. */
export const exp = (x: Tensor): Tensor => unary('exp', x);
/** Natural logarithm. */
export const log = (x: Tensor): Tensor => unary('log', x);
/** Square root. */
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x);
/** Hyperbolic tangent. */
export const tanh = (x: Tensor): Tensor => unary('tanh', x);
/** Logistic sigmoid 1/(1+e^−x). */
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x);
/** Error function. */
export const erf = (x: Tensor): Tensor => unary('erf', x);
/** Sine. */
export const sin = (x: Tensor): Tensor => unary('sin', x);
/** Cosine. */
export const cos = (x: Tensor): Tensor => unary('cos', x);
/** Floor. */
export const floor = (x: Tensor): Tensor => unary('floor', x);
/** Round half to even (NumPy/PyTorch rounding; `Math.round` would round ties up). */
export const roundHalfEven = (x: Tensor): Tensor => unary('round', x);
/** Logical not of a bool tensor. */
export const logicalNot = (x: Tensor): Tensor => unary('not', x);

/** Converts to another dtype (float → int truncates toward zero; to bool: non-zero → true). */
export function cast(x: Tensor, dtype: DType): Tensor {
  assertDType('cast', dtype);
  return bind('cast', [x], { dtype });
}

/** `cond ? a : b` elementwise with broadcasting. */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  const temps: Tensor[] = [];
  const ref = typeof a === 'number' ? (typeof b === 'number' ? undefined : b) : a;
  const dtype = ref?.dtype ?? 'float32';
  const ta = typeof a === 'number' ? (temps.push(fullLike(cond, a, [], dtype)), temps.at(-1)!) : a;
  const tb = typeof b === 'number' ? (temps.push(fullLike(cond, b, [], dtype)), temps.at(-1)!) : b;
  try {
    return bind('where', [cond, ta, tb], {});
  } finally {
    for (const t of temps) t.dispose();
  }
}

/** x². */
export const square = (x: Tensor): Tensor => mul(x, x);
/** 1/√x. */
export function rsqrt(x: Tensor): Tensor {
  const s = sqrt(x);
  try {
    return div(1, s);
  } finally {
    s.dispose();
  }
}
/**
 * max(x, 0). Float32 inputs go through the `relu` capability (one kernel forward, one backward where the backend
 * has it); the gradient is the one `maximum(x, 0)` has: 1 above 0, ½ at 0, 0 below.
 *
 * @example
 * ```ts
 * relu(tensor([-1, 0, 2])); // [0, 0, 2]
 * ```
 */
export const relu = (x: Tensor): Tensor => (x.dtype === 'float32' ? bind('relu', [x], {}) : maximum(x, 0));

/** Runs `fn` and disposes the temporaries it lists (used by composites to stay leak-free without a scope). */
export function withTemps<T>(fn: (temp: <U extends Tensor>(t: U) => U) => T): T {
  const temps: Tensor[] = [];
  try {
    return fn((t) => {
      temps.push(t);
      return t;
    });
  } finally {
    for (const t of temps) t.dispose();
  }
}

/** GELU with the exact erf form (PyTorch's default): x·½·(1 + erf(x/√2)). */
export function gelu(x: Tensor): Tensor {
  return withTemps((t) => mul(t(mul(x, 0.5)), t(add(t(erf(t(mul(x, Math.SQRT1_2)))), 1))));
}

/** Clamps into [min, max]. */
export function clamp(x: Tensor, min: number, max: number): Tensor {
  if (!(min <= max)) throw new ValueError(`clamp: min ${min} is greater than max ${max}`);
  return withTemps((t) => minimum(t(maximum(x, min)), max));
}
