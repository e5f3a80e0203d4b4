// All targets the CLI knows, by the ids used with --backend (nibble) and --peer (peers).
import type { BenchTarget } from './bench-target.js';
import { nibbleCpuTarget } from './nibble/nibble-cpu-target.js';
import { nibbleCudaTarget } from './nibble/nibble-cuda-target.js';
import { nibbleWebgpuTarget } from './nibble/nibble-webgpu-target.js';
import { isSoftwareVulkan } from '../machine/software-vulkan.js';
import { ortTarget } from './ort/ort-target.js';
import { pythonPeerTarget } from './python/python-peer-target.js';
import { tfjsNodeTarget } from './tfjs/tfjs-node-target.js';
import { tfjsTarget } from './tfjs/tfjs-target.js';

/** Peer ids accepted by --peer, in the order rows are shown. */
export const PEER_IDS = ['tfjs-cpu', 'tfjs-wasm', 'tfjs-webgpu', 'tfjs-node', 'ort', 'torch', 'jax'] as const;
export type PeerId = (typeof PEER_IDS)[number];

/** nibble backend ids accepted by --backend. */
export const NIBBLE_BACKEND_IDS = ['cpu', 'native', 'webgpu', 'cuda'] as const;
export type NibbleBackendId = (typeof NIBBLE_BACKEND_IDS)[number];

/** Creates a peer target by id. */
export function peerTarget(id: PeerId): BenchTarget {
  switch (id) {
    case 'tfjs-cpu':
      return tfjsTarget('cpu');
    case 'tfjs-wasm':
      return tfjsTarget('wasm');
    case 'tfjs-webgpu':
      return tfjsTarget('webgpu');
    case 'tfjs-node':
      return tfjsNodeTarget();
    case 'ort':
      return ortTarget();
    case 'torch':
    case 'jax':
      return pythonPeerTarget(id);
  }
}

/** Creates nibble's target for a backend id. */
export function nibbleTarget(id: NibbleBackendId): BenchTarget {
  if (id === 'cuda') return nibbleCudaTarget();
  return id === 'webgpu' ? nibbleWebgpuTarget() : nibbleCpuTarget(id);
}

/**
 * Keeps a WebGPU target out of a run when the only adapter is a software one (SwiftShader on the CPU) and the user
 * did not ask for it by name: such rows take minutes and measure the CPU, not a GPU.
 */
export function unlessSoftwareAdapter(target: BenchTarget, option: string): BenchTarget {
  return {
    ...target,
    async available() {
      const a = await target.available();
      if (a.ok && isSoftwareVulkan()) {
        return { ok: false, reason: `only a software WebGPU adapter (SwiftShader, on the CPU): left out unless asked for with ${option}` };
      }
      return a;
    },
  };
}
