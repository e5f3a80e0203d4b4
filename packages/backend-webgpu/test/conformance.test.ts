import { describeBackendConformance } from '@nibble/core/testing';
import { describe, it } from 'vitest';
import { webgpu } from '../src/index.ts';
import { webgpuAvailability } from './setup.ts';

const { run, reason } = await webgpuAvailability();

if (run) describeBackendConformance(webgpu);
else describe.skip(`backend conformance: webgpu (no adapter: ${reason})`, () => it('needs a WebGPU adapter', () => {}));
