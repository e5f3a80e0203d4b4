import type { DType } from '@nibble/core';
import type { KernelCall, KernelParams } from '@nibble/core/spi';
import { broadcastStrides, cachedSource, isDense, LINEAR_INDEX, MAIN_SIGNATURE, numel, offsetCode, PRELUDE, simplify, wgslType, wrapInt } from './common.ts';
import type { Dispatcher } from './dispatcher.ts';
import { FLOAT_MATH } from './float-math.ts';

/** WGSL functions of the float kernels; each handles NaN, ±Inf and −0 like the TypeScript reference explicitly. */
export const FLOAT_FUNCTIONS = /* wgsl */ `
fn f_neg(x: f32) -> f32 { return bitcast<f32>(bitcast<u32>(x) ^ 0x80000000u); }
fn f_abs(x: f32) -> f32 { return bitcast<f32>(bitcast<u32>(x) & 0x7fffffffu); }
fn f_sign(x: f32) -> f32 { if (is_nan(x)) { return x; } if (is_zero(x)) { return 0.0; } return select(1.0, -1.0, is_neg(x)); }
fn f_floor(x: f32) -> f32 { if (is_den(x)) { return select(0.0, -1.0, is_neg(x)); } return floor(x); }
fn f_round(x: f32) -> f32 { if (is_den(x)) { return 0.0; } return round(x); }
fn f_exp(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  if (x > 88.72284) { return inf_f32(); }
  if (x < -103.972084) { return 0.0; }
  return f_exp_poly(x);
}
fn f_log(x: f32) -> f32 {
  if (is_nan(x) || x < 0.0) { return nan_f32(); }
  if (x == 0.0) { return -inf_f32(); }
  if (is_inf(x)) { return x; }
  return log(x);
}
fn f_sqrt(x: f32) -> f32 {
  if (is_nan(x) || (is_neg(x) && !is_zero(x))) { return nan_f32(); }
  if (is_inf(x) || is_zero(x)) { return x; }
  // a subnormal m·2^-149: sqrt(2m)·2^-75, both steps exact but the one rounding of sqrt
  if (is_den(x)) { return sqrt(f32(2u * (bitcast<u32>(x) & 0x7fffffu))) * 2.6469779601696886e-23; }
  return sqrt(x);
}
fn f_tanh(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  if (abs(x) > 9.0) { return sign(x); }
  if (abs(x) < 0.0004) { return x; }
  return tanh(x);
}
fn f_sigmoid(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  if (x >= 0.0) { return 1.0 / (1.0 + f_exp(-x)); }
  let e = f_exp(x);
  return e / (1.0 + e);
}
fn f_erf(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  let a = abs(x);
  var r: f32;
  if (a < 0.5) {
    // Maclaurin series: 2/sqrt(pi) * (x - x^3/3 + x^5/10 - x^7/42 + x^9/216)
    let z = a * a;
    r = a * 1.1283791670955126 * (1.0 + z * (-0.3333333333 + z * (0.1 + z * (-0.0238095238 + z * 0.0046296296))));
  } else if (a > 4.0) {
    r = 1.0;
  } else {
    // Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7).
    let t = 1.0 / (1.0 + 0.3275911 * a);
    let p = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
    r = 1.0 - p * exp(-a * a);
  }
  return select(r, -r, x < 0.0);
}
fn f_sin(x: f32) -> f32 { if (is_nan(x) || is_inf(x)) { return nan_f32(); } if (is_den(x) || is_zero(x)) { return x; } return f_sincos(x, 0); }
fn f_cos(x: f32) -> f32 { if (is_nan(x) || is_inf(x)) { return nan_f32(); } return f_sincos(x, 1); }
fn f_pow(x: f32, y: f32) -> f32 {
  if (y == 0.0) { return 1.0; }
  if (is_nan(x) || is_nan(y)) { return nan_f32(); }
  let yInt = floor(y) == y;
  let ax = abs(x);
  if (x < 0.0 && !yInt && !is_inf(y)) { return nan_f32(); }
  var r: f32;
  if (ax == 0.0) { r = select(0.0, inf_f32(), y < 0.0); }
  else if (is_inf(y)) {
    if (ax == 1.0) { return nan_f32(); }
    r = select(0.0, inf_f32(), (ax > 1.0) == (y > 0.0));
    return r;
  }
  else if (is_inf(ax)) { r = select(0.0, inf_f32(), y > 0.0); }
  else { r = exp2(y * log2(ax)); }
  // odd integer exponent keeps the sign of a negative base
  let odd = yInt && abs(y) < 16777216.0 && (i32(abs(y)) & 1) == 1;
  return select(r, -r, (x < 0.0 && odd) || (x == 0.0 && odd && (bitcast<u32>(x) & 0x80000000u) != 0u));
}
fn f_max(a: f32, b: f32) -> f32 { if (is_nan(a) || is_nan(b)) { return nan_f32(); } return select(b, a, fkey(a) > fkey(b)); }
fn f_min(a: f32, b: f32) -> f32 { if (is_nan(a) || is_nan(b)) { return nan_f32(); } return select(b, a, fkey(a) < fkey(b)); }
fn f_lt(a: f32, b: f32) -> i32 { return select(0, 1, !is_nan(a) && !is_nan(b) && fkey(a) < fkey(b)); }
fn f_le(a: f32, b: f32) -> i32 { return select(0, 1, !is_nan(a) && !is_nan(b) && fkey(a) <= fkey(b)); }
fn f_eq(a: f32, b: f32) -> i32 { return select(0, 1, !is_nan(a) && !is_nan(b) && fkey(a) == fkey(b)); }
fn f_ne(a: f32, b: f32) -> i32 { return 1 - f_eq(a, b); }
fn i_div(a: i32, b: i32) -> i32 { return select(a / b, 0, b == 0); }
`;

