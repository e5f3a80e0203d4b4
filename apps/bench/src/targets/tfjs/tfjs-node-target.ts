// @tensorflow/tfjs-node peer. It cannot be installed on these machines (its install script downloads libtensorflow
// from a host outside the package registries), so it is not a dependency of the bench; when someone installs it
// by hand, its "tensorflow" backend runs the same tfjs models as the other tfjs targets.
import { createRequire } from 'node:module';
import type { BenchTarget } from '../bench-target.js';
import { reasonOf } from '../bench-target.js';
import { tfjsTarget } from './tfjs-target.js';

/** The reason printed when the package is absent. */
export const TFJS_NODE_NOT_INSTALLED =
  'not installed: its install script downloads libtensorflow, which this machine cannot reach';

const PACKAGE = '@tensorflow/tfjs-node';

/**
 * The tfjs-node peer (skipped with a reason when the package is not installed).
 *
 * @example
 * const reason = await tfjsNodeTarget().available();
 */
export function tfjsNodeTarget(): BenchTarget {
  const inner = tfjsTarget('tensorflow');
  return {
    ...inner,
    id: 'tfjs-node',
    label: 'tfjs-node',
    async available() {
      try {
        createRequire(import.meta.url).resolve(PACKAGE);
      } catch {
        return { ok: false, reason: TFJS_NODE_NOT_INSTALLED };
      }
      try {
        return await inner.available();
      } catch (err) {
        return { ok: false, reason: `${PACKAGE} not loadable: ${reasonOf(err)}` };
      }
    },
  };
}
