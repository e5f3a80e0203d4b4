/**
 * @nibble/backend-cpu in Node: everything of the browser entry, plus `cpuNative` (the same backend with the C++
 * kernels when the addon is built) and the native kernels themselves.
 *
 * @example
 * ```ts
 * import { defaultRuntime, tensor } from '@nibble/core';
 * import { cpuNative, nativeUnavailableReason } from '@nibble/backend-cpu';
 * defaultRuntime.register(cpuNative);
 * console.log(nativeUnavailableReason() ?? 'native kernels on');
 * ```
 */
export * from './index.ts';
export { NativeCpuBackend, cpuNative, nativeFactory, nativeUnavailableReason } from './native-backend.ts';
export * as native from './native/index.ts';
