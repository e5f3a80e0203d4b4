import type { DType, HostArray } from '../dtype.ts';
import type { BufferId, Capability, KernelCall, KernelOp } from './ops.ts';

/**
 * What a backend implements. Buffers are reference counted by core: a backend frees a buffer when its count drops
 * to zero. `alloc` receives the dtype and element count (not bytes) so GPU backends can pick their own storage.
 *
 * @example
 * ```ts
 * const b = await cpu.create();
 * const id = b.alloc('float32', 3);
 * b.write(id, new Float32Array([1, 2, 3]));
 * console.log(b.readSync?.(id));
 * b.decRef(id);
 * ```
 */
export interface Backend extends Disposable {
  readonly name: string;
  readonly capabilities: ReadonlySet<Capability>;
  alloc(dtype: DType, numel: number): BufferId;
  incRef(buffer: BufferId): void;
  decRef(buffer: BufferId): void;
  /** Writes host data at element offset `offset` (default 0). */
  write(buffer: BufferId, data: HostArray, offset?: number): void;
  /**
   * Reads the whole buffer back to the host, into a new array that the caller owns: the backend keeps no reference
   * to it, so neither a later kernel, write or reuse of the buffer's memory changes it, and the caller may modify it.
   * Core hands that array to the user without copying it again.
   */
  read(buffer: BufferId): Promise<HostArray>;
  /** Synchronous read, for backends that can (CPU); the result is owned by the caller as with {@link Backend.read}. */
  readSync?(buffer: BufferId): HostArray;
  /** Runs one kernel. Throwing leaves the output buffers allocated; core frees them. */
  run(call: KernelCall<KernelOp>): void;
  /** Resolves when every queued kernel has finished. */
  sync(): Promise<void>;
  memory(): { buffers: number; bytes: number };
}

/** Result of {@link BackendFactory.isAvailable}. */
export type Availability = { ok: true } | { ok: false; reason: string };

/** Registers a backend with a runtime: creation is deferred until the runtime needs it. */
export interface BackendFactory {
  readonly name: string;
  /** Higher wins when the runtime picks a default backend. */
  readonly priority: number;
  isAvailable(): Promise<Availability>;
  create(): Promise<Backend>;
  /** Synchronous creation, when the backend needs no asynchronous setup (CPU). */
  createSync?(): Backend;
}
