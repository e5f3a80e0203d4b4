import { type DType, type HostArray, assertDType, toHostArray } from '../dtype.ts';
import { ShapeError, ValueError } from '../errors.ts';
import { defaultRuntime, type Runtime } from '../runtime/runtime.ts';
import { assertShape, fmt, numel } from '../shape.ts';
import type { Backend } from '../spi/backend.ts';
import { type NestedArray, Tensor } from '../tensor.ts';
import type { Placement } from './bind.ts';

/** Where a new tensor goes: a runtime (default: `defaultRuntime`) and a backend name (default: the selected one). */
export interface CreateOptions {
  dtype?: DType;
  runtime?: Runtime;
  backend?: string;
}

/** Resolves creation options to a runtime and backend. */
export function placement(opts: CreateOptions = {}): Placement {
  const runtime = opts.runtime ?? defaultRuntime;
  return { runtime, backend: runtime.backend(opts.backend) };
}

/** Allocates a tensor on a backend and writes host data into it (no autograd, no kernel). */
export function fromHost(runtime: Runtime, backend: Backend, dtype: DType, shape: readonly number[], host: HostArray): Tensor {
  const n = numel(shape);
  if (host.length !== n) throw new ShapeError(`tensor: got ${host.length} values for shape ${fmt(shape)}; expected ${n}`);
  const buffer = backend.alloc(dtype, n);
  try {
    if (n > 0) backend.write(buffer, host);
  } catch (e) {
    backend.decRef(buffer);
    throw e;
  }
  return new Tensor(runtime, backend, buffer, dtype, [...shape]);
}

function inferShape(data: NestedArray): number[] {
  const shape: number[] = [];
  let cur: NestedArray = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0]!;
  }
  return shape;
}

function flattenNested(data: NestedArray, shape: readonly number[], out: number[], axis = 0): void {
  if (axis === shape.length) {
    if (typeof data !== 'number' && typeof data !== 'boolean') {
      throw new ValueError(`tensor: expected a number at depth ${axis}; got ${Array.isArray(data) ? 'an array (ragged nesting)' : typeof data}`);
    }
    out.push(Number(data));
    return;
  }
  if (!Array.isArray(data) || data.length !== shape[axis]) {
    throw new ShapeError(`tensor: ragged nested array: expected length ${shape[axis]} at depth ${axis}; got ${Array.isArray(data) ? data.length : typeof data}`);
  }
  for (const d of data) flattenNested(d, shape, out, axis + 1);
}

/**
 * Creates a tensor from a number, nested arrays or a typed array.
 *
 * @example
 * ```ts
 * const a = tensor([[1, 2], [3, 4]]);                       // float32 [2,2]
 * const b = tensor(new Int32Array([1, 2, 3]), { dtype: 'int32' });
 * const c = tensor([1, 2, 3, 4, 5, 6], { shape: [2, 3] });
 * ```
 */
export function tensor(data: NestedArray | HostArray | readonly number[], opts: CreateOptions & { shape?: readonly number[] } = {}): Tensor {
  const dtype = opts.dtype ?? (data instanceof Int32Array ? 'int32' : data instanceof Uint8Array ? 'uint8' : data instanceof Int8Array ? 'int8' : 'float32');
  assertDType('tensor', dtype);
  let flat: ArrayLike<number>;
  let shape: readonly number[];
  if (ArrayBuffer.isView(data)) {
    flat = data as HostArray;
    shape = opts.shape ?? [flat.length];
  } else {
    const inferred = inferShape(data as NestedArray);
    const values: number[] = [];
    flattenNested(data as NestedArray, inferred, values);
    flat = values;
    shape = opts.shape ?? inferred;
  }
  assertShape('tensor', shape);
  const { runtime, backend } = placement(opts);
  return fromHost(runtime, backend, dtype, shape, toHostArray(dtype, flat));
}

/** A tensor of `shape` filled with `value`. */
export function full(shape: readonly number[], value: number, opts: CreateOptions = {}): Tensor {
  assertShape('full', shape);
  const dtype = opts.dtype ?? 'float32';
  assertDType('full', dtype);
  const { runtime, backend } = placement(opts);
  const host = toHostArray(dtype, []).constructor as new (n: number) => HostArray;
  const data = new host(numel(shape));
  data.fill(dtype === 'bool' ? (value ? 1 : 0) : value);
  return fromHost(runtime, backend, dtype, shape, data);
}

/** Zeros. */
export function zeros(shape: readonly number[], opts: CreateOptions = {}): Tensor {
  return full(shape, 0, opts);
}
/** Ones. */
export function ones(shape: readonly number[], opts: CreateOptions = {}): Tensor {
  return full(shape, 1, opts);
}

/** `[start, start + step, ...)` below `stop`. */
export function arange(start: number, stop?: number, step = 1, opts: CreateOptions = {}): Tensor {
  if (stop === undefined) [start, stop] = [0, start];
  if (step === 0) throw new ValueError('arange: step is 0; expected a non-zero step');
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const values = Array.from({ length: n }, (_, i) => start + i * step);
  return tensor(values, { ...opts, shape: [n] });
}

/** A tensor filled with `value`, on the same backend as `like`, with its dtype unless given. */
export function fullLike(like: Tensor, value: number, shape: readonly number[] = like.shape, dtype: DType = like.dtype): Tensor {
  like.assertLive('fullLike');
  const host = toHostArray(dtype, new Array<number>(numel(shape)).fill(value));
  return fromHost(like.runtime, like.backend, dtype, shape, host);
}

/** Zeros shaped like `like`. */
export function zerosLike(like: Tensor): Tensor {
  return fullLike(like, 0);
}
/** Ones shaped like `like`. */
export function onesLike(like: Tensor): Tensor {
  return fullLike(like, 1);
}

/** Host data to a tensor on the same backend as `like`. */
export function tensorLike(like: Tensor, data: HostArray | readonly number[], shape: readonly number[], dtype: DType = like.dtype): Tensor {
  return fromHost(like.runtime, like.backend, dtype, shape, toHostArray(dtype, data));
}