const FLOAT_UNARY: Record<string, string> = {
  neg: 'f_neg(a)', abs: 'f_abs(a)', sign: 'f_sign(a)', exp: 'f_exp(a)', log: 'f_log(a)', sqrt: 'f_sqrt(a)', tanh: 'f_tanh(a)',
  sigmoid: 'f_sigmoid(a)', erf: 'f_erf(a)', sin: 'f_sin(a)', cos: 'f_cos(a)', floor: 'f_floor(a)', round: 'f_round(a)',
  not: 'select(0.0, 1.0, is_zero(a))', copy: 'a',
};
const INT_UNARY: Record<string, string> = {
  neg: '-a', abs: 'abs(a)', sign: 'sign(a)', floor: 'a', round: 'a', not: 'select(0, 1, a == 0)', copy: 'a',
};
const FLOAT_BINARY: Record<string, string> = {
  add: 'x_add(a, b)', sub: 'x_sub(a, b)', mul: 'x_mul(a, b)', div: 'x_div(a, b)', pow: 'f_pow(a, b)', maximum: 'f_max(a, b)', minimum: 'f_min(a, b)',
  lt: 'f_lt(a, b)', le: 'f_le(a, b)', eq: 'f_eq(a, b)', ne: 'f_ne(a, b)',
};
const INT_BINARY: Record<string, string> = {
  add: 'a + b', sub: 'a - b', mul: 'a * b', div: 'i_div(a, b)', pow: 'f2i(f_pow(f32(a), f32(b)))', maximum: 'max(a, b)', minimum: 'min(a, b)',
  lt: 'select(0, 1, a < b)', le: 'select(0, 1, a <= b)', eq: 'select(0, 1, a == b)', ne: 'select(0, 1, a != b)',
};

/** Ops handled here. */
export const ELEMENTWISE_OPS: ReadonlySet<string> = new Set([...Object.keys(FLOAT_UNARY), ...Object.keys(FLOAT_BINARY), 'where', 'cast']);

