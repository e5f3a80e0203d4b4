// nibble's own rows on the CPU: the TypeScript kernels ("nibble cpu") and the native addon ("nibble native"),
// through the public API of @nibble/core (tensor, matmul, ops, valueAndGrad) on a private Runtime.
import type { BenchTarget, PreparedCase } from '../bench-target.js';
import { nibbleCpuSession, nibbleCpuUnavailableReason, type NibbleCpuFlavour, type NibbleSession } from './load-nibble.js';
import { nibbleLstmInfer, nibbleLstmTrain, nibbleTransformerTrain } from './nibble-models.js';
import { nibbleSuiteCases } from './nibble-suite-cases.js';

type Tensor = import('@nibble/core').Tensor;

/** Reads a float32 tensor back to the host and frees it. */
export async function readBackNibble(t: Tensor): Promise<Float32Array> {
  try {
    const data = await t.data();
    return data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
  } finally {
    t.dispose();
  }
}

/**
 * nibble on the CPU, TypeScript kernels (`cpu`) or native kernels (`native`).
 *
 * @example
 * const native = nibbleCpuTarget('native');
 * console.log(await native.available());
 */
export function nibbleCpuTarget(flavour: NibbleCpuFlavour): BenchTarget {
  let session: Promise<NibbleSession> | undefined;
  const open = (): Promise<NibbleSession> => (session ??= nibbleCpuSession(flavour));
  return {
    id: `nibble-${flavour}`,
    label: flavour === 'native' ? 'nibble native' : 'nibble cpu (TS)',
    kind: 'nibble',
    async available() {
      const reason = await nibbleCpuUnavailableReason(flavour);
      return reason === undefined ? { ok: true } : { ok: false, reason };
    },
    async describe() {
      const s = await open();
      return { backend: s.backendName, kernels: flavour === 'native' ? 'C++ addon' : 'TypeScript' };
    },
    cases: {
      async matmul(c, d) {
        const { core, runtime } = await open();
        const a = core.tensor(d.a, { runtime, shape: [c.n, c.n] });
        const b = core.tensor(d.b, { runtime, shape: [c.n, c.n] });
        return {
          step: async () => ({ kind: 'tensor', data: await readBackNibble(a.matmul(b)), shape: [c.n, c.n] }),
          dispose: () => {
            a.dispose();
            b.dispose();
          },
        } satisfies PreparedCase;
      },
      lstm_infer: async (c, d) => nibbleLstmInfer(await open(), c, d),
      lstm_train: async (c, d) => nibbleLstmTrain(await open(), c, d),
      transformer_train: async (c, d) => nibbleTransformerTrain(await open(), c, d),
      ...nibbleSuiteCases(open),
    },
  };
}
