// Public surface of @nibble/data: re-exports only.
export { DataError, DataArgumentError, DatasetUnavailableError } from './errors.js';
export { philox4x32, PhiloxRandom, type PhiloxBlock, type PhiloxCounter, type PhiloxKey } from './philox.js';
export { invertPermutation, permutation, shuffle, type MutableArrayLike } from './permutation.js';
export { gatherRows, shapeSize, type NumericArray, type ShapedArray } from './shaped-array.js';
export { batches, batchIndices, datasetSize, type Batch, type BatchOptions, type Dataset } from './batching.js';
export { SPLIT_NAMES, type SplitName, type Splits } from './splits.js';
export {
  COPY_TASK,
  copyTask,
  copyTaskBaseline,
  copyTaskLength,
  type CopyTaskData,
  type CopyTaskOptions,
} from './copy-task.js';
export {
  ADDING_PROBLEM_BASELINE_MSE,
  addingProblem,
  type AddingProblemData,
  type AddingProblemOptions,
} from './adding-problem.js';
export {
  DEFAULT_MNIST_PERMUTATION_SEED,
  loadMnist,
  MNIST_CLASSES,
  MNIST_IMAGE_SIDE,
  MNIST_PIXELS,
  MNIST_SPLIT_SEED,
  MNIST_SPLIT_SIZES,
  mnistPixelPermutation,
  mnistSplitIndices,
  sequentialMnist,
  type MnistData,
  type SequentialMnistData,
  type SequentialMnistLayout,
  type SequentialMnistOptions,
} from './mnist.js';
export { EOS_TOKEN, UNK_TOKEN, Vocabulary, type VocabularyOptions } from './vocabulary.js';
export { encodeCorpus, type EncodedCorpus, type TextCorpus } from './text-corpus.js';
export { loadBrownCorpus, parseBrownFile, wordLevelBrown, type BrownCorpusOptions } from './brown-corpus.js';
export { characterLevelSotu, loadSotuCorpus } from './sotu-corpus.js';
export {
  batchify,
  languageModelWindows,
  type LanguageModelWindow,
  type LanguageModelWindowOptions,
} from './language-model-batching.js';
