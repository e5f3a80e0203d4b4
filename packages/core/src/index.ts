/**
 * @nibble/core — tensors with strided views, autograd, the backend SPI, counter-based RNG and safetensors I/O.
 *
 * @example
 * ```ts
 * import { defaultRuntime, tensor, valueAndGrad } from '@nibble/core';
 * import { cpu } from '@nibble/backend-cpu';
 * defaultRuntime.register(cpu);
 * const w = tensor([0.5, -1]);
 * const { value, grads: [gw] } = valueAndGrad((w) => w.square().sum())(w);
 * ```
 */
export * from './errors.ts';
export * from './dtype.ts';
export * from './shape.ts';
export { Tensor, type NestedArray } from './tensor.ts';
export { Runtime, createRuntime, defaultRuntime, type MemoryInfo } from './runtime/runtime.ts';
export { scope, scopeAsync, keep } from './memory/scope.ts';
export { enableLeakDetector, disableLeakDetector, type LeakReport } from './memory/leaks.ts';
export { noGrad } from './autograd/tape.ts';
export { stopGradient } from './autograd/stop.ts';
export { grad, valueAndGrad, vjp, customVjp, type TensorTree, type ValueAndGrad, type VjpResult } from './autograd/api.ts';
export { vjpRules, unbroadcast, type VjpRule, type VjpTable, type VjpContext } from './autograd/vjp.ts';
export * from './ops/index.ts';
export { bind } from './ops/bind.ts';
export { philoxWords, philoxUniform } from './rng/stream.ts';
export type { RngKey, PackedWeights, Capability, KernelOp, GradOp } from './spi/ops.ts';
export { CAPABILITY_LIST } from './spi/ops.ts';
export {
  encodeSafetensors, decodeSafetensors, decodeSafetensorsHeader, safetensorsTypedArray, SAFETENSORS_DTYPES,
  type SafetensorsDType, type SafetensorsEntry, type SafetensorsEntries, type SafetensorsTensor, type DecodedSafetensors,
} from './io/safetensors.ts';
export { SafetensorsError } from './io/errors.ts';
export { RngError, philox4x32, bitsToUniform } from './rng/philox.ts';
/**
 * Host-side draws from the same Philox streams (typed arrays, no tensors): for data shuffling and initialization on
 * the host. The tensor ops (`randomUniform`, `randomNormal`, ...) define the per-backend layouts.
 */
export * as hostRandom from './rng/distributions.ts';
