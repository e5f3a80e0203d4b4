/// <reference types="@webgpu/types" />
import { BackendError, type DType, type HostArray, itemSize, ValueError } from '@nibble/core';
import type { Backend, BufferId, Capability, KernelCall, KernelOp } from '@nibble/core/spi';
import { BufferPool, type PoolStats } from './buffer-pool.ts';
import { WG } from './kernels/common.ts';
import { LSTM_STORAGE_BUFFERS } from './kernels/lstm.ts';
import { KERNEL_ERRORS, type DispatchOptions, type Dispatcher, type Tuning } from './kernels/dispatcher.ts';
import { runKernel } from './kernels/index.ts';

interface Slot {
  readonly buffer: GPUBuffer;
  readonly dtype: DType;
  readonly numel: number;
  refs: number;
  /** Host copy of small integer buffers written whole from the host (lets gather/scatterAdd validate indices at once). */
  host?: Int32Array;
}

/** Options of {@link WebGpuBackend}. */
export interface WebGpuBackendOptions {
  /** Registered name (default `webgpu`). */
  name?: string;
  /** Capabilities to leave out, so core runs its reference lowering instead. */
  disable?: readonly Capability[];
  /** Upper bound of the bytes kept in the buffer pool for reuse (default 256 MiB). */
  maxPooledBytes?: number;
  /** Dispatches recorded before the command encoder is submitted without being asked (default 128). */
  maxBatch?: number;
  /**
   * Matmul kernel: `tiled` (workgroup-memory tiles, for GPUs), `register` (4×4 register blocks without barriers, for
   * software adapters such as SwiftShader, where barriers are expensive) or `auto` (default: `register` on software
   * adapters, `tiled` elsewhere).
   */
  matmulKernel?: 'auto' | 'tiled' | 'register';
}

const ALL_CAPABILITIES: readonly Capability[] = ['matmul', 'gather', 'scatterAdd', 'randomBits', 'fakeQuant', 'packedMatmul', 'lstmSequence', 'lstmSequenceGrad'];
const SHADOW_LIMIT = 1 << 16;
const META_CACHE_LIMIT = 4096;

/**
 * The WebGPU backend: every tensor lives in a storage buffer (f32 for float32, one i32 per element for the integer
 * dtypes), kernels are WGSL compute shaders cached by source, and dispatches are batched into one command encoder
 * until a read, a sync or the batch limit submits them.
 */
export class WebGpuBackend implements Backend, Dispatcher {
  readonly name: string;
  readonly capabilities: ReadonlySet<Capability>;
  readonly tuning: Tuning;
  /** True on software adapters (SwiftShader, lavapipe, llvmpipe, or one the browser marks as a fallback). */
  readonly softwareAdapter: boolean;
  private readonly slots = new Map<number, Slot>();
  private nextId = 1;
  private liveBytes = 0;
  private readonly pool: BufferPool;
  private readonly pipelines = new Map<string, { pipeline: GPUComputePipeline; layout: GPUBindGroupLayout }>();
  private readonly metaCache = new Map<string, GPUBuffer>();
  private encoder: GPUCommandEncoder | undefined;
  private pass: GPUComputePassEncoder | undefined;
  private pending = 0;
  private readonly usedInPending = new Set<GPUBuffer>();
  private readonly maxBatch: number;
  private lostReason: string | undefined;
  private gpuError: string | undefined;
  private disposed = false;
  /** Four i32 words where kernels record invalid data they meet (an index computed on the GPU out of range). */
  private readonly errorWords: GPUBuffer;

