// The pipeline cache: WGSL is generated per (op, rank, dtype), shapes and strides travel in a meta buffer, so a new
// shape of the same rank compiles nothing new, and a repeated training step compiles nothing at all.
import { createRuntime, type Runtime, scope, scopeAsync, tensor, valueAndGrad, type Tensor } from '@nibble/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webgpu, type WebGpuBackend } from '../src/index.ts';
import { webgpuAvailability } from './setup.ts';

const { run, reason } = await webgpuAvailability();

describe.skipIf(!run)(`pipeline cache${run ? '' : ` (skipped: ${reason})`}`, () => {
  let rt: Runtime;
  let backend: WebGpuBackend;
  beforeAll(async () => {
    rt = createRuntime({ backends: [webgpu] });
    await rt.use('webgpu');
    backend = rt.backend() as WebGpuBackend;
  });
  afterAll(() => rt?.[Symbol.dispose]());

  const ramp = (shape: number[]) => tensor(Float32Array.from({ length: shape.reduce((a, d) => a * d, 1) }, (_, i) => i / 7 - 1), { shape, runtime: rt });

  it('a new shape of the same rank reuses the compiled pipeline; a new op compiles one', async () => {
    const first = await scopeAsync(async () => Array.from(await ramp([3, 4]).tanh().data()));
    const compiled = backend.pipelineCount();
    expect(compiled).toBeGreaterThan(0);
    const second = await scopeAsync(async () => Array.from(await ramp([5, 9]).tanh().data()));
    expect(backend.pipelineCount()).toBe(compiled);
    expect(second[1]).toBeCloseTo(Math.tanh(1 / 7 - 1), 6);
    expect(first[0]).toBeCloseTo(Math.tanh(-1), 6);
    await scopeAsync(async () => ramp([5, 9]).exp().data());
    expect(backend.pipelineCount()).toBe(compiled + 1);
  });

  it('steps after the first compile nothing new', async () => {
    const x = ramp([8, 6]);
    let w = ramp([6, 3]);
    const f = valueAndGrad((a: Tensor) => x.matmul(a).sigmoid().square().mean());
    const step = async () => {
      const { value, grads } = f(w);
      const g = (grads as Tensor[])[0]!;
      const next = scope(() => w.sub(g.mul(0.1)));
      [w, g].forEach((t) => t.dispose());
      w = next;
      await value.data();
      value.dispose();
    };
    await step();
    const compiled = backend.pipelineCount();
    for (let i = 0; i < 20; i++) await step();
    expect(backend.pipelineCount()).toBe(compiled);
    [x, w].forEach((t) => t.dispose());
  });
});
