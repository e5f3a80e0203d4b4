/**
 * Node-only file helpers for quantized models (browsers use `exportQuantized` / `loadQuantized` on bytes).
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { writeSafetensorsFile } from '@nibble/core/node';
import type { Module } from '@nibble/layers';
import type { QatHandle } from '../qat/prepare-qat.ts';
import { QuantizedFileError } from './errors.ts';
import { planQuantizedFile, type ExportedWeightSize } from './export-quantized.ts';
import { readQuantized, type QuantizedFile } from './load-quantized.ts';

/**
 * Writes the packed model file of {@link exportQuantized} to `path` atomically (temp file, fsync, rename): a reader
 * sees the old file or the complete new one. Tensors are streamed, not concatenated in memory.
 *
 * @example
 * ```ts
 * const { payloadBits } = await writeQuantizedFile('model.q4.safetensors', model, qat);
 * ```
 */
export async function writeQuantizedFile(
  path: string,
  model: Module,
  qat: QatHandle,
): Promise<{ sizeBits: number; payloadBits: number; floatBits: number; weights: Readonly<Record<string, ExportedWeightSize>> }> {
  const plan = planQuantizedFile(model, qat);
  await writeSafetensorsFile(path, plan.entries, plan.metadata);
  return { sizeBits: plan.sizeBits, payloadBits: plan.payloadBits, floatBits: plan.floatBits, weights: plan.weights };
}

/**
 * Reads and validates a packed model file (see `readQuantized`); pass the result to `loadQuantized`.
 *
 * @example
 * ```ts
 * using loaded = loadQuantized(await readQuantizedFile('model.q4.safetensors'), model.eval());
 * ```
 */
export async function readQuantizedFile(path: string): Promise<QuantizedFile> {
  const bytes = new Uint8Array(await readFile(path));
  try {
    return readQuantized(bytes);
  } catch (e) {
    if (e instanceof QuantizedFileError) throw new QuantizedFileError(`${e.message} (file ${path})`, { cause: e });
    throw e;
  }
}
