// The last-level cache size (Linux sysfs) and how many copies of a weight set are needed so that cycling through
// them streams from DRAM instead of hitting the cache.
import { readFileSync } from 'node:fs';

const UNITS: Readonly<Record<string, number>> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/** Size of the largest CPU cache from /sys (Linux), or undefined elsewhere. */
export function lastLevelCacheBytes(): number | undefined {
  let best: number | undefined;
  for (let i = 0; i < 8; i++) {
    let text: string;
    try {
      text = readFileSync(`/sys/devices/system/cpu/cpu0/cache/index${i}/size`, 'utf8').trim();
    } catch {
      break;
    }
    const m = /^(\d+)([KMG]?)$/.exec(text);
    if (m) best = Math.max(best ?? 0, Number(m[1]) * (UNITS[m[2] ?? ''] ?? 1));
  }
  return best;
}

/** Fallback when the cache size is unknown: assume a 32 MiB last-level cache. */
const DEFAULT_LLC = 32 * 1024 ** 2;

/** Upper bound on copies: tiny weight sets (tests) would otherwise need thousands of sessions. */
const MAX_COPIES = 64;

/**
 * Copies of `bytes` of weights needed so that their total is at least twice the last-level cache (at most 64).
 *
 * @example
 * const copies = streamingCopies(8 * 2 ** 20); // 8 on a 32 MiB L3
 */
export function streamingCopies(bytes: number): number {
  return Math.min(MAX_COPIES, Math.max(1, Math.ceil((2 * (lastLevelCacheBytes() ?? DEFAULT_LLC)) / bytes)));
}
