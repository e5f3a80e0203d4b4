// nibble's CUDA row: loaded by dynamic import of @nibble/backend-cuda when that package is installed, otherwise
// skipped with the reason, like any unavailable backend.
import type { BenchTarget } from '../bench-target.js';

/** Name kept in a variable so that type-checking does not require the optional package. */
const CUDA_PACKAGE = '@nibble/backend-cuda';

interface CudaModule {
  readonly cuda?: { isAvailable(): Promise<{ ok: true } | { ok: false; reason: string }> };
}

/**
 * The CUDA backend target. It runs no case yet: when the package exists and reports a device, the row says so and
 * that its cases are not implemented in the bench.
 *
 * @example
 * console.log(await nibbleCudaTarget().available()); // { ok: false, reason: '@nibble/backend-cuda is not installed …' }
 */
export function nibbleCudaTarget(): BenchTarget {
  return {
    id: 'nibble-cuda',
    label: 'nibble cuda',
    kind: 'nibble',
    async available() {
      let mod: CudaModule;
      try {
        mod = (await import(CUDA_PACKAGE)) as CudaModule;
      } catch (e) {
        return { ok: false, reason: `${CUDA_PACKAGE} is not installed (${String((e as Error).message).split('\n')[0]})` };
      }
      const status = await mod.cuda?.isAvailable();
      if (status === undefined) return { ok: false, reason: `${CUDA_PACKAGE} exports no 'cuda' backend factory` };
      return status.ok ? { ok: false, reason: 'a CUDA device is available, but the bench has no CUDA cases yet' } : { ok: false, reason: status.reason };
    },
    cases: {},
  };
}
