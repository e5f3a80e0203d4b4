/**
 * Node-only checkpoint files: `saveCheckpoint` (atomic, keeps the previous file) and `loadCheckpoint` (validated).
 * `fit` loads this module by itself when given `checkpoint`.
 *
 * @example
 * ```ts
 * import { loadCheckpoint } from '@nibble/train/node';
 * const { state, position } = await loadCheckpoint('runs/ckpt.safetensors', model, optimizer);
 * ```
 */
export { loadCheckpoint, previousCheckpointPath, saveCheckpoint } from './checkpoint-file.ts';
