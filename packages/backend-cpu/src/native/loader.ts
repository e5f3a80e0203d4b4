// Finds and loads the compiled addon. Never throws: a missing or broken build becomes `{ ok: false, reason }`,
// with the reason recorded by native/build-addon.mjs at install time when there is one.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

import type { NativeAddon, NativeInfo } from './addon-types.js';
import { NativeUnavailableError } from './errors.js';

/** Result of loading the native kernels. */
export type NativeLoadResult =
  | { readonly ok: true; readonly info: NativeInfo; readonly path: string }
  | { readonly ok: false; readonly reason: string };

/** Options for {@link loadNative}; the defaults find the addon built by the package's install script. */
export interface LoadNativeOptions {
  /** Path of a `.node` file to load instead of `native/build/Release/nibble_cpu.node`. */
  readonly path?: string;
  /** Environment to read `NIBBLE_NATIVE` from (`'0'` disables the addon); defaults to `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

const nativeDir = fileURLToPath(new URL('../../native/', import.meta.url));
const defaultAddonPath = `${nativeDir}build/Release/nibble_cpu.node`;
const buildStatusPath = `${nativeDir}build/status.json`;

function buildFailureReason(): string | undefined {
  if (!existsSync(buildStatusPath)) return undefined;
  try {
    const status = JSON.parse(readFileSync(buildStatusPath, 'utf8')) as { ok?: boolean; reason?: string };
    return status.ok === false && typeof status.reason === 'string' ? status.reason : undefined;
  } catch {
    return undefined;
  }
}

function isNativeAddon(value: unknown): value is NativeAddon {
  return typeof value === 'object' && value !== null && typeof (value as { sgemm?: unknown }).sgemm === 'function';
}

let cached: { result: NativeLoadResult; addon: NativeAddon | undefined } | undefined;

function load(options: LoadNativeOptions): { result: NativeLoadResult; addon: NativeAddon | undefined } {
  const env = options.env ?? process.env;
  if (env['NIBBLE_NATIVE'] === '0') {
    return { result: { ok: false, reason: 'disabled by the environment variable NIBBLE_NATIVE=0' }, addon: undefined };
  }
  const path = options.path ?? defaultAddonPath;
  if (!existsSync(path)) {
    const why = options.path === undefined ? buildFailureReason() : undefined;
    const reason =
      why !== undefined
        ? `the addon failed to build at install time: ${why}`
        : `addon file not found at ${path} (build it with \`pnpm --filter @nibble/backend-cpu run build:native\`)`;
    return { result: { ok: false, reason }, addon: undefined };
  }
  try {
    const addon: unknown = createRequire(import.meta.url)(path);
    if (!isNativeAddon(addon)) {
      return { result: { ok: false, reason: `${path} is not the nibble CPU addon (no sgemm export)` }, addon: undefined };
    }
    return { result: { ok: true, info: addon.info(), path }, addon };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { result: { ok: false, reason: `loading ${path} failed: ${message}` }, addon: undefined };
  }
}

/**
 * Loads the native kernels once (later calls return the cached result) and reports whether they are usable.
 * Pass `options` to probe another path or environment without touching the cache.
 *
 * @example
 * ```ts
 * const native = loadNative();
 * if (!native.ok) console.warn(`using TypeScript kernels: ${native.reason}`);
 * ```
 */
export function loadNative(options?: LoadNativeOptions): NativeLoadResult {
  if (options !== undefined) return load(options).result;
  cached ??= load({});
  return cached.result;
}

/** True when the native kernels loaded (see {@link loadNative} for the reason when not). */
export function isNativeAvailable(): boolean {
  return loadNative().ok;
}

/** The raw addon for the typed wrappers; throws {@link NativeUnavailableError} naming the caller and the reason. */
export function requireAddon(functionName: string): NativeAddon {
  const result = loadNative();
  if (!result.ok || cached?.addon === undefined) {
    throw new NativeUnavailableError(functionName, result.ok ? 'unknown' : result.reason);
  }
  return cached.addon;
}
