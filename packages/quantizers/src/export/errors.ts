import { QuantizerError } from '../errors.ts';

/** A quantized model file is malformed: not safetensors, truncated, wrong format or version, bad layout metadata. */
export class QuantizedFileError extends QuantizerError {
  override name = 'QuantizedFileError';
}

/** A well-formed quantized file does not fit the model it is loaded into (missing, extra or differently shaped weights). */
export class QuantizedModelMismatchError extends QuantizerError {
  override name = 'QuantizedModelMismatchError';
}
