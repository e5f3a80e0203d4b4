// Argument checks shared by the wrappers. They run before any native call, so native code only ever sees sizes
// that fit the buffers it is given.
import { NativeArgumentError } from './errors.js';

type TypedArrayCtor = Float32ArrayConstructor | Int8ArrayConstructor | Uint8ArrayConstructor;

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${(value as Float32Array).length})`;
  if (Array.isArray(value)) return `Array(${value.length})`;
  return typeof value === 'object' ? (value.constructor?.name ?? 'object') : `${typeof value} ${String(value)}`;
}

export function typedArray<T extends TypedArrayCtor>(fn: string, name: string, value: unknown, ctor: T): InstanceType<T> {
  if (!(value instanceof ctor)) {
    throw new NativeArgumentError(`${fn}: ${name} must be a ${ctor.name}, got ${describe(value)}`);
  }
  if (!(value.buffer instanceof ArrayBuffer)) {
    throw new NativeArgumentError(`${fn}: ${name} must be backed by an ArrayBuffer, got ${value.buffer.constructor.name}`);
  }
  return value as InstanceType<T>;
}

export function float32(fn: string, name: string, value: unknown): Float32Array {
  return typedArray(fn, name, value, Float32Array);
}

export function optionalFloat32(fn: string, name: string, value: unknown): Float32Array | null {
  return value === undefined || value === null ? null : float32(fn, name, value);
}

export function dim(fn: string, name: string, value: unknown, min = 0): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new NativeArgumentError(`${fn}: ${name} must be an integer >= ${min}, got ${describe(value)}`);
  }
  return value;
}

export function exactLength(fn: string, name: string, array: ArrayLike<unknown>, expected: number, shape?: string): void {
  if (array.length !== expected) {
    const what = shape === undefined ? '' : ` (${shape})`;
    throw new NativeArgumentError(`${fn}: ${name} has ${array.length} elements, expected ${expected}${what}`);
  }
}

export function minLength(fn: string, name: string, array: ArrayLike<unknown>, expected: number, why: string): void {
  if (array.length < expected) {
    throw new NativeArgumentError(`${fn}: ${name} has ${array.length} elements, expected at least ${expected} (${why})`);
  }
}

export function shapeOf(fn: string, name: string, shape: unknown): number[] {
  if (!Array.isArray(shape)) throw new NativeArgumentError(`${fn}: ${name} must be an array of sizes, got ${describe(shape)}`);
  return shape.map((d: unknown, i) => dim(fn, `${name}[${i}]`, d));
}

export function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Fresh output or the caller's buffer after a length check. */
/** Largest float32 array a JS engine allocates (V8: 2^32 elements); larger outputs are refused, not attempted. */
const MAX_OUTPUT = 2 ** 32;

export function output(fn: string, out: unknown, length: number, shape: string): Float32Array {
  if (out === undefined) {
    if (length > MAX_OUTPUT) throw new NativeArgumentError(`${fn}: the output ${shape} has ${length} elements; at most ${MAX_OUTPUT} can be allocated`);
    return new Float32Array(length);
  }
  const o = float32(fn, 'out', out);
  exactLength(fn, 'out', o, length, shape);
  return o;
}
