import type { BufferId } from '@nibble/core/spi';

/** Options of {@link Dispatcher.dispatch}. */
export interface DispatchOptions {
  workgroupSize?: number;
  workgroups?: number;
  /** An explicit 3-D grid of workgroups (each at most 65535), instead of `threads` / `workgroups`. */
  grid?: readonly [number, number, number];
  errors?: boolean;
}

/** Kernel choices the backend makes from the adapter (or its options). */
export interface Tuning {
  /** Workgroup-tiled matmul (real GPUs) instead of the register-blocked one (software adapters). */
  readonly tiledMatmul: boolean;
}

/** Error codes kernels write into the error words: word 0 = code, word 1 = offending value, word 2 = valid bound. */
export const KERNEL_ERRORS: Record<number, string> = { 1: 'gather', 2: 'scatterAdd' };

/** WGSL declaration of the error words at `binding`, and a function that records the first error. */
export function errorBindingDecl(binding: number): string {
  return `@group(0) @binding(${binding}) var<storage, read_write> errs: array<atomic<i32>, 4>;
fn report_error(code: i32, value: i32, bound: i32) {
  if (atomicCompareExchangeWeak(&errs[0], 0, code).exchanged) { atomicStore(&errs[1], value); atomicStore(&errs[2], bound); }
}`;
}

/** What kernels need from the backend: queue one compute dispatch, or clear a buffer, in the current command encoder. */
export interface Dispatcher {
  /**
   * Queues `code` (a WGSL compute shader with entry point `main`) with `meta` (i32 values) at binding 0 and `buffers`
   * at bindings 1.. in order. `threads` threads in workgroups of the shader's size (`workgroupSize`, default 256), or
   * exactly `workgroups` workgroups when given. With `errors`, the backend's error words are bound after `buffers`
   * (see {@link ERROR_BINDING_DECL}): a kernel that meets invalid data computed on the GPU records it there, and the
   * next read or sync throws.
   */
  dispatch(code: string, meta: readonly number[], buffers: readonly BufferId[], threads: number, options?: DispatchOptions): void;
  /** Queues a fill of the whole buffer with zero bytes. */
  clear(buffer: BufferId): void;
  /** Host copy of a small integer buffer written whole from the host, if the backend kept one. */
  hostCopy(buffer: BufferId): Int32Array | undefined;
  readonly tuning: Tuning;
}
