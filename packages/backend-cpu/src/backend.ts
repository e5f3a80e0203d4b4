import { allocHost, BackendError, type DType, type HostArray, itemSize } from '@nibble/core';
import type { Backend, BackendFactory, BufferId, Capability, KernelCall, KernelOp, TensorView } from '@nibble/core/spi';
import { ELEMENTWISE_OPS, runElementwise } from './kernels/elementwise.ts';
import { runGather, runScatterAdd } from './kernels/indexing.ts';
import { runMatmul, runMatmulBias } from './kernels/matmul.ts';
import { runConcat, runPad } from './kernels/movement.ts';
import { runFakeQuant, runRandomBits } from './kernels/quant.ts';
import { runPackedMatmul } from './kernels/packed.ts';
import { runLstmSequence, runLstmSequenceGrad } from './kernels/lstm.ts';
import { runLayerNorm, runLayerNormGrad, runSoftmax, runSoftmaxGrad } from './kernels/normalization.ts';
import { runArgmax, runReduce } from './kernels/reduce.ts';

interface Slot {
  data: HostArray;
  refs: number;
  bytes: number;
  dtype: DType;
}

/** Options of the TypeScript CPU backend. */
export interface CpuBackendOptions {
  /**
   * Storage of float32 tensors: `float32` (default) or `float64` — a reference mode for gradient checks, where every
   * op computes and stores in double precision.
   */
  precision?: 'float32' | 'float64';
  /** Registered name (default `cpu`, or `cpu64` in float64 mode). */
  name?: string;
  /** Capabilities to leave out, so core runs its reference lowering instead (for testing lowerings). */
  disable?: readonly Capability[];
  /**
   * Bytes of freed host arrays (each ≥ `reuseMinBytes`) kept for reuse by allocations of the same dtype and length
   * (default 128 MiB; 0 turns reuse off). A fresh large typed array costs a page fault per 4 KiB on first write,
   * which for elementwise kernels over training activations costs more than the arithmetic. A new buffer's contents
   * are unspecified (as in the backend SPI): every kernel writes all of its outputs.
   */
  reuseBytes?: number;
  /** Smallest array kept for reuse (default 64 KiB). */
  reuseMinBytes?: number;
  /**
   * Value written into every new buffer, fresh or reused (default: none; a reused array keeps its old contents).
   * Tests set NaN so that a kernel which relied on a zeroed output would fail the conformance suite (integer and
   * bool arrays then get 0x5a).
   */
  reuseFill?: number;
}

const MIN_REUSED_BYTES = 64 * 1024;
const DEFAULT_REUSE_BYTES = 128 * 1024 * 1024;

const CAPABILITIES: readonly Capability[] = [
  'matmul', 'matmulBias', 'gather', 'scatterAdd', 'randomBits', 'fakeQuant', 'packedMatmul', 'lstmSequence', 'lstmSequenceGrad', 'softmax', 'softmaxGrad', 'layerNorm',
  'layerNormGrad', 'relu', 'reluGrad',
];

function poison(data: HostArray, fill: number): void {
  const float = data instanceof Float32Array || data instanceof Float64Array;
  data.fill(float || !Number.isNaN(fill) ? fill : 0x5a);
}

/** The TypeScript CPU backend: reference kernels that run in Node and in browsers. */
export class CpuBackend implements Backend {
  readonly name: string;
  readonly capabilities: ReadonlySet<Capability>;
  private readonly slots = new Map<number, Slot>();
  private nextId = 1;
  private liveBytes = 0;
  private readonly f64: boolean;
  private readonly round32: (x: number) => number;
  /** Freed arrays by `${dtype}:${length}`, reused by alloc (see CpuBackendOptions.reuseBytes). */
  private readonly freed = new Map<string, HostArray[]>();
  /** The same arrays, oldest free first: a full pool evicts from here, so shapes no longer used make room for new ones. */
  private readonly freedOrder = new Map<HostArray, string>();
  private freedBytes = 0;
  private readonly reuseBytes: number;
  private readonly reuseMinBytes: number;
  private readonly reuseFill: number | undefined;

