/**
 * Checkpoint files (Node): one safetensors file written atomically, with the previous checkpoint kept beside it.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { copyFile, link, rename, stat, unlink } from 'node:fs/promises';
import { type DecodedSafetensors, type SafetensorsEntry, SafetensorsError, type SafetensorsTensor } from '@nibble/core';
import { readSafetensorsFile, writeSafetensorsFile } from '@nibble/core/node';
import type { Optimizer, OptimizerState } from '@nibble/optim';
import { type CheckpointableModel, packCheckpoint, type TrainingPosition, unpackCheckpoint } from './checkpoint.ts';
import { CheckpointError } from './errors.ts';

/** The file that keeps the checkpoint before the latest one: `ckpt.safetensors` → `ckpt.prev.safetensors`. */
export function previousCheckpointPath(path: string): string {
  return path.endsWith('.safetensors') ? `${path.slice(0, -'.safetensors'.length)}.prev.safetensors` : `${path}.prev`;
}

/** SHA-256 over every tensor's name, dtype, shape and bytes in name order: detects corruption the header cannot. */
function checksum(tensors: Iterable<[string, SafetensorsEntry | SafetensorsTensor]>): string {
  const hash = createHash('sha256');
  const sorted = [...tensors].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [name, t] of sorted) {
    hash.update(`${name}\0${t.dtype}\0${t.shape.join(',')}\0`);
    const d = t.data;
    hash.update(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
  }
  return hash.digest('hex');
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Saves a checkpoint to `path` atomically: the bytes go to a temp file that is fsynced and renamed over `path`, so
 * `path` always holds a complete checkpoint (the old or the new one). The checkpoint it replaces is first kept as
 * {@link previousCheckpointPath} (hard link, or copy where links are unsupported).
 *
 * @example
 * ```ts
 * await saveCheckpoint('runs/ckpt.safetensors', model, opt, state, { step, epoch, batchInEpoch, seed });
 * ```
 */
export async function saveCheckpoint(
  path: string,
  model: CheckpointableModel,
  optimizer: Optimizer,
  state: OptimizerState,
  position: TrainingPosition,
): Promise<void> {
  const { entries, metadata } = packCheckpoint(model, optimizer, state, position);
  if (await exists(path)) {
    const prev = previousCheckpointPath(path);
    const tmp = `${prev}.tmp-${process.pid}`;
    await unlink(tmp).catch(() => undefined);
    try {
      await link(path, tmp);
    } catch {
      await copyFile(path, tmp);
    }
    await rename(tmp, prev);
  }
  await writeSafetensorsFile(path, entries, { ...metadata, checksum: checksum(Object.entries(entries)) });
}

/**
 * Reads, validates and loads a checkpoint into `model` (parameters and buffers) and returns the optimizer state and
 * the training position. A truncated, corrupt or mismatching file is refused with a {@link CheckpointError} that names
 * the file, says what is wrong and points at the previous checkpoint when there is one; neither file is modified and
 * the model is unchanged.
 *
 * @example
 * ```ts
 * const { state, position } = await loadCheckpoint('runs/ckpt.safetensors', model, opt);
 * ```
 */
export async function loadCheckpoint(
  path: string,
  model: CheckpointableModel,
  optimizer: Optimizer,
): Promise<{ state: OptimizerState; position: TrainingPosition }> {
  const where = `loadCheckpoint: '${path}'`;
  const prev = previousCheckpointPath(path);
  const hint = async (): Promise<string> => ((await exists(prev)) ? `; the previous checkpoint '${prev}' is intact — move it to '${path}' to resume from it` : '');
  let decoded: DecodedSafetensors;
  try {
    decoded = await readSafetensorsFile(path);
  } catch (e) {
    if (e instanceof SafetensorsError) throw new CheckpointError(`${where} is not a valid safetensors file (truncated or corrupt): ${e.message}${await hint()}`, { cause: e });
    throw e;
  }
  const expected = decoded.metadata.checksum;
  if (expected === undefined) throw new CheckpointError(`${where}: __metadata__ has no checksum; expected a nibble training checkpoint${await hint()}`);
  const actual = checksum(decoded.tensors);
  if (actual !== expected) throw new CheckpointError(`${where}: checksum mismatch (stored ${expected.slice(0, 12)}…, computed ${actual.slice(0, 12)}…): the data is corrupt${await hint()}`);
  try {
    return unpackCheckpoint(where, decoded, model, optimizer);
  } catch (e) {
    if (e instanceof CheckpointError) throw new CheckpointError(`${e.message}${await hint()}`, { cause: e });
    throw e;
  }
}
