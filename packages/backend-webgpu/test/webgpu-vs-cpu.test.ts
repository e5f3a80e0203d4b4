import { createRuntime, type Runtime } from '@nibble/core';
import { cpu } from '@nibble/backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webgpu } from '../src/index.ts';
import { CASES, runCases } from './cases.ts';
import { webgpuAvailability } from './setup.ts';

const { run, reason } = await webgpuAvailability();

describe.skipIf(!run)(`webgpu against the cpu reference${run ? '' : ` (skipped: ${reason})`}`, () => {
  let ref: Runtime;
  let gpu: Runtime;
  beforeAll(async () => {
    ref = createRuntime({ backends: [cpu] });
    ref.useSync('cpu');
    gpu = createRuntime({ backends: [webgpu] });
    await gpu.use('webgpu');
  });
  afterAll(() => {
    ref?.[Symbol.dispose]();
    gpu?.[Symbol.dispose]();
  });

  it('every case matches the cpu backend and leaves no buffer behind', async () => {
    const before = gpu.memory();
    const results = await runCases(ref, gpu, CASES);
    const failed = results.filter((r) => !r.ok);
    expect(failed, failed.map((f) => `${f.name}: ${f.message}`).join('\n')).toEqual([]);
    expect(results.length).toBe(CASES.length);
    expect(gpu.memory()).toEqual(before);
  });
});