  constructor(options: CpuBackendOptions = {}) {
    this.reuseBytes = options.reuseBytes ?? DEFAULT_REUSE_BYTES;
    this.reuseMinBytes = options.reuseMinBytes ?? MIN_REUSED_BYTES;
    this.reuseFill = options.reuseFill;
    if (!(this.reuseBytes >= 0)) throw new BackendError(`cpu: reuseBytes ${String(options.reuseBytes)}; expected a number ≥ 0`);
    if (!(this.reuseMinBytes >= 0)) throw new BackendError(`cpu: reuseMinBytes ${String(options.reuseMinBytes)}; expected a number ≥ 0`);
    this.f64 = options.precision === 'float64';
    this.name = options.name ?? (this.f64 ? 'cpu64' : 'cpu');
    this.round32 = this.f64 ? (x) => x : Math.fround;
    this.capabilities = new Set(CAPABILITIES.filter((c) => !options.disable?.includes(c)));
  }

  alloc(dtype: DType, numel: number): BufferId {
    if (!Number.isSafeInteger(numel) || numel < 0) throw new BackendError(`cpu.alloc: element count ${numel}; expected a non-negative integer`);
    const bytes = numel * itemSize(dtype);
    const data = this.reuse(dtype, numel) ?? (dtype === 'float32' && this.f64 ? new Float64Array(numel) : allocHost(dtype, numel));
    if (this.reuseFill !== undefined) poison(data, this.reuseFill);
    const id = this.nextId++ as BufferId;
    this.slots.set(id, { data, refs: 1, bytes, dtype });
    this.liveBytes += bytes;
    return id;
  }

  incRef(buffer: BufferId): void {
    this.slot(buffer).refs++;
  }

  decRef(buffer: BufferId): void {
    const s = this.slot(buffer);
    if (--s.refs === 0) {
      this.slots.delete(buffer);
      this.liveBytes -= s.bytes;
      const held = s.data.byteLength;
      if (held >= this.reuseMinBytes && held > 0 && held <= this.reuseBytes) {
        this.evictFreed(this.freedBytes + held - this.reuseBytes);
        const key = `${s.dtype}:${s.data.length}`;
        const list = this.freed.get(key);
        if (list) list.push(s.data);
        else this.freed.set(key, [s.data]);
        this.freedOrder.set(s.data, key);
        this.freedBytes += held;
      }
    }
  }

  /** A freed array of this dtype and length (contents unspecified), or undefined. */
  private reuse(dtype: DType, numel: number): HostArray | undefined {
    const data = this.freed.get(`${dtype}:${numel}`)?.pop();
    if (data === undefined) return undefined;
    this.freedOrder.delete(data);
    this.freedBytes -= data.byteLength;
    return data;
  }

  /**
   * Drops the longest-freed arrays until `bytes` are gone: a training loop that moves on to another model (or a
   * bench that runs several cases in one process) would otherwise find the pool full of arrays of the old shapes
   * and allocate — and page-fault in, and make V8 collect — every array of the new ones.
   */
  private evictFreed(bytes: number): void {
    for (const [data, key] of this.freedOrder) {
      if (bytes <= 0) return;
      this.freedOrder.delete(data);
      const list = this.freed.get(key)!;
      list.splice(list.indexOf(data), 1);
      if (list.length === 0) this.freed.delete(key);
      this.freedBytes -= data.byteLength;
      bytes -= data.byteLength;
    }
  }

  /** Drops the arrays kept for reuse (the memory returns to the JS heap's garbage collector). */
  releaseFreed(): void {
    this.freed.clear();
    this.freedOrder.clear();
    this.freedBytes = 0;
  }

  write(buffer: BufferId, data: HostArray, offset = 0): void {
    const s = this.slot(buffer);
    if (offset + data.length > s.data.length) {
      throw new BackendError(`cpu.write: ${data.length} values at offset ${offset} overflow a buffer of ${s.data.length}`);
    }
    s.data.set(data as never, offset);
  }

  read(buffer: BufferId): Promise<HostArray> {
    return Promise.resolve(this.readSync(buffer));
  }

  readSync(buffer: BufferId): HostArray {
    return this.slot(buffer).data.slice();
  }

