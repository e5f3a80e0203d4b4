/**
 * @nibble/optim — optimizers as pure state transforms (SGD, Adam, AdamW, RMSprop with PyTorch's update equations),
 * global-norm gradient clipping, learning-rate schedules as pure functions of the step, parameter groups by name.
 *
 * @example
 * ```ts
 * import { adamw, clipGradNorm, cosineDecay, linearWarmup } from '@nibble/optim';
 * const opt = adamw({ lr: linearWarmup({ steps: 100 }, cosineDecay({ lr: 1e-3, steps: 5000 })), weightDecay: 0.01 });
 * let state = opt.init(model.parameters());
 * const { value, grads } = valueAndGrad(() => lossOf(model))(model.parameters());
 * const clipped = clipGradNorm(grads, 1);
 * state = opt.update(model, clipped.grads, state);
 * ```
 */
export { OptimizerError } from './errors.ts';
export { matchesName, type NamePattern } from './name-pattern.ts';
export {
  constant, cosineDecay, learningRateAt, linearWarmup, product, sequential, stepDecay,
  type LearningRate, type Schedule, type SchedulePhase,
} from './schedules.ts';
export {
  createOptimizer, disposeOptimizerState,
  type Optimizer, type OptimizerOptions, type OptimizerState, type ParamGroup, type Resolved, type TensorRecord, type Trainable, type UpdateRule,
} from './optimizer.ts';
export { sgd, type SgdHyperparameters } from './sgd.ts';
export { adam, adamw, type AdamHyperparameters } from './adam.ts';
export { rmsprop, type RmspropHyperparameters } from './rmsprop.ts';
export { clipGradNorm } from './clip.ts';
export { flattenOptimizerState, unflattenOptimizerState } from './state-io.ts';