  /**
   * @param device - the device to run on.
   * @param keepAlive - objects that must outlive the device (Dawn's GPU instance, the adapter).
   */
  constructor(
    readonly device: GPUDevice,
    private readonly keepAlive: readonly unknown[],
    options: WebGpuBackendOptions = {},
    adapterInfo: { architecture?: string; isFallbackAdapter?: boolean } = {},
  ) {
    const software = adapterInfo.isFallbackAdapter === true || /swiftshader|llvmpipe|lavapipe/i.test(adapterInfo.architecture ?? '');
    this.softwareAdapter = software;
    const kernel = options.matmulKernel ?? 'auto';
    this.tuning = { tiledMatmul: kernel === 'tiled' || (kernel === 'auto' && !software) };
    this.name = options.name ?? 'webgpu';
    // the fused LSTM kernels bind more storage buffers than WebGPU's default limit of 8; without them core lowers
    const lstmFits = device.limits.maxStorageBuffersPerShaderStage >= LSTM_STORAGE_BUFFERS;
    this.capabilities = new Set(
      ALL_CAPABILITIES.filter((c) => !options.disable?.includes(c) && (lstmFits || !c.startsWith('lstm'))),
    );
    this.pool = new BufferPool(device, options.maxPooledBytes ?? 256 * 2 ** 20);
    this.maxBatch = options.maxBatch ?? 128;
    this.errorWords = device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    void device.lost.then((info) => {
      if (!this.disposed) this.lostReason = `${info.reason}${info.message ? `: ${info.message}` : ''}`;
    });
    device.onuncapturederror = (ev: GPUUncapturedErrorEvent) => {
      this.gpuError ??= ev.error.message;
    };
  }

  alloc(dtype: DType, numel: number): BufferId {
    this.assertUsable('alloc');
    if (!Number.isSafeInteger(numel) || numel < 0) throw new BackendError(`webgpu.alloc: element count ${numel}; expected a non-negative integer`);
    const bytes = Math.max(4, numel * 4);
    const max = this.device.limits.maxStorageBufferBindingSize;
    if (bytes > max) throw new BackendError(`webgpu.alloc: ${numel} elements need ${bytes} bytes; this device binds at most ${max} bytes per buffer`);
    const id = this.nextId++ as BufferId;
    this.slots.set(id, { buffer: this.pool.acquire(bytes), dtype, numel, refs: 1 });
    this.liveBytes += numel * itemSize(dtype);
    return id;
  }

  incRef(buffer: BufferId): void {
    this.slot(buffer, 'incRef').refs++;
  }

  decRef(buffer: BufferId): void {
    const s = this.slot(buffer, 'decRef');
    if (--s.refs === 0) {
      this.slots.delete(buffer);
      this.liveBytes -= s.numel * itemSize(s.dtype);
      if (!this.disposed) this.pool.release(s.buffer);
    }
  }

  write(buffer: BufferId, data: HostArray, offset = 0): void {
    this.assertUsable('write');
    const s = this.slot(buffer, 'write');
    if (!Number.isSafeInteger(offset) || offset < 0 || offset + data.length > s.numel) {
      throw new BackendError(`webgpu.write: ${data.length} values at offset ${offset} overflow a buffer of ${s.numel}`);
    }
    if (data.length === 0) return;
    // queue.writeBuffer runs before the commands still being recorded: submit them first if they touch this buffer.
    if (this.usedInPending.has(s.buffer)) this.flush();
    const device = s.dtype === 'float32' ? (data instanceof Float32Array ? data : Float32Array.from(data)) : data instanceof Int32Array ? data : Int32Array.from(data);
    this.device.queue.writeBuffer(s.buffer, offset * 4, device.buffer, device.byteOffset, device.byteLength);
    if (s.dtype !== 'float32') {
      if (offset === 0 && data.length === s.numel && s.numel <= SHADOW_LIMIT) s.host = Int32Array.from(device);
      else delete s.host;
    }
  }