/** The WGSL expression of `op` over operands a, b, c, given the input dtypes and the output dtype. */
function expression(call: KernelCall): string {
  const op = call.op;
  const inT = call.inputs.map((v) => v.dtype);
  const outT = call.outputs[0]!.dtype;
  const isFloat = inT[0] === 'float32';
  if (op === 'where') return 'select(c, b, a != 0)';
  if (op === 'cast') return castExpression(inT[0]!, (call.params as KernelParams['cast']).dtype ?? outT);
  const unary = isFloat ? FLOAT_UNARY[op] : INT_UNARY[op];
  if (unary) return unary;
  if (!isFloat && op in FLOAT_UNARY) return `f2i(${FLOAT_UNARY[op]!.replace(/\ba\b/g, 'f32(a)')})`;
  const binary = isFloat ? FLOAT_BINARY[op] : INT_BINARY[op];
  if (binary) return binary;
  throw new Error(`webgpu: no elementwise kernel for ${op}`);
}

function castExpression(from: DType, to: DType): string {
  if (to === 'bool') return from === 'float32' ? 'select(1, 0, is_zero(a))' : 'select(1, 0, a == 0)';
  if (to === 'float32') return from === 'float32' ? 'a' : 'f32(a)';
  return from === 'float32' ? 'f2i(a)' : 'a';
}

/**
 * Elementwise kernels (unary, binary, compare, where, cast, copy). The shader is specialised on the op, the dtypes
 * and the rank only; shapes, strides and offsets travel in the meta buffer, so one pipeline serves every shape.
 * All-contiguous operands take a variant without index arithmetic.
 */
export function runElementwise(call: KernelCall, d: Dispatcher): void {
  const out = call.outputs[0]!;
  const n = numel(out.shape);
  if (n === 0) return;
  const ins = call.inputs;
  const dense = ins.every((v) => isDense(v, out.shape));
  let meta: number[];
  let rank = 0;
  if (dense) {
    meta = [n, ...ins.map((v) => v.offset)];
  } else {
    const s = simplify(out.shape, ins.map((v) => broadcastStrides(v, out.shape)));
    rank = s.shape.length;
    meta = [n, ...s.shape];
    ins.forEach((v, j) => meta.push(v.offset, ...s.strides[j]!));
  }
  const key = `ew|${call.op}|${ins.map((v) => v.dtype).join(',')}|${out.dtype}|${dense ? 'dense' : rank}`;
  const code = cachedSource(key, () => elementwiseSource(call, dense, rank));
  d.dispatch(code, meta, [out.buffer, ...ins.map((v) => v.buffer)], n);
}

/** WGSL of an elementwise kernel; depends only on the op, the dtypes and the rank (or density) of the operands. */
function elementwiseSource(call: KernelCall, dense: boolean, rank: number): string {
  const out = call.outputs[0]!;
  const ins = call.inputs;
  const expr = expression(call);
  const names = ['a', 'b', 'c'];
  // copy and where move bits (u32), so no value is canonicalised or flushed on the way
  const moves = call.op === 'copy' || call.op === 'where';
  const typeOf = (dtype: DType, j: number) => (moves && !(call.op === 'where' && j === 0) ? 'u32' : wgslType(dtype));
  const decls = ins.map((v, j) => `@group(0) @binding(${j + 2}) var<storage, read> in${j}: array<${typeOf(v.dtype, j)}>;`).join('\n');
  const store = (value: string) => (out.dtype === 'float32' || moves ? value : wrapInt(out.dtype, value));
  let body: string;
  if (dense) {
    body = ins.map((_, j) => `let ${names[j]} = in${j}[u32(info[${j + 1}]) + idx];`).join('\n  ');
  } else {
    const bases = ins.map((_, j) => 1 + rank + j * (rank + 1));
    body = offsetCode(rank, 1, bases) + '\n  ' + ins.map((_, j) => `let ${names[j]} = in${j}[o${j}];`).join('\n  ');
  }
  return `${PRELUDE}${FLOAT_MATH}${FLOAT_FUNCTIONS}
@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<${moves ? 'u32' : wgslType(out.dtype)}>;
${decls}
${MAIN_SIGNATURE} {
  ${LINEAR_INDEX}
  if (idx >= u32(info[0])) { return; }
  ${body}
  out[idx] = ${store(expr)};
}`;
}
