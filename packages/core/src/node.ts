/**
 * Node-only helpers (file I/O). Browsers never load this entry.
 *
 * @example
 * ```ts
 * import { writeSafetensorsFile, readSafetensorsFile } from '@nibble/core/node';
 * ```
 */
export * from './io/safetensors-node.ts';
