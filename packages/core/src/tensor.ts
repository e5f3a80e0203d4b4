import { type DataArray, type DType, type HostArray, allocHost } from './dtype.ts';
import { DisposedError, ValueError } from './errors.ts';
import { unwatchLeak, watchForLeak } from './memory/leaks.ts';
import { setTensorClass, trackInScope } from './memory/scope.ts';
import type { Runtime } from './runtime/runtime.ts';
import { contiguousStrides, type Shape, numel } from './shape.ts';
import type { Backend } from './spi/backend.ts';
import type { BufferId, TensorView } from './spi/ops.ts';
import * as ops from './ops/index.ts';

let nextId = 1;

/** Nested JavaScript arrays as returned by {@link Tensor.array}. */
export type NestedArray = number | NestedArray[];

/**
 * An immutable handle on a reference-counted backend buffer plus a strided view (shape, strides, offset).
 * Operations never consume their inputs; call `dispose()` (or use `using`, or {@link scope}) to free a handle.
 *
 * @example
 * ```ts
 * using x = tensor([[1, 2], [3, 4]]);
 * const y = x.matmul(x.transpose()).add(1);
 * console.log(await y.array()); // [[6, 12], [12, 26]]
 * ```
 */
export class Tensor implements Disposable {
  /** Unique id of this handle (for debugging and leak reports). */
  readonly id = nextId++;
  readonly rank: number;
  readonly size: number;
  private disposedFlag = false;

  /** @internal Use the creation functions (`tensor`, `zeros`, ...) instead. Takes ownership of one buffer reference. */
  constructor(
    readonly runtime: Runtime,
    readonly backend: Backend,
    readonly buffer: BufferId,
    readonly dtype: DType,
    readonly shape: Shape,
    readonly strides: readonly number[] = contiguousStrides(shape),
    readonly offset = 0,
  ) {
    this.rank = shape.length;
    this.size = numel(shape);
    runtime.liveTensors++;
    trackInScope(this);
    watchForLeak(this, { id: this.id, shape, dtype });
  }

  /** True once `dispose()` ran. */
  get isDisposed(): boolean {
    return this.disposedFlag;
  }

