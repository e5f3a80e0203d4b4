// Both matmul kernels (workgroup-tiled for GPUs, register-blocked for software adapters) against the CPU reference on
// shapes that cross tile edges (up to 150), transposed operands and broadcast batch axes.
import { createRuntime, matmul, tensor, type Runtime, type Tensor } from '@nibble/core';
import { cpu } from '@nibble/backend-cpu';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webgpuFactory, type WebGpuBackend } from '../src/index.ts';
import { seeded } from './cases.ts';
import { webgpuAvailability } from './setup.ts';

const { run, reason } = await webgpuAvailability();

interface Case { batchA: number[]; batchB: number[]; m: number; k: number; n: number; ta: boolean; tb: boolean; seed: number }

const arbCase: fc.Arbitrary<Case> = fc.record({
  batchA: fc.constantFrom([], [2], [3, 1]),
  batchB: fc.constantFrom([], [1], [2]),
  m: fc.integer({ min: 1, max: 150 }),
  k: fc.integer({ min: 1, max: 70 }),
  n: fc.integer({ min: 1, max: 150 }),
  ta: fc.boolean(),
  tb: fc.boolean(),
  seed: fc.nat(),
});

function operand(rt: Runtime, batch: number[], rows: number, cols: number, transposed: boolean, rand: () => number): Tensor[] {
  const shape = transposed ? [...batch, cols, rows] : [...batch, rows, cols];
  const t = tensor(Float32Array.from({ length: shape.reduce((a, d) => a * d, 1) }, () => rand() * 2 - 1), { shape, runtime: rt });
  return transposed ? [t, t.transpose()] : [t, t];
}

async function product(rt: Runtime, c: Case): Promise<Float32Array> {
  const rand = seeded(c.seed);
  const [a0, a] = operand(rt, c.batchA, c.m, c.k, c.ta, rand);
  const [b0, b] = operand(rt, c.batchB, c.k, c.n, c.tb, rand);
  const y = matmul(a!, b!);
  const out = Float32Array.from(await y.data());
  new Set([a0, a, b0, b, y]).forEach((t) => t!.dispose());
  return out;
}

describe.skipIf(!run)(`matmul kernels${run ? '' : ` (skipped: ${reason})`}`, () => {
  let ref: Runtime;
  const gpus: Record<string, Runtime> = {};
  beforeAll(async () => {
    ref = createRuntime({ backends: [cpu] });
    ref.useSync('cpu');
    for (const kernel of ['tiled', 'register', 'auto'] as const) {
      const rt = createRuntime({ backends: [webgpuFactory({ name: `webgpu-${kernel}`, matmulKernel: kernel })] });
      await rt.use(`webgpu-${kernel}`);
      gpus[kernel] = rt;
    }
  });
  afterAll(() => {
    ref?.[Symbol.dispose]();
    Object.values(gpus).forEach((rt) => rt[Symbol.dispose]());
  });

  it('auto picks the register kernel on a software adapter (SwiftShader here) and tiles elsewhere', () => {
    const b = gpus.auto!.backend() as WebGpuBackend;
    expect((gpus.tiled!.backend() as WebGpuBackend).tuning.tiledMatmul).toBe(true);
    expect((gpus.register!.backend() as WebGpuBackend).tuning.tiledMatmul).toBe(false);
    expect(b.tuning.tiledMatmul).toBe(!b.softwareAdapter);
    if (process.env.VK_ICD_FILENAMES?.includes('swiftshader')) expect(b.softwareAdapter).toBe(true);
  });

  for (const kernel of ['tiled', 'register'] as const) {
    it(`${kernel}: matches the cpu backend within 1e-5 of Σ|a||b|`, async () => {
      await fc.assert(
        fc.asyncProperty(arbCase, async (c) => {
          const want = await product(ref, c);
          const got = await product(gpus[kernel]!, c);
          expect(got.length).toBe(want.length);
          // |Σ a·b| ≤ Σ|a||b| ≤ k for entries in [−1, 1]: an absolute bound scaled by k
          const tol = 1e-5 * c.k;
          want.forEach((w, i) => {
            if (Math.abs(got[i]! - w) > tol) expect.fail(`${kernel} [${i}]: webgpu ${got[i]}, cpu ${w}`);
          });
        }),
        { numRuns: 15 },
      );
    });
  }
});
