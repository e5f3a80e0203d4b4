// Loads TensorFlow.js lazily (it is an optional peer: a missing install must skip its rows, not crash the bench)
// and switches it to one backend. tfjs keeps one global engine, so every tfjs target re-selects its backend before
// preparing a case.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { useSoftwareVulkanIfNoDriverChosen } from '../../machine/software-vulkan.js';

/** The tfjs namespace, as the union package exports it. */
export type Tf = typeof import('@tensorflow/tfjs');

/** The tfjs backends the bench knows. */
export type TfjsBackendName = 'cpu' | 'wasm' | 'webgpu' | 'tensorflow';

let tfPromise: Promise<Tf> | undefined;

/** Runs `fn` with console.warn / console.log muted: tfjs prints an install hint for tfjs-node on first use. */
export async function quietly<T>(fn: () => Promise<T>): Promise<T> {
  const { warn, log } = console;
  console.warn = () => {};
  console.log = () => {};
  try {
    return await fn();
  } finally {
    console.warn = warn;
    console.log = log;
  }
}

/** Imports @tensorflow/tfjs once. */
export function loadTf(): Promise<Tf> {
  tfPromise ??= quietly(() => import('@tensorflow/tfjs'));
  return tfPromise;
}

let wasmReady: Promise<void> | undefined;

/** Imports the wasm backend and points it at the .wasm files of its own dist directory. */
async function registerWasm(): Promise<void> {
  wasmReady ??= (async () => {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const require = createRequire(import.meta.url);
    const distDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
    wasm.setWasmPaths(`${distDir}/`);
  })();
  return wasmReady;
}

interface GpuLike {
  requestAdapter(): Promise<unknown>;
}

/**
 * Gives Node a `navigator.gpu` from Dawn (the npm package "webgpu") when it has none; returns undefined when
 * neither exists.
 */
async function nodeWebGpu(): Promise<GpuLike | undefined> {
  const nav = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator;
  if (nav?.gpu !== undefined) return nav.gpu;
  let dawn: { create(flags: string[]): GpuLike; globals: object };
  try {
    const specifier = 'webgpu'; // optional: a variable keeps tsc from needing its types (they pull in @webgpu/types)
    dawn = (await import(specifier)) as typeof dawn;
  } catch {
    return undefined;
  }
  useSoftwareVulkanIfNoDriverChosen();
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create([]);
  if (nav) Object.assign(nav, { gpu });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  return gpu;
}

/** Why WebGPU cannot run in this Node process, or undefined when an adapter exists. */
export async function webgpuUnavailableReason(): Promise<string | undefined> {
  const gpu = await nodeWebGpu();
  if (gpu === undefined) {
    return `no WebGPU in Node ${process.version}: globalThis.navigator.gpu is undefined and the "webgpu" package (Dawn) is not installed`;
  }
  const adapter = await gpu.requestAdapter();
  return adapter === null
    ? 'no WebGPU adapter: Dawn (npm "webgpu") found no usable Vulkan driver (no GPU, and no SwiftShader ICD: apt-get install chromium provides one)'
    : undefined;
}

/**
 * Loads tfjs and makes `backend` the active backend.
 *
 * @example
 * const tf = await useTfjsBackend('wasm');
 */
export async function useTfjsBackend(backend: TfjsBackendName): Promise<Tf> {
  const tf = await loadTf();
  if (backend === 'wasm') await registerWasm();
  if (backend === 'webgpu') await import('@tensorflow/tfjs-backend-webgpu');
  if (backend === 'tensorflow') {
    // Not a dependency (see tfjs-node-target.ts): a variable specifier keeps tsc from requiring its types.
    const specifier = '@tensorflow/tfjs-node';
    await quietly(() => import(specifier));
  }
  const ok = await quietly(() => tf.setBackend(backend));
  if (!ok || tf.getBackend() !== backend) {
    throw new Error(`useTfjsBackend: tf.setBackend('${backend}') failed (active backend: ${tf.getBackend()})`);
  }
  if (backend === 'cpu') {
    // The cpu backend prints a "install tfjs-node" banner on its first tensor; it would cut through the progress bar.
    (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  }
  return tf;
}
