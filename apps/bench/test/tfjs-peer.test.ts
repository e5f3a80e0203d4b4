// The TensorFlow.js peer reproduces the case file's float64 values on its wasm backend (loss0 of the transformer
// block, logits of the LSTM), and a training step lowers the loss (SGD with a correct gradient sign).
import { describe, expect, it } from 'vitest';
import { caseData } from '../src/cases/case-data.js';
import { loadCaseFile, type BenchCase } from '../src/cases/train-cases.js';
import { checkExpect } from '../src/run/output-checks.js';
import type { CaseFactory, PreparedCase } from '../src/targets/bench-target.js';
import { tfjsTarget } from '../src/targets/tfjs/tfjs-target.js';

const cases = loadCaseFile().cases;
const wasm = tfjsTarget('wasm');

async function prepare(id: string): Promise<{ c: BenchCase; p: PreparedCase }> {
  const c = cases.find((k) => k.id === id);
  if (!c) throw new Error(`no case ${id}`);
  const factory = wasm.cases[c.kind] as unknown as (c: BenchCase, d: unknown) => ReturnType<CaseFactory<'matmul'>>;
  return { c, p: await factory(c, caseData(c)) };
}

describe('tfjs peer (wasm backend)', () => {
  it('is available with SIMD', async () => {
    expect(await wasm.available()).toEqual({ ok: true });
    expect((await wasm.describe?.())?.['simd']).toBe(true);
  });

  for (const id of ['transformer_train_d128', 'lstm_train_h128', 'lstm_infer_h512', 'matmul_256']) {
    it(`${id}: first output matches expect to 1e-4`, async () => {
      const { c, p } = await prepare(id);
      const first = await p.step();
      const check = checkExpect(c, first);
      expect(check.ok, check.detail).toBe(true);
      if (first.kind === 'loss') {
        const second = await p.step();
        expect(second.kind === 'loss' && second.loss < first.loss).toBe(true);
      }
      await p.dispose();
    });
  }

  it('webgpu reports why it cannot run instead of crashing', async () => {
    const result = await tfjsTarget('webgpu').available();
    if (!result.ok) expect(result.reason).toMatch(/WebGPU/);
  });
});
