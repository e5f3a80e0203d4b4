import type { DType } from '@nibble/core';
import type { TensorView } from '@nibble/core/spi';

/** Threads per workgroup of the one-thread-per-element kernels. */
export const WG = 256;

/**
 * WGSL storage type of a dtype. WGSL has no 8-bit storage, so uint8, int8 and bool hold one i32 per element (their
 * values always fit: stores wrap them like the CPU's typed arrays do).
 */
export function wgslType(dtype: DType): 'f32' | 'i32' {
  return dtype === 'float32' ? 'f32' : 'i32';
}

/** WGSL expression that wraps an i32 value `v` to the range of `dtype`, as storing into a typed array does. */
export function wrapInt(dtype: DType, v: string): string {
  if (dtype === 'uint8' || dtype === 'bool') return `((${v}) & 255)`;
  if (dtype === 'int8') return `(((${v}) << 24u) >> 24u)`;
  return v;
}

/** Helpers shared by every shader: NaN tests that no compiler can fold away, float → int like JavaScript's ToInt32. */
export const PRELUDE = /* wgsl */ `
// Private variables, not constants: WGSL rejects NaN and infinity in constant expressions.
var<private> NAN_BITS: u32 = 0x7fc00000u;
var<private> INF_BITS: u32 = 0x7f800000u;
fn nan_f32() -> f32 { return bitcast<f32>(NAN_BITS); }
fn inf_f32() -> f32 { return bitcast<f32>(INF_BITS); }
fn is_nan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn is_inf(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }
// Subnormal inputs read as zero in arithmetic on some adapters (SwiftShader flushes them), so ops that must keep them
// work on the bits: ordering keys, zero tests, sign.
fn is_den(x: f32) -> bool { let b = bitcast<u32>(x) & 0x7fffffffu; return b != 0u && b < 0x00800000u; }
fn is_zero(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0u; }
fn is_neg(x: f32) -> bool { return (bitcast<u32>(x) & 0x80000000u) != 0u; }
/** Monotonic i32 key of a non-NaN float: a < b exactly when key(a) < key(b); −0 and +0 share key 0. */
fn fkey(x: f32) -> i32 {
  let b = bitcast<i32>(x);
  if ((b & 0x7fffffff) == 0) { return 0; }
  return select(b, b ^ 0x7fffffff, b < 0);
}
fn f2i(x: f32) -> i32 {
  if (is_nan(x) || is_inf(x)) { return 0; }
  if (abs(x) < 2147483648.0) { return i32(trunc(x)); }
  // |x| >= 2^31 is an integer; reduce modulo 2^32 exactly (every step is exact in f32) and reinterpret.
  let r = x - floor(x / 4294967296.0) * 4294967296.0;
  return bitcast<i32>(u32(r));
}
`;

/** Row-major strides of a shape. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** Number of elements of a shape. */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Strides of `view` aligned to `outShape` under broadcasting (0 on broadcast axes). */
export function broadcastStrides(view: TensorView, outShape: readonly number[]): number[] {
  const lead = outShape.length - view.shape.length;
  return outShape.map((d, i) => {
    if (i < lead) return 0;
    const src = view.shape[i - lead]!;
    return src === 1 && d !== 1 ? 0 : view.strides[i - lead]!;
  });
}

/** True when `view` is row-major contiguous with exactly the shape `shape`. */
export function isDense(view: TensorView, shape: readonly number[]): boolean {
  if (view.shape.length !== shape.length) return false;
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (view.shape[i] !== shape[i]) return false;
    if (shape[i] !== 1 && view.strides[i] !== expected) return false;
    expected *= shape[i]!;
  }
  return true;
}

/**
 * Drops size-1 axes and merges axes that are contiguous for every operand, so a strided kernel does less index
 * arithmetic (and fewer shader variants are compiled). `strides[j]` are operand j's strides aligned to `shape`.
 */
export function simplify(shape: readonly number[], strides: readonly (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const size = shape[d]!;
    if (size === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && strides.every((s, j) => outStrides[j]![last] === s[d]! * size)) {
      outShape[last] = outShape[last]! * size;
      strides.forEach((s, j) => (outStrides[j]![last] = s[d]!));
      continue;
    }
    outShape.push(size);
    strides.forEach((s, j) => outStrides[j]!.push(s[d]!));
  }
  return { shape: outShape, strides: outStrides };
}

/**
 * WGSL statements that turn the linear index `idx` (u32) over a shape stored at `info[shapeAt..shapeAt+rank)` into
 * element offsets `o0, o1, ...` (i32) of operands whose base offset and strides sit at `info[bases[j]]` and
 * `info[bases[j]+1..]`. Unrolled for the given rank.
 */
export function offsetCode(rank: number, shapeAt: number, bases: readonly number[], idx = 'idx', prefix = 'o'): string {
  const lines: string[] = [];
  lines.push(`var ${prefix}rem: u32 = ${idx};`);
  bases.forEach((b, j) => lines.push(`var ${prefix}${j}: i32 = info[${b}];`));
  for (let d = rank - 1; d >= 0; d--) {
    lines.push(`{ let s = u32(info[${shapeAt + d}]); let c = i32(${prefix}rem % s); ${prefix}rem = ${prefix}rem / s;`);
    bases.forEach((b, j) => lines.push(`  ${prefix}${j} += c * info[${b + 1 + d}];`));
    lines.push('}');
  }
  return lines.join('\n  ');
}

/** Linear thread index of a 1-D kernel dispatched as a 2-D grid (grids wider than 65535 workgroups wrap to y). */
export const LINEAR_INDEX = `let idx = gid.x + gid.y * nwg.x * ${WG}u;`;
export const MAIN_SIGNATURE = `@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>)`;

const sources = new Map<string, string>();

/**
 * Memoizes generated WGSL by a short key that determines it. The backend caches pipelines by source text; handing it
 * the same string object each time lets the engine reuse the string's hash instead of hashing kilobytes per dispatch.
 */
export function cachedSource(key: string, build: () => string): string {
  let s = sources.get(key);
  if (s === undefined) {
    s = build();
    sources.set(key, s);
  }
  return s;
}
