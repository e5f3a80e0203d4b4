// Browser page entry: on WebGPU (navigator.gpu) it runs core's backend conformance suite (vitest aliased to
// ./vitest-shim.ts) and the shared WebGPU-vs-CPU cases, and reports on `window.__nibbleResults` for the Node test
// that drives the page (browser.test.ts).
import { createRuntime } from '@nibble/core';
import { describeBackendConformance } from '@nibble/core/testing';
import { cpu } from '@nibble/backend-cpu';
import { webgpu } from '../../src/index.ts';
import { runCases, type CaseResult } from '../cases.ts';
import { runSuites } from './vitest-shim.ts';

declare global {
  interface Window {
    __nibbleResults?: { available: boolean; reason?: string; results: CaseResult[] };
  }
}

async function main(): Promise<void> {
  const availability = await webgpu.isAvailable();
  if (!availability.ok) {
    window.__nibbleResults = { available: false, reason: availability.reason, results: [] };
    return;
  }
  describeBackendConformance(webgpu); // the options of the Node run (conformance.test.ts): same properties, runs, tolerances
  const conformance = await runSuites();
  const ref = createRuntime({ backends: [cpu] });
  ref.useSync('cpu');
  const gpu = createRuntime({ backends: [webgpu] });
  await gpu.use('webgpu');
  const cases = await runCases(ref, gpu);
  window.__nibbleResults = { available: true, results: [...conformance, ...cases.map((c) => ({ ...c, name: `case > ${c.name}` }))] };
}

main().catch((e: unknown) => {
  window.__nibbleResults = { available: true, results: [{ name: 'page', ok: false, message: String(e) }] };
});
