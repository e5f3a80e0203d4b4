// Process-wide settings of the native kernels: thread count, instruction set, scratch memory.
import type { NativeInfo } from './addon-types.js';
import { dim } from './checks.js';
import { NativeArgumentError } from './errors.js';
import { requireAddon } from './loader.js';

/** Current ISA, thread count and micro-kernel shape of the native kernels. */
export function nativeInfo(): NativeInfo {
  return requireAddon('nativeInfo').info();
}

/**
 * Sets how many threads (including the caller) the native kernels use; returns the new count.
 *
 * @example
 * ```ts
 * setNativeThreads(1); // single-threaded, e.g. for a benchmark row
 * ```
 */
export function setNativeThreads(threads: number): number {
  return requireAddon('setNativeThreads').setThreads(dim('setNativeThreads', 'threads', threads, 1));
}

/** Forces the 'avx512' | 'avx2' | 'baseline' kernels (for tests and benchmarks); throws if the CPU lacks it. */
export function setNativeIsa(isa: NativeInfo['isa']): void {
  const addon = requireAddon('setNativeIsa');
  if (!['avx512', 'avx2', 'baseline'].includes(isa) || !addon.setIsa(isa)) {
    throw new NativeArgumentError(`setNativeIsa: ${String(isa)} is not supported here; expected one of ${addon.info().supportedIsas.join(', ')}`);
  }
}

/** Bytes of native scratch memory held (packed panels, LSTM buffers). JS-visible memory is never native-owned. */
export function nativeScratchBytes(): number {
  return requireAddon('nativeScratchBytes').scratchBytes();
}

/** Frees the native scratch memory; the next kernel call allocates what it needs again. */
export function releaseNativeScratch(): void {
  requireAddon('releaseNativeScratch').releaseScratch();
}