  async read(buffer: BufferId): Promise<HostArray> {
    this.assertUsable('read');
    const s = this.slot(buffer, 'read');
    const bytes = Math.max(4, s.numel * 4);
    const staging = this.device.createBuffer({ size: bytes + 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    try {
      this.endPass();
      const enc = this.ensureEncoder();
      enc.copyBufferToBuffer(s.buffer, 0, staging, 0, bytes);
      enc.copyBufferToBuffer(this.errorWords, 0, staging, bytes, 16);
      this.flush();
      try {
        await staging.mapAsync(GPUMapMode.READ);
      } catch (e) {
        this.assertUsable('read');
        throw new BackendError(`webgpu.read: mapAsync failed: ${e instanceof Error ? e.message : String(e)}`);
      }
      this.throwGpuError('read');
      const mapped = staging.getMappedRange();
      const raw = mapped.slice(0, s.numel * 4);
      const errs = new Int32Array(mapped.slice(bytes, bytes + 16));
      staging.unmap();
      this.throwKernelError(errs);
      return fromDevice(s.dtype, raw);
    } finally {
      staging.destroy();
    }
  }

  run(call: KernelCall<KernelOp>): void {
    this.assertUsable(call.op);
    runKernel(call, this);
  }

  async sync(): Promise<void> {
    this.assertUsable('sync');
    const staging = this.device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    try {
      this.endPass();
      this.ensureEncoder().copyBufferToBuffer(this.errorWords, 0, staging, 0, 16);
      this.flush();
      await staging.mapAsync(GPUMapMode.READ);
      const errs = new Int32Array(staging.getMappedRange().slice(0));
      staging.unmap();
      this.assertUsable('sync');
      this.throwGpuError('sync');
      this.throwKernelError(errs);
    } finally {
      staging.destroy();
    }
  }

  memory(): { buffers: number; bytes: number } {
    return { buffers: this.slots.size, bytes: this.liveBytes };
  }

  /** Buffer pool counters (pooled buffers stay bounded across a training loop). */
  poolStats(): PoolStats {
    return this.pool.stats();
  }

  /** Compiled pipelines held in the cache. */
  pipelineCount(): number {
    return this.pipelines.size;
  }

  [Symbol.dispose](): void {
    if (this.disposed) return;
    try {
      if (!this.lostReason) this.flush();
    } catch {
      // disposing must not throw
    }
    this.disposed = true;
    for (const s of this.slots.values()) s.buffer.destroy();
    this.slots.clear();
    this.liveBytes = 0;
    this.pool.clear();
    for (const b of this.metaCache.values()) b.destroy();
    this.errorWords.destroy();
    this.metaCache.clear();
    this.pipelines.clear();
    this.device.destroy();
  }

  // ---- Dispatcher (used by the kernels) ----

  /** The host copy of an integer buffer, when it was written whole from the host and is small. */
  hostCopy(buffer: BufferId): Int32Array | undefined {
    return this.slot(buffer, 'hostCopy').host;
  }

  dispatch(code: string, meta: readonly number[], buffers: readonly BufferId[], threads: number, options: DispatchOptions = {}): void {
    const groups = options.grid ? options.grid[0] * options.grid[1] * options.grid[2] : options.workgroups ?? Math.ceil(threads / (options.workgroupSize ?? WG));
    if (groups === 0) return;
    const { pipeline, layout } = this.pipeline(code);
    const gpuBuffers = buffers.map((b) => this.slot(b, 'dispatch').buffer);
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: this.metaBuffer(meta) } }];
    gpuBuffers.forEach((b, i) => entries.push({ binding: i + 1, resource: { buffer: b } }));
    if (options.errors) entries.push({ binding: gpuBuffers.length + 1, resource: { buffer: this.errorWords } });
    const bindGroup = this.device.createBindGroup({ layout, entries });
    const pass = this.ensurePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    if (options.grid) {
      pass.dispatchWorkgroups(...options.grid);
    } else {
      const x = Math.min(groups, 65535);
      pass.dispatchWorkgroups(x, Math.ceil(groups / x));
    }
    for (const b of gpuBuffers) this.usedInPending.add(b);
    if (++this.pending >= this.maxBatch) this.flush();
  }

  clear(buffer: BufferId): void {
    const b = this.slot(buffer, 'clear').buffer;
    this.endPass();
    this.ensureEncoder().clearBuffer(b);
    this.usedInPending.add(b);
  }

  // ---- internals ----

  private pipeline(code: string): { pipeline: GPUComputePipeline; layout: GPUBindGroupLayout } {
    let p = this.pipelines.get(code);
    if (!p) {
      const module = this.device.createShaderModule({ code });
      const pipeline = this.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
      p = { pipeline, layout: pipeline.getBindGroupLayout(0) };
      this.pipelines.set(code, p);
    }
    return p;
  }

  /** Meta buffers are immutable and cached by content: training loops repeat the same shapes every step. */
  private metaBuffer(meta: readonly number[]): GPUBuffer {
    const key = meta.join(',');
    const hit = this.metaCache.get(key);
    if (hit) {
      // refresh its place in the LRU order
      this.metaCache.delete(key);
      this.metaCache.set(key, hit);
      return hit;
    }
    const b = this.device.createBuffer({ size: Math.max(16, meta.length * 4), usage: GPUBufferUsage.STORAGE, mappedAtCreation: true });
    const view = new Int32Array(b.getMappedRange());
    for (let i = 0; i < meta.length; i++) {
      const v = meta[i]!;
      if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 32) throw new BackendError(`webgpu: shape, stride or offset ${v} does not fit in 32 bits`);
      view[i] = v | 0;
    }
    b.unmap();
    this.metaCache.set(key, b);
    this.usedInPending.add(b);
    return b;
  }

  private ensureEncoder(): GPUCommandEncoder {
    return (this.encoder ??= this.device.createCommandEncoder());
  }

  private ensurePass(): GPUComputePassEncoder {
    return (this.pass ??= this.ensureEncoder().beginComputePass());
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = undefined;
  }

  /** Submits the recorded commands; released buffers become reusable and the meta cache is trimmed. */
  private flush(): void {
    this.endPass();
    if (this.encoder) {
      this.device.queue.submit([this.encoder.finish()]);
      this.encoder = undefined;
    }
    this.pending = 0;
    this.usedInPending.clear();
    this.pool.recycle();
    while (this.metaCache.size > META_CACHE_LIMIT) {
      const [key, b] = this.metaCache.entries().next().value as [string, GPUBuffer];
      this.metaCache.delete(key);
      b.destroy();
    }
  }

  private slot(buffer: BufferId, where: string): Slot {
    const s = this.slots.get(buffer);
    if (!s) throw new BackendError(`webgpu.${where}: buffer ${buffer} does not exist (freed already?)`);
    return s;
  }

  private assertUsable(where: string): void {
    if (this.lostReason !== undefined) throw new BackendError(`webgpu.${where}: the GPU device was lost (${this.lostReason}); create a new runtime/backend`);
    if (this.disposed) throw new BackendError(`webgpu.${where}: the backend was disposed`);
  }

  /** Throws (once) the first invalid-data error a kernel recorded, and clears the error words. */
  private throwKernelError(errs: Int32Array): void {
    const code = errs[0]!;
    if (code === 0) return;
    this.device.queue.writeBuffer(this.errorWords, 0, new Int32Array(4));
    const op = KERNEL_ERRORS[code] ?? `kernel ${code}`;
    throw new ValueError(`${op}: index ${errs[1]} (computed on the GPU) is out of range; expected an integer in [0, ${errs[2]}). Results read since then are invalid.`);
  }

  private throwGpuError(where: string): void {
    const e = this.gpuError;
    if (e !== undefined) {
      this.gpuError = undefined;
      throw new BackendError(`webgpu.${where}: a GPU command failed: ${e}`);
    }
  }
}

function fromDevice(dtype: DType, raw: ArrayBuffer): HostArray {
  switch (dtype) {
    case 'float32': return new Float32Array(raw);
    case 'int32': return new Int32Array(raw);
    case 'int8': return Int8Array.from(new Int32Array(raw));
    case 'uint8': case 'bool': return Uint8Array.from(new Int32Array(raw));
  }
}
