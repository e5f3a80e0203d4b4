// Machine-limit measurements for benchmarks: FMA throughput and read bandwidth, plus the system OpenBLAS as a peer.
import type { OpenBlasLoadInfo } from './addon-types.js';
import { dim, float32, exactLength } from './checks.js';
import { requireAddon } from './loader.js';

/**
 * Measured fp32 FMA throughput in FLOP/s on `threads` threads (independent FMA chains in registers, the active ISA).
 *
 * @example
 * ```ts
 * const peak = measureFmaPeak(1); // ≈ 1.15e11 on one Zen 4 core with AVX-512
 * ```
 */
export function measureFmaPeak(threads: number, iterations = 50_000_000): number {
  const fn = 'measureFmaPeak';
  return requireAddon(fn).fmaPeak(dim(fn, 'iterations', iterations, 1), dim(fn, 'threads', threads, 1));
}

/**
 * Best-of-`repeats` read-only bandwidth in bytes/s over a native buffer of `bytes` (freed afterwards), split over
 * `threads` threads (STREAM-style "read" kernel: a vectorized sum).
 *
 * @example
 * ```ts
 * const gbs = measureReadBandwidth(256 << 20, 5, 2) / 1e9;
 * ```
 */
export function measureReadBandwidth(bytes: number, repeats: number, threads: number): number {
  const fn = 'measureReadBandwidth';
  return requireAddon(fn).streamRead(dim(fn, 'bytes', bytes, 1024), dim(fn, 'repeats', repeats, 1), dim(fn, 'threads', threads, 1));
}

/** Loads the system OpenBLAS with dlopen for comparisons (default `libopenblas.so.0`); reports the kernel it picked. */
export function loadOpenBlas(path = 'libopenblas.so.0'): OpenBlasLoadInfo {
  return requireAddon('loadOpenBlas').openblasLoad(path);
}

/** Sets OpenBLAS's thread count (after {@link loadOpenBlas}). */
export function setOpenBlasThreads(threads: number): void {
  requireAddon('setOpenBlasThreads').openblasSetThreads(dim('setOpenBlasThreads', 'threads', threads, 1));
}

/** Row-major `c = a·b` through OpenBLAS's cblas_sgemm (after a successful {@link loadOpenBlas}). */
export function openBlasSgemm(a: Float32Array, b: Float32Array, c: Float32Array, m: number, k: number, n: number): void {
  const fn = 'openBlasSgemm';
  exactLength(fn, 'a', float32(fn, 'a', a), dim(fn, 'm', m) * dim(fn, 'k', k), `[${m}, ${k}]`);
  exactLength(fn, 'b', float32(fn, 'b', b), k * dim(fn, 'n', n), `[${k}, ${n}]`);
  exactLength(fn, 'c', float32(fn, 'c', c), m * n, `[${m}, ${n}]`);
  requireAddon(fn).openblasSgemm(m, n, k, a, b, c);
}
