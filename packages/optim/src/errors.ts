import { ValueError } from '@nibble/core';

/**
 * An invalid optimizer, schedule or optimizer-state argument (a negative learning rate, a gradient for an unknown
 * parameter, a state that does not fit the parameters). A `ValueError`, so `instanceof ValueError` also holds.
 */
export class OptimizerError extends ValueError {
  override name = 'OptimizerError';
}
