// Measures the machine's limits in the same run as the bench: FMA peak and DRAM read bandwidth, by compiling
// probe.cpp with the host's g++ (-O3 -march=native) and running it as a child process. The binary is cached under
// apps/bench/.cache, keyed by the source, the compiler version and the CPU model.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Limits measured by the probe. */
export interface MachineLimits {
  /** SIMD width the probe was compiled for. */
  readonly vectorBits: number;
  /** Threads used for the "all" figures (= logical CPUs). */
  readonly threads: number;
  /** fp32 FMA peak of one thread, GFLOP/s. */
  readonly fmaGflops1: number;
  /** fp32 FMA peak of all threads together, GFLOP/s. */
  readonly fmaGflopsAll: number;
  /** Read bandwidth of one thread from DRAM, GB/s (1e9 bytes). */
  readonly readGBs1: number;
  /** Read bandwidth of all threads together, GB/s. */
  readonly readGBsAll: number;
  /** `g++ --version` first line. */
  readonly compiler: string;
  /** Whether the probe binary came from the cache (no compile in this run). */
  readonly cached: boolean;
}

/** Probe outcome: the limits, or why they could not be measured (the report then omits "% of peak"). */
export type MachineProbeResult = { readonly ok: true; readonly limits: MachineLimits } | { readonly ok: false; readonly reason: string };

// Resolved from the package root so the compiled dist/machine/machine-probe.js finds the source too.
const SOURCE = fileURLToPath(new URL('../../src/machine/probe.cpp', import.meta.url));
/** Default cache directory: apps/bench/.cache (gitignored). */
export const DEFAULT_CACHE_DIR = fileURLToPath(new URL('../../.cache', import.meta.url));

async function compilerVersion(): Promise<string | undefined> {
  try {
    const { stdout } = await run('g++', ['--version']);
    return stdout.split('\n')[0]?.trim();
  } catch {
    return undefined;
  }
}

/**
 * Compiles (or reuses) and runs the probe.
 *
 * @example
 * const probe = await probeMachine();
 * if (probe.ok) console.log(probe.limits.fmaGflopsAll);
 */
export async function probeMachine(cacheDir: string = DEFAULT_CACHE_DIR): Promise<MachineProbeResult> {
  const compiler = await compilerVersion();
  if (compiler === undefined) {
    return { ok: false, reason: 'g++ not found on PATH: machine limits not measured (install g++ to get % of peak)' };
  }
  const source = readFileSync(SOURCE);
  const key = createHash('sha256')
    .update(source)
    .update(compiler)
    .update(cpus()[0]?.model ?? 'unknown-cpu')
    .digest('hex')
    .slice(0, 16);
  const binary = join(cacheDir, `machine-probe-${key}`);
  const cached = existsSync(binary);
  try {
    if (!cached) {
      mkdirSync(cacheDir, { recursive: true });
      await run('g++', ['-O3', '-march=native', '-std=c++17', '-pthread', '-o', binary, SOURCE]);
    }
    const { stdout } = await run(binary, [String(cpus().length)], { timeout: 60_000 });
    const parsed = JSON.parse(stdout) as Omit<MachineLimits, 'compiler' | 'cached'>;
    return { ok: true, limits: { ...parsed, compiler, cached } };
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n').slice(0, 3).join(' ') : String(err);
    return { ok: false, reason: `machine probe failed: ${message}` };
  }
}
