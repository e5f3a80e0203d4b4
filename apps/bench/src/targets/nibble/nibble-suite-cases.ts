// The suite-cases.json factories shared by every nibble target (they only need a session).
import type { CaseFactories } from '../bench-target.js';
import type { NibbleSession } from './load-nibble.js';
import { nibbleLayerGrad } from './nibble-layer-grad.js';
import { nibbleElementwise, nibbleReduce } from './nibble-ops.js';
import { nibblePackedInfer } from './nibble-packed.js';
import { nibbleQatRun, nibbleQatStep } from './nibble-qat.js';

/** Factories of the ops, layers, quant and train suite cases on the session `open` returns. */
export function nibbleSuiteCases(open: () => Promise<NibbleSession>): CaseFactories {
  return {
    elementwise: async (c, d) => nibbleElementwise(await open(), c, d),
    reduce: async (c, d) => nibbleReduce(await open(), c, d),
    layer_grad: async (c, d) => nibbleLayerGrad(await open(), c, d),
    qat_step: async (c, d) => nibbleQatStep(await open(), c, d),
    qat_run: async (c, d) => nibbleQatRun(await open(), c, d),
    packed_infer: async (c, d) => nibblePackedInfer(await open(), c, d),
  };
}
