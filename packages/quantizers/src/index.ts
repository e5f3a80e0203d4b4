/**
 * @nibble/quantizers — weight quantizer plugins for quantization-aware training and packed export: STE, LSQ/LSQ+,
 * Quant-Noise, Quant-Noisier, RAND and product quantization, behind one plugin SPI and a registry.
 *
 * @example
 * ```ts
 * import { defaultRuntime } from '@nibble/core';
 * import { defaultRegistry } from '@nibble/quantizers';
 * const q = defaultRegistry.create('ste', { bits: 4 }, { shape: w.shape, role: 'weight', runtime: defaultRuntime });
 * const wq = q.forward(w, { training: true, step: 0, epoch: 0, key: { seed: 0, stream: 1, counter: 0 } });
 * const packed = q.export(w);   // 4-bit codes + scale
 * ```
 */
export * from './spi.ts';
export * from './errors.ts';
export { createQuantizerRegistry, type QuantizerRegistry, type QuantizerRegistryOptions } from './registry.ts';
export { defaultRegistry, builtinQuantizers } from './builtins/index.ts';
export { ste, steConfigSchema, SteQuantizer, type SteConfig } from './builtins/ste.ts';
export { lsq, lsqPlus, lsqConfigSchema, LsqQuantizer, type LsqConfig } from './builtins/lsq.ts';
export { quantNoise, quantNoiseConfigSchema, QuantNoiseQuantizer, type QuantNoiseConfig } from './builtins/quant-noise.ts';
export {
  quantNoisier, quantNoisierConfigSchema, QuantNoisierQuantizer, ExampleLossTracker, noisierRate, type QuantNoisierConfig, type NoisierRateInput,
} from './builtins/quant-noisier.ts';
export { rand, randConfigSchema, RandQuantizer, type RandConfig } from './builtins/rand.ts';
export { pq, pqConfigSchema, PqQuantizer, type PqConfig } from './pq/pq.ts';
export { quantizeInStages, type IpqStage, type IpqOptions, type IpqFineTuneContext } from './pq/ipq.ts';
export { attachQornnQuantizers, steBjorck, quantizerTransform, type QornnQuantizeOptions, type QornnQuantizers } from './builtins/qornn.ts';
export { kmeans, kmeansObjective, type KMeansOptions, type KMeansResult } from './pq/kmeans.ts';
export { uniformGrid, roundHalfEven, scaleAndZeroPoint, fakeQuantValue, codeOf, SCALE_EPSILON, type UniformGrid } from './common/grid.ts';
export { roundToFloat16 } from './common/fp16.ts';
export { packCodes, unpackCodes } from './common/pack.ts';
export { prepareQat, qatHandleOf, type QatRule, type QatPlan, type QatHandle, type QatBinding, type QatTrainable, type QatSizeBits, type PrepareQatOptions } from './qat/prepare-qat.ts';
export { calibrate, quantizeWeights, type CalibrationReport } from './qat/calibrate.ts';
export { QatPlanError } from './qat/errors.ts';
export { matchesWeightName, type WeightNamePattern } from './qat/name-pattern.ts';
export { exportQuantized, planQuantizedFile, type ExportedModel, type ExportedWeightSize, type QuantizedFilePlan } from './export/export-quantized.ts';
export { loadQuantized, readQuantized, type QuantizedModel, type QuantizedFile, type LoadedPackedWeight, type PackedExecution } from './export/load-quantized.ts';
export { QuantizedFileError, QuantizedModelMismatchError } from './export/errors.ts';
export { QUANTIZED_FORMAT, QUANTIZED_FORMAT_VERSION, type PackedWeightRecord, type ZeroPointStorage, type DecodedPacked } from './export/format.ts';
export { dequantizePacked, type PackedArrays } from './export/dequantize.ts';
