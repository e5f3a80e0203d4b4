/**
 * @nibble/train — a training loop usable piecemeal: `trainStep` (one optimizer step), `evaluate`, and `fit` (epochs,
 * evaluation, early stopping, atomic safetensors checkpoints with exact resume, a progress bar on stderr).
 *
 * @example
 * ```ts
 * import { fit } from '@nibble/train';
 * import { adam } from '@nibble/optim';
 * const { history } = await fit({ model, optimizer: adam({ lr: 1e-3 }), trainData, lossFn, epochs: 5, seed: 1 });
 * ```
 */
export { CheckpointError, TrainError } from './errors.ts';
export { trainStep, type LossFn, type TrainableModel, type TrainStepOptions, type TrainStepResult } from './train-step.ts';
export { evaluate, type MetricFn } from './evaluate.ts';
export { fit, type CheckpointOptions, type EarlyStopOptions, type FitEvent, type FitOptions, type FitResult } from './fit.ts';
export { ProgressBar, type ProgressLine, type ProgressStream } from './progress-bar.ts';
export {
  CHECKPOINT_FORMAT, CHECKPOINT_VERSION, packCheckpoint, unpackCheckpoint,
  type CheckpointableModel, type CheckpointContents, type JsonValue, type TrainingPosition,
} from './checkpoint.ts';
