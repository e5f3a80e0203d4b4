/**
 * Error classes thrown by nibble. Every message names the function, the value given and the value expected, so a
 * user can fix the call without reading nibble's source.
 *
 * @example
 * ```ts
 * try { matmul(a, b); } catch (e) { if (e instanceof ShapeError) console.error(e.message); }
 * ```
 */
export class NibbleError extends Error {
  override name = 'NibbleError';
}
/** A shape does not fit the operation (rank, sizes, broadcasting, reshape size). */
export class ShapeError extends NibbleError {
  override name = 'ShapeError';
}
/** A dtype does not fit the operation. */
export class DTypeError extends NibbleError {
  override name = 'DTypeError';
}
/** An axis is outside `[-rank, rank)`. */
export class AxisError extends NibbleError {
  override name = 'AxisError';
}
/** A tensor was used after `dispose()`. */
export class DisposedError extends NibbleError {
  override name = 'DisposedError';
}
/** A backend is missing, unavailable, registered twice, or failed. */
export class BackendError extends NibbleError {
  override name = 'BackendError';
}
/** A value (not a shape or dtype) is outside what the function accepts. */
export class ValueError extends NibbleError {
  override name = 'ValueError';
}
