/// <reference types="@webgpu/types" />
import { BackendError } from '@nibble/core';
import type { Availability, BackendFactory } from '@nibble/core/spi';
import { WebGpuBackend, type WebGpuBackendOptions } from './backend.ts';
import { findAdapter } from './gpu.ts';

export { WebGpuBackend, type WebGpuBackendOptions } from './backend.ts';
export type { PoolStats } from './buffer-pool.ts';

/** Options of {@link webgpuFactory}. */
export interface WebGpuFactoryOptions extends WebGpuBackendOptions {
  /** Passed to `requestAdapter` (e.g. `{ powerPreference: 'high-performance' }`). */
  adapter?: GPURequestAdapterOptions;
}

/** A {@link BackendFactory} whose `create` resolves to the concrete {@link WebGpuBackend} (pool stats, device). */
export interface WebGpuFactory extends BackendFactory {
  create(): Promise<WebGpuBackend>;
}

/** Limits worth raising above the WebGPU defaults when the adapter offers more. */
const RAISED_LIMITS = [
  'maxStorageBuffersPerShaderStage',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupsPerDimension',
] as const;

/**
 * A WebGPU backend factory. In browsers it uses `navigator.gpu`; in Node it loads the optional `webgpu` package
 * (Dawn) on first use. `isAvailable()` never throws: without WebGPU it answers `{ ok: false, reason }`.
 *
 * @example
 * ```ts
 * import { createRuntime, tensor } from '@nibble/core';
 * import { webgpu } from '@nibble/backend-webgpu';
 * const rt = createRuntime({ backends: [webgpu] });
 * if ((await rt.isAvailable('webgpu')).ok) {
 *   await rt.use('webgpu');
 *   console.log(await tensor([1, 2, 3], { runtime: rt }).add(1).data()); // Float32Array [2, 3, 4]
 * }
 * ```
 */
export function webgpuFactory(options: WebGpuFactoryOptions = {}): WebGpuFactory {
  const name = options.name ?? 'webgpu';
  return {
    name,
    priority: 20,
    async isAvailable(): Promise<Availability> {
      try {
        const found = await findAdapter(options.adapter);
        return 'reason' in found ? { ok: false, reason: found.reason } : { ok: true };
      } catch (e) {
        return { ok: false, reason: e instanceof Error ? e.message : String(e) };
      }
    },
    async create(): Promise<WebGpuBackend> {
      const found = await findAdapter(options.adapter);
      if ('reason' in found) throw new BackendError(`webgpu.create: no WebGPU adapter: ${found.reason}`);
      const { adapter } = found;
      const requiredLimits: Record<string, number> = {};
      for (const k of RAISED_LIMITS) {
        const v = adapter.limits[k];
        if (typeof v === 'number') requiredLimits[k] = v;
      }
      let device: GPUDevice;
      try {
        device = await adapter.requestDevice({ requiredLimits });
      } catch (e) {
        throw new BackendError(`webgpu.create: requestDevice failed: ${e instanceof Error ? e.message : String(e)}`);
      }
      const info = (adapter as { info?: { architecture?: string; description?: string; isFallbackAdapter?: boolean } }).info;
      const adapterInfo: { architecture?: string; isFallbackAdapter?: boolean } = {};
      const arch = `${info?.architecture ?? ''} ${info?.description ?? ''}`.trim();
      if (arch) adapterInfo.architecture = arch;
      if (info?.isFallbackAdapter !== undefined) adapterInfo.isFallbackAdapter = info.isFallbackAdapter;
      return new WebGpuBackend(device, [adapter], options, adapterInfo);
    },
  };
}

/** The WebGPU backend factory with default options: register it with a runtime. */
export const webgpu: WebGpuFactory = webgpuFactory();
