/**
 * @nibble/layers — modules, layers and losses. Every layer reads its weights through `Module.weight`, so a weight
 * transform (a quantizer) can sit on any of them.
 *
 * @example
 * ```ts
 * import { defaultRuntime, type Tensor, tensor, valueAndGrad } from '@nibble/core';
 * import { cpu } from '@nibble/backend-cpu';
 * import { Linear, crossEntropy } from '@nibble/layers';
 * defaultRuntime.register(cpu);
 * const fc = new Linear(4, 3, { seed: 0 });
 * const x = tensor([[1, 2, 3, 4]]);
 * const labels = tensor(new Int32Array([2]));
 * // the module reads the very tensors passed in, so gradients come back per parameter name
 * const { value, grads: [g] } = valueAndGrad((_p: Record<string, Tensor>) => crossEntropy(fc.forward(x), labels))(fc.parameters());
 * ```
 */
export * from './module.ts';
export { manualSeed, type LayerOptions } from './init.ts';
export { Linear, type LinearOptions } from './linear.ts';
export { Embedding, type EmbeddingOptions } from './embedding.ts';
export { LayerNorm, type LayerNormOptions } from './layer-norm.ts';
export { Dropout } from './dropout.ts';
export { LSTM, type LSTMOptions, type LSTMState, type LSTMOutput } from './lstm.ts';
export { scan, type RecurrentCell, type StepGradients } from './recurrence.ts';
export { MultiHeadAttention, causalMask, type MultiHeadAttentionOptions, type AttentionMasks } from './attention.ts';
export { TransformerEncoderLayer, TransformerDecoderLayer, type TransformerLayerOptions, type DecoderMasks } from './transformer.ts';
export { SinusoidalPositionalEncoding, LearnedPositionalEncoding, type PositionalEncodingOptions } from './positional.ts';
export { Sequential, ReLU, Tanh, GELU, type UnaryModule } from './sequential.ts';
export { crossEntropy, mseLoss, type CrossEntropyOptions, type Reduction } from './losses.ts';
export { bjorck, type BjorckOptions } from './bjorck.ts';
export { OrthogonalRNN, type OrthogonalRNNOptions, type OrthogonalRNNOutput, type OrthogonalParametrization } from './orthogonal-rnn.ts';
export { modReLU, type OrthogonalRNNActivation } from './orthogonal-rnn-cell.ts';
export { projunnUpdate, lowRankSketch, type ProjunnMode } from './projunn.ts';
export { henaffOrthogonal, randomOrthogonal } from './orthogonal-init.ts';
export { type Mat, mat, orthogonalityError } from './host-linalg.ts';
export { fromTorchStateDict } from './torch-names.ts';
