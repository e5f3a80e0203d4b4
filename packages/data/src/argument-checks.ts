import { DataArgumentError } from './errors.js';

/** Throws unless `value` is an integer in [min, max]; returns it so callers can check and assign in one step. */
export function requireInteger(
  fn: string,
  name: string,
  value: number,
  min: number,
  max: number = Number.MAX_SAFE_INTEGER,
): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`;
    throw new DataArgumentError(`${fn}: ${name} must be ${range}, got ${String(value)}`);
  }
  return value;
}
