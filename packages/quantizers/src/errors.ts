import { NibbleError } from '@nibble/core';

/** Base class of every error thrown by @nibble/quantizers. */
export class QuantizerError extends NibbleError {
  override name = 'QuantizerError';
}

/** A quantizer config is invalid; the message names the field, the value given and what was expected. */
export class QuantizerConfigError extends QuantizerError {
  override name = 'QuantizerConfigError';
  constructor(
    message: string,
    /** Dotted path of the offending field ('' for the whole config). */
    readonly field: string,
  ) {
    super(message);
  }
}

/** Registry misuse: unknown id, duplicate id, id without a namespace, wrong apiVersion. */
export class QuantizerRegistryError extends QuantizerError {
  override name = 'QuantizerRegistryError';
}

/** Calibration saw values it cannot quantize (NaN or ±Inf weights). */
export class QuantizerCalibrationError extends QuantizerError {
  override name = 'QuantizerCalibrationError';
}

/** A tensor shape does not fit the quantizer (block size not dividing the dimension, shape changed since create). */
export class QuantizerShapeError extends QuantizerError {
  override name = 'QuantizerShapeError';
}

/** The quantizer cannot produce packed codes (e.g. proxy noise, which keeps float weights). */
export class QuantizerExportError extends QuantizerError {
  override name = 'QuantizerExportError';
}

/** State given to `setState` has another version or shape than this quantizer produces. */
export class QuantizerStateError extends QuantizerError {
  override name = 'QuantizerStateError';
}
