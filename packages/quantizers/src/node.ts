/**
 * Node-only helpers of @nibble/quantizers (atomic file writes of packed models). Browsers never load this entry.
 *
 * @example
 * ```ts
 * import { writeQuantizedFile } from '@nibble/quantizers/node';
 * ```
 */
export { writeQuantizedFile, readQuantizedFile } from './export/node.ts';
