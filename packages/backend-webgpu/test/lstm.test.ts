// The fused lstmSequence / lstmSequenceGrad kernels against the CPU backend's (float64-accumulating) kernels, on
// random sizes with strided inputs (a transposed xProj, a broadcast h0), forward values and all four gradients.
import { createRuntime, lstmSequence, tensor, valueAndGrad, type Runtime, type Tensor } from '@nibble/core';
import { cpu } from '@nibble/backend-cpu';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webgpu } from '../src/index.ts';
import { webgpuAvailability } from './setup.ts';

const { run, reason } = await webgpuAvailability();

interface Case { b: number; t: number; h: number; xp: number[]; wh: number[]; h0: number[]; c0: number[]; w: number[] }

const arbCase = fc
  .tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 6 }))
  .chain(([b, t, h]) => {
    const vals = (n: number) => fc.array(fc.float({ min: -2, max: 2, noNaN: true }), { minLength: n, maxLength: n });
    return fc.record({
      b: fc.constant(b), t: fc.constant(t), h: fc.constant(h),
      xp: vals(b * t * 4 * h), wh: vals(h * 4 * h), h0: vals(h), c0: vals(b * h), w: vals(b * t * 2 * h),
    });
  });

/** Inputs on one runtime: xProj stored [T, B, 4H] and transposed, h0 one row broadcast over the batch. */
function inputs(rt: Runtime, c: Case): { xp: Tensor; wh: Tensor; h0: Tensor; c0: Tensor; w: Tensor; free: Tensor[] } {
  const xpTB = tensor(c.xp, { shape: [c.t, c.b, 4 * c.h], runtime: rt });
  const h0row = tensor(c.h0, { shape: [1, c.h], runtime: rt });
  const xp = xpTB.transpose(0, 1);
  const h0 = h0row.expand([c.b, c.h]);
  const wh = tensor(c.wh, { shape: [c.h, 4 * c.h], runtime: rt });
  const c0 = tensor(c.c0, { shape: [c.b, c.h], runtime: rt });
  const w = tensor(c.w, { shape: [c.b, c.t, 2, c.h], runtime: rt });
  return { xp, wh, h0, c0, w, free: [xpTB, h0row, xp, h0, wh, c0, w] };
}

async function evaluate(rt: Runtime, c: Case): Promise<Float32Array[]> {
  const { xp, wh, h0, c0, w, free } = inputs(rt, c);
  const y = lstmSequence(xp, wh, h0, c0);
  const { value, grads } = valueAndGrad((a: Tensor, b: Tensor, p: Tensor, q: Tensor) => lstmSequence(a, b, p, q).mul(w).sum())(xp, wh, h0, c0);
  const out = [y, value, ...(grads as Tensor[])];
  const data = await Promise.all(out.map(async (t) => Float32Array.from(await t.data())));
  [...out, ...free].forEach((t) => t.dispose());
  return data;
}

describe.skipIf(!run)(`fused LSTM kernels${run ? '' : ` (skipped: ${reason})`}`, () => {
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

  it('declares the capabilities on this adapter (it binds 10 storage buffers)', () => {
    expect([...gpu.backend().capabilities]).toEqual(expect.arrayContaining(['lstmSequence', 'lstmSequenceGrad']));
  });

  it('Y and the gradients of xProj, Wh, h0, c0 match the cpu kernels', async () => {
    const names = ['Y', 'loss', 'gXProj', 'gWh', 'gh0', 'gc0'];
    await fc.assert(
      fc.asyncProperty(arbCase, async (c) => {
        const [want, got] = [await evaluate(ref, c), await evaluate(gpu, c)];
        want.forEach((wv, k) => {
          const scale = 1 + Math.max(...Array.from(wv, Math.abs));
          wv.forEach((v, i) => {
            if (Math.abs(got[k]![i]! - v) > 2e-5 * scale) expect.fail(`${names[k]}[${i}]: webgpu ${got[k]![i]}, cpu ${v}`);
          });
        });
      }),
      { numRuns: 12 },
    );
  });
});
