import { QuantizerError } from '../errors.ts';

/**
 * A QAT plan cannot be applied: a pattern matches no weight, a weight already has a transform, a rule has an
 * unsupported role, or the model is already prepared. Checked before the model is touched.
 */
export class QatPlanError extends QuantizerError {
  override name = 'QatPlanError';
}
