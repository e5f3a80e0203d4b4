/**
 * Errors thrown by the native kernel wrappers. Both name the function, what was given and what was expected.
 *
 * @example
 * ```ts
 * try { matmul(a, b, 2, 3, 4); } catch (e) { if (e instanceof NativeArgumentError) console.error(e.message); }
 * ```
 */
export class NativeArgumentError extends RangeError {
  override readonly name = 'NativeArgumentError';
}

/** Thrown when a native kernel is called but the addon could not be loaded; `reason` says why. */
export class NativeUnavailableError extends Error {
  override readonly name = 'NativeUnavailableError';
  constructor(
    readonly functionName: string,
    readonly reason: string,
  ) {
    super(`${functionName}: native kernels are unavailable: ${reason}`);
  }
}
