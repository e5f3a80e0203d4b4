// nibble's WebGPU row: @nibble/backend-webgpu (Dawn in Node) on a private Runtime, the same models as the CPU rows.
import { useSoftwareVulkanIfNoDriverChosen } from '../../machine/software-vulkan.js';
import type { BenchTarget, PreparedCase } from '../bench-target.js';
import { reasonOf } from '../bench-target.js';
import { readBackNibble } from './nibble-cpu-target.js';
import type { NibbleSession } from './load-nibble.js';
import { nibbleLstmInfer, nibbleLstmTrain, nibbleTransformerTrain } from './nibble-models.js';
import { nibbleSuiteCases } from './nibble-suite-cases.js';

async function openWebgpu(): Promise<NibbleSession> {
  useSoftwareVulkanIfNoDriverChosen();
  const [core, gpu] = await Promise.all([import('@nibble/core'), import('@nibble/backend-webgpu')]);
  const runtime = core.createRuntime({ backends: [gpu.webgpuFactory({ name: 'webgpu' })] });
  await runtime.use('webgpu');
  return { core, runtime, backendName: 'webgpu' };
}

/**
 * nibble on WebGPU (in Node through Dawn; on GPU-less machines through SwiftShader, a software adapter).
 *
 * @example
 * console.log(await nibbleWebgpuTarget().available());
 */
export function nibbleWebgpuTarget(): BenchTarget {
  let session: Promise<NibbleSession> | undefined;
  const open = (): Promise<NibbleSession> => (session ??= openWebgpu());
  return {
    id: 'nibble-webgpu',
    label: 'nibble webgpu',
    kind: 'nibble',
    async available() {
      try {
        useSoftwareVulkanIfNoDriverChosen();
        const gpu = await import('@nibble/backend-webgpu');
        const a = await gpu.webgpuFactory().isAvailable();
        if (!a.ok) return { ok: false, reason: `@nibble/backend-webgpu: ${a.reason}` };
        await open();
        return { ok: true };
      } catch (err) {
        return { ok: false, reason: `@nibble/backend-webgpu not usable: ${reasonOf(err)}` };
      }
    },
    async describe() {
      return { backend: 'webgpu', vulkanIcd: process.env['VK_ICD_FILENAMES'] ?? 'system default' };
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