  /** Frees this handle's reference to its buffer. Idempotent. */
  dispose(): void {
    if (this.disposedFlag) return;
    this.disposedFlag = true;
    this.runtime.liveTensors--;
    unwatchLeak(this);
    this.backend.decRef(this.buffer);
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Throws a DisposedError naming the function when this handle was disposed. */
  assertLive(where: string): void {
    if (this.disposedFlag) {
      throw new DisposedError(`${where}: tensor #${this.id} (${this.dtype}[${this.shape.join(',')}]) was disposed; expected a live tensor`);
    }
  }

  /** The kernel view of this tensor. */
  view(): TensorView {
    return { buffer: this.buffer, dtype: this.dtype, shape: this.shape, strides: this.strides, offset: this.offset };
  }

  /** True when the elements are laid out row-major from offset 0 with no gaps. */
  isContiguous(): boolean {
    const expected = contiguousStrides(this.shape);
    return this.offset === 0 && this.shape.every((d, i) => d === 1 || this.strides[i] === expected[i]);
  }

  /** Reads the elements back in row-major order. */
  async data(): Promise<DataArray> {
    this.assertLive('data');
    return ops.readData(this);
  }

  /** Synchronous {@link data}; only on backends that can read synchronously (CPU). */
  dataSync(): DataArray {
    this.assertLive('dataSync');
    return ops.readDataSync(this);
  }

  /** Elements as float64 host values (as exact as the backend stores them). */
  async hostValues(): Promise<HostArray> {
    this.assertLive('hostValues');
    return ops.readHost(this);
  }

  /** Synchronous {@link hostValues}; only on backends that can read synchronously. */
  hostValuesSync(): HostArray {
    this.assertLive('hostValuesSync');
    return ops.readHostSync(this);
  }

  /** The single element of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new ValueError(`item: tensor has ${this.size} elements (shape [${this.shape.join(',')}]); expected exactly 1`);
    return this.dataSync()[0] as number;
  }

  /** Nested arrays of the elements. */
  async array(): Promise<NestedArray> {
    return nest(await this.data(), this.shape);
  }

  /** Synchronous {@link array}. */
  arraySync(): NestedArray {
    return nest(this.dataSync(), this.shape);
  }

  toString(): string {
    return `Tensor(${this.dtype}[${this.shape.join(',')}]${this.disposedFlag ? ', disposed' : ''})`;
  }

  // ---- elementwise ----
  add(other: Tensor | number): Tensor { return ops.add(this, other); }
  sub(other: Tensor | number): Tensor { return ops.sub(this, other); }
  mul(other: Tensor | number): Tensor { return ops.mul(this, other); }
  div(other: Tensor | number): Tensor { return ops.div(this, other); }
  pow(other: Tensor | number): Tensor { return ops.pow(this, other); }
  maximum(other: Tensor | number): Tensor { return ops.maximum(this, other); }
  minimum(other: Tensor | number): Tensor { return ops.minimum(this, other); }
  lt(other: Tensor | number): Tensor { return ops.lt(this, other); }
  le(other: Tensor | number): Tensor { return ops.le(this, other); }
  gt(other: Tensor | number): Tensor { return ops.gt(this, other); }
  ge(other: Tensor | number): Tensor { return ops.ge(this, other); }
  eq(other: Tensor | number): Tensor { return ops.eq(this, other); }
  ne(other: Tensor | number): Tensor { return ops.ne(this, other); }
  neg(): Tensor { return ops.neg(this); }
  abs(): Tensor { return ops.abs(this); }
  sign(): Tensor { return ops.sign(this); }
  exp(): Tensor { return ops.exp(this); }
  log(): Tensor { return ops.log(this); }
  sqrt(): Tensor { return ops.sqrt(this); }
  rsqrt(): Tensor { return ops.rsqrt(this); }
  square(): Tensor { return ops.square(this); }
  tanh(): Tensor { return ops.tanh(this); }
  sigmoid(): Tensor { return ops.sigmoid(this); }
  relu(): Tensor { return ops.relu(this); }
  gelu(): Tensor { return ops.gelu(this); }
  sin(): Tensor { return ops.sin(this); }
  cos(): Tensor { return ops.cos(this); }
  floor(): Tensor { return ops.floor(this); }
  /** Rounds half to even (0.5 → 0, 1.5 → 2), as NumPy and PyTorch do. */
  roundHalfEven(): Tensor { return ops.roundHalfEven(this); }
  clamp(min: number, max: number): Tensor { return ops.clamp(this, min, max); }
  cast(dtype: DType): Tensor { return ops.cast(this, dtype); }
  // ---- reductions ----
  sum(axes?: number | readonly number[], keepDims = false): Tensor { return ops.sum(this, axes, keepDims); }
  max(axes?: number | readonly number[], keepDims = false): Tensor { return ops.max(this, axes, keepDims); }
  min(axes?: number | readonly number[], keepDims = false): Tensor { return ops.min(this, axes, keepDims); }
  mean(axes?: number | readonly number[], keepDims = false): Tensor { return ops.mean(this, axes, keepDims); }
  variance(axes?: number | readonly number[], keepDims = false): Tensor { return ops.variance(this, axes, keepDims); }
  argmax(axis = -1, keepDims = false): Tensor { return ops.argmax(this, axis, keepDims); }
  logSumExp(axes: number | readonly number[] = -1, keepDims = false): Tensor { return ops.logSumExp(this, axes, keepDims); }
  softmax(axis = -1): Tensor { return ops.softmax(this, axis); }
  logSoftmax(axis = -1): Tensor { return ops.logSoftmax(this, axis); }
  // ---- movement ----
  reshape(shape: readonly number[]): Tensor { return ops.reshape(this, shape); }
  flatten(): Tensor { return ops.reshape(this, [this.size]); }
  permute(perm: readonly number[]): Tensor { return ops.permute(this, perm); }
  /** Swaps two axes (default: the last two). */
  transpose(a = -2, b = -1): Tensor { return ops.transpose(this, a, b); }
  slice(begin: readonly number[], size?: readonly number[]): Tensor { return ops.slice(this, begin, size); }
  expand(shape: readonly number[]): Tensor { return ops.expand(this, shape); }
  squeeze(axes?: number | readonly number[]): Tensor { return ops.squeeze(this, axes); }
  unsqueeze(axis: number): Tensor { return ops.unsqueeze(this, axis); }
  contiguous(): Tensor { return ops.contiguous(this); }
  clone(): Tensor { return ops.copy(this); }
  // ---- linear algebra ----
  matmul(other: Tensor): Tensor { return ops.matmul(this, other); }
}

setTensorClass(Tensor);

function nest(data: ArrayLike<number>, shape: Shape): NestedArray {
  if (shape.length === 0) return data[0] as number;
  let pos = 0;
  const build = (axis: number): NestedArray[] => {
    const n = shape[axis] as number;
    const out: NestedArray[] = [];
    for (let i = 0; i < n; i++) out.push(axis === shape.length - 1 ? (data[pos++] as number) : build(axis + 1));
    return out;
  };
  return build(0);
}

/** Allocates an empty host array for a tensor's dtype; used by readers. */
export function hostFor(t: Tensor): DataArray {
  return allocHost(t.dtype, t.size);
}
