/// <reference types="@webgpu/types" />

/** Counters of a {@link BufferPool}, for leak checks and benchmarks. */
export interface PoolStats {
  /** Buffers waiting in the pool for reuse. */
  readonly pooledBuffers: number;
  /** Bytes of those buffers. */
  readonly pooledBytes: number;
  /** GPU buffers created since the start (a flat count in a steady training loop means the pool works). */
  readonly created: number;
  /** Buffers destroyed because the pool was full. */
  readonly destroyed: number;
}

const MIN_CLASS = 256;

/** Size class of a request: the next power of two (at least 256 bytes), so a freed buffer fits many later requests. */
export function sizeClass(bytes: number): number {
  let c = MIN_CLASS;
  while (c < bytes) c *= 2;
  return c;
}

/**
 * Storage buffers pooled by size class. `release` does not make a buffer reusable at once: commands recorded but not
 * yet submitted may still use it, so released buffers wait until {@link BufferPool.recycle} (called after each
 * submit). The pool is bounded in bytes; past the bound, released buffers are destroyed.
 */
export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  private waiting: GPUBuffer[] = [];
  private pooledBytes = 0;
  private created = 0;
  private destroyed = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly maxPooledBytes: number,
  ) {}

  /** A buffer of at least `bytes` bytes (its size is the size class). */
  acquire(bytes: number): GPUBuffer {
    const cls = sizeClass(bytes);
    const list = this.free.get(cls);
    const reused = list?.pop();
    if (reused) {
      this.pooledBytes -= cls;
      return reused;
    }
    this.created++;
    return this.device.createBuffer({
      size: cls,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
  }

  /** Gives a buffer back; it becomes reusable after the next {@link recycle}. */
  release(buffer: GPUBuffer): void {
    this.waiting.push(buffer);
  }

  /** Moves released buffers into the pool (after the commands that used them were submitted). */
  recycle(): void {
    const w = this.waiting;
    this.waiting = [];
    for (const b of w) {
      const cls = b.size;
      if (this.pooledBytes + cls > this.maxPooledBytes) {
        b.destroy();
        this.destroyed++;
        continue;
      }
      let list = this.free.get(cls);
      if (!list) this.free.set(cls, (list = []));
      list.push(b);
      this.pooledBytes += cls;
    }
  }

  stats(): PoolStats {
    let n = 0;
    for (const l of this.free.values()) n += l.length;
    return { pooledBuffers: n, pooledBytes: this.pooledBytes, created: this.created, destroyed: this.destroyed };
  }

  /** Destroys every pooled and waiting buffer. */
  clear(): void {
    for (const l of this.free.values()) for (const b of l) b.destroy();
    for (const b of this.waiting) b.destroy();
    this.free.clear();
    this.waiting = [];
    this.pooledBytes = 0;
  }
}
