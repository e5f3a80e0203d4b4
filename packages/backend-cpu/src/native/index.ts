// Public surface of the native CPU kernels (Node only). Every function validates its arguments in TypeScript and
// throws NativeArgumentError before native code runs; when the addon is missing, NativeUnavailableError says why.
export type { NativeInfo, OpenBlasLoadInfo } from './addon-types.js';
export { NativeArgumentError, NativeUnavailableError } from './errors.js';
export { isNativeAvailable, loadNative, type LoadNativeOptions, type NativeLoadResult } from './loader.js';
export { nativeInfo, nativeScratchBytes, releaseNativeScratch, setNativeIsa, setNativeThreads } from './runtime.js';
export { matmul, sgemm, type MatmulOptions, type MatrixLayout, type SgemmArgs } from './sgemm.js';
export {
  binaryOp,
  broadcastShapes,
  reduceAll,
  reduceLastAxis,
  unaryOp,
  type BinaryOpName,
  type UnaryOpName,
} from './elementwise.js';
export { fakeQuant, type FakeQuantParams } from './fake-quant.js';
export {
  int4Matmul,
  int8Matmul,
  pqMatmul,
  type Int4Weights,
  type Int8Weights,
  type PqWeights,
  type QuantizedRows,
} from './packed-matmul.js';
export { packInt4, unpackInt4 } from './pack-int4.js';
export {
  lstmCellBackward,
  lstmCellForward,
  lstmSequenceBackward,
  lstmSequenceForward,
  prepareLstmWeights,
  type PreparedLstmWeights,
  type LstmCellGradients,
  type LstmCellResult,
  type LstmGradients,
  type LstmInitialState,
  type LstmSequenceResult,
  type LstmWeights,
} from './lstm.js';
export { loadOpenBlas, measureFmaPeak, measureReadBandwidth, openBlasSgemm, setOpenBlasThreads } from './microbench.js';
