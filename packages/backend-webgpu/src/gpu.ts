/// <reference types="@webgpu/types" />
/**
 * Finds a `GPU` object: `navigator.gpu` in browsers (and in runtimes that ship WebGPU), else the `webgpu` npm package
 * (Dawn) in Node, loaded with a dynamic import so browsers and CPU-only users never load it.
 */

/** Where the GPU object came from, for messages. */
export interface GpuSource {
  readonly gpu: GPU;
  readonly origin: 'navigator.gpu' | 'webgpu (Dawn)';
}

// Dawn destroys its instance when the object returned by `create()` is collected, and a device that outlives its
// instance crashes the process at garbage collection. Module scope keeps it alive for the life of the process.
let dawnGpu: GPU | undefined;
let dawnError: string | undefined;

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

/** Loads `webgpu` (Dawn) once; undefined with a reason when it cannot be loaded. */
async function loadDawn(): Promise<GPU | undefined> {
  if (dawnGpu || dawnError) return dawnGpu;
  try {
    // A variable specifier keeps bundlers from pulling Dawn into browser bundles.
    const specifier = 'webgpu';
    const mod = (await import(/* @vite-ignore */ specifier)) as {
      create(flags: string[]): GPU;
      globals: Record<string, unknown>;
    };
    // GPUBufferUsage, GPUMapMode, ... are globals in browsers; Dawn exports them.
    for (const [k, v] of Object.entries(mod.globals)) {
      if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
    }
    dawnGpu = mod.create([]);
  } catch (e) {
    dawnError = `the 'webgpu' package (Dawn for Node) could not be loaded: ${e instanceof Error ? e.message : String(e)}`;
  }
  return dawnGpu;
}

/** The GPU object of this environment, or the reason there is none. */
export async function findGpu(): Promise<GpuSource | { reason: string }> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return { gpu: nav.gpu, origin: 'navigator.gpu' };
  if (!isNode()) return { reason: 'navigator.gpu is undefined (this browser has no WebGPU, or it is disabled)' };
  const gpu = await loadDawn();
  if (!gpu) return { reason: dawnError ?? 'the webgpu package gave no GPU object' };
  return { gpu, origin: 'webgpu (Dawn)' };
}

/** Requests an adapter, turning a null adapter or a thrown error into a reason. */
export async function findAdapter(options?: GPURequestAdapterOptions): Promise<{ adapter: GPUAdapter; origin: string } | { reason: string }> {
  const src = await findGpu();
  if ('reason' in src) return src;
  try {
    const adapter = await src.gpu.requestAdapter(options);
    if (!adapter) {
      const hint = src.origin === 'webgpu (Dawn)'
        ? ' (no Vulkan driver? On Debian run tools/setup-webgpu.sh and set VK_ICD_FILENAMES to the path it prints)'
        : '';
      return { reason: `${src.origin}: requestAdapter() returned null${hint}` };
    }
    return { adapter, origin: src.origin };
  } catch (e) {
    return { reason: `${src.origin}: requestAdapter() failed: ${e instanceof Error ? e.message : String(e)}` };
  }
}
