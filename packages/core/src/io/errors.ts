import { NibbleError } from '../errors.ts';

/**
 * A safetensors file or entry set is malformed: the message says what was found and what was expected, e.g.
 * `safetensors: tensor 'w' has data_offsets [0, 12] (12 bytes) but dtype F32 shape [2,2] needs 16 bytes`.
 * Decoding throws only this class for bad input, whatever the bytes.
 *
 * @example
 * ```ts
 * try { decodeSafetensors(bytes); } catch (e) { if (e instanceof SafetensorsError) console.error(e.message); }
 * ```
 */
export class SafetensorsError extends NibbleError {
  override name = 'SafetensorsError';
}
