/**
 * @nibble/quant-testkit — conformance suites for nibble quantizer plugins (vitest + fast-check): every invariant of
 * the quantizer spec a plugin's declarations imply, each test named after its spec section, plus property-test
 * helpers.
 *
 * @example
 * ```ts
 * import { describeQuantizerConformance } from '@nibble/quant-testkit';
 * describeQuantizerConformance(myPlugin, { config: (bits) => ({ bits }), bits: [2, 4, 8], grid: 'uniform', gradient: 'ste-identity', exportable: true });
 * ```
 */
export { describeQuantizerConformance, type QuantizerConformanceOptions, type GradientRule, type LsqSurrogateOptions } from './conformance.ts';
export { arbTensor, arbWeight, specTensor, type ArbTensorOptions, type TensorSpec } from './arbitraries.ts';
export { dequantize } from './dequantize.ts';