  /** Whether a buffer is still allocated (subclasses keep side data that lives as long as a buffer). */
  protected isLive(buffer: BufferId): boolean {
    return this.slots.has(buffer);
  }

  /** The host array behind a view's buffer (subclasses run other kernels on it). */
  protected readonly lookup = (v: TensorView): HostArray => this.slot(v.buffer).data;
  /** The host array of a buffer this backend allocated for itself (e.g. state kept beside an output). */
  protected hostArray(buffer: BufferId): HostArray {
    return this.slot(buffer).data;
  }

  run(call: KernelCall<KernelOp>): void {
    const lookup = this.lookup;
    const op = call.op;
    if (ELEMENTWISE_OPS.has(op)) return runElementwise(call, lookup);
    switch (op) {
      case 'sum': case 'max': return runReduce(call as KernelCall<'sum' | 'max'>, lookup);
      case 'argmax': return runArgmax(call as KernelCall<'argmax'>, lookup);
      case 'pad': return runPad(call as KernelCall<'pad'>, lookup);
      case 'concat': return runConcat(call as KernelCall<'concat'>, lookup);
      case 'matmul': return runMatmul(call as KernelCall<'matmul'>, lookup);
      case 'matmulBias': return runMatmulBias(call as KernelCall<'matmulBias'>, lookup);
      case 'gather': return runGather(call as KernelCall<'gather'>, lookup);
      case 'scatterAdd': return runScatterAdd(call as KernelCall<'scatterAdd'>, lookup);
      case 'fakeQuant': return runFakeQuant(call as KernelCall<'fakeQuant'>, lookup, this.round32);
      case 'randomBits': return runRandomBits(call as KernelCall<'randomBits'>, lookup);
      case 'packedMatmul': return runPackedMatmul(call as KernelCall<'packedMatmul'>, lookup, this.round32);
      case 'lstmSequence': return runLstmSequence(call as KernelCall<'lstmSequence'>, lookup);
      case 'lstmSequenceGrad': return runLstmSequenceGrad(call as KernelCall<'lstmSequenceGrad'>, lookup);
      case 'softmax': return runSoftmax(call as KernelCall<'softmax'>, lookup);
      case 'softmaxGrad': return runSoftmaxGrad(call as KernelCall<'softmaxGrad'>, lookup);
      case 'layerNorm': return runLayerNorm(call as KernelCall<'layerNorm'>, lookup);
      case 'layerNormGrad': return runLayerNormGrad(call as KernelCall<'layerNormGrad'>, lookup);
      default: throw new BackendError(`cpu: no kernel for op '${op}'`);
    }
  }

  sync(): Promise<void> {
    return Promise.resolve();
  }

  memory(): { buffers: number; bytes: number } {
    return { buffers: this.slots.size, bytes: this.liveBytes };
  }

  [Symbol.dispose](): void {
    this.slots.clear();
    this.releaseFreed();
    this.liveBytes = 0;
  }

  private slot(buffer: BufferId): Slot {
    const s = this.slots.get(buffer);
    if (!s) throw new BackendError(`cpu: buffer ${buffer} does not exist (freed already?)`);
    return s;
  }
}

/**
 * The CPU backend factory: register it with a runtime.
 *
 * @example
 * ```ts
 * import { defaultRuntime, tensor } from '@nibble/core';
 * import { cpu } from '@nibble/backend-cpu';
 * defaultRuntime.register(cpu);
 * console.log(tensor([1, 2, 3]).add(1).dataSync()); // Float32Array [2, 3, 4]
 * ```
 */
export const cpu: BackendFactory = cpuFactory();

/** A CPU backend factory with options (e.g. the float64 reference backend used by gradient checks). */
export function cpuFactory(options: CpuBackendOptions = {}): BackendFactory {
  const name = options.name ?? (options.precision === 'float64' ? 'cpu64' : 'cpu');
  return {
    name,
    priority: options.precision === 'float64' ? 0 : 10,
    isAvailable: () => Promise.resolve({ ok: true }),
    create: () => Promise.resolve(new CpuBackend(options)),
    createSync: () => new CpuBackend(options),
  };
}
