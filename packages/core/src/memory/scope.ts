import type { Tensor } from '../tensor.ts';

/** Frames of tensors created inside active `scope` calls, innermost last. */
const frames: Set<Tensor>[] = [];

/** Called by Tensor's constructor: the innermost scope owns the new handle. */
export function trackInScope(t: Tensor): void {
  frames[frames.length - 1]?.add(t);
}

/** Removes a handle from every scope so it outlives them (see {@link keep}). */
export function untrack(t: Tensor): void {
  for (const f of frames) f.delete(t);
}

/**
 * Marks a tensor to survive the enclosing scopes. Returns it for chaining.
 *
 * @example
 * ```ts
 * let kept!: Tensor;
 * scope(() => { kept = keep(x.mul(2)); });
 * ```
 */
export function keep<T extends Tensor>(t: T): T {
  untrack(t);
  return t;
}

/** Collects the tensors reachable from a returned value (tensors, arrays, plain objects, Maps). */
function collect(value: unknown, into: Set<Tensor>, seen = new Set<unknown>()): void {
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if (isTensor(value)) {
    into.add(value);
  } else if (Array.isArray(value)) {
    for (const v of value) collect(v, into, seen);
  } else if (value instanceof Map) {
    for (const v of value.values()) collect(v, into, seen);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collect(v, into, seen);
  }
}

let tensorClass: (new (...args: never[]) => Tensor) | undefined;
/** Set once by tensor.ts, so this module needs no import cycle to recognise tensors. */
export function setTensorClass(cls: new (...args: never[]) => Tensor): void {
  tensorClass = cls;
}
function isTensor(v: object): v is Tensor {
  return tensorClass !== undefined && v instanceof tensorClass;
}

function close(frame: Set<Tensor>, result: unknown): void {
  const kept = new Set<Tensor>();
  collect(result, kept);
  for (const t of frame) if (!kept.has(t)) t.dispose();
  const parent = frames[frames.length - 1];
  if (parent) for (const t of kept) if (frame.has(t)) parent.add(t);
}

/**
 * Runs `fn` and disposes every tensor created inside it, except the tensors reachable from its return value (which
 * move to the enclosing scope) and tensors passed to {@link keep}. On a throw, everything created inside is disposed.
 *
 * @example
 * ```ts
 * const y = scope(() => x.mul(2).add(1)); // the intermediate x*2 is freed, y survives
 * ```
 */
export function scope<T>(fn: () => T): T {
  const frame = new Set<Tensor>();
  frames.push(frame);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    frames.pop();
    close(frame, undefined);
    throw e;
  }
  frames.pop();
  close(frame, result);
  return result;
}

/**
 * Async form of {@link scope}. Tensors created by other code interleaved at an `await` are attributed to this scope,
 * so do not run two `scopeAsync` calls concurrently.
 */
export async function scopeAsync<T>(fn: () => Promise<T>): Promise<T> {
  const frame = new Set<Tensor>();
  frames.push(frame);
  let result: T;
  try {
    result = await fn();
  } catch (e) {
    frames.splice(frames.lastIndexOf(frame), 1);
    close(frame, undefined);
    throw e;
  }
  frames.splice(frames.lastIndexOf(frame), 1);
  close(frame, result);
  return result;
}
