// nibble's own rows (TypeScript kernels and the native addon, through @nibble/core's public API) reproduce the case
// file's float64 values, and one SGD step lowers the loss.
import { describe, expect, it } from 'vitest';
import { caseData } from '../src/cases/case-data.js';
import { loadCaseFile, type BenchCase } from '../src/cases/train-cases.js';
import { checkExpect } from '../src/run/output-checks.js';
import type { BenchTarget, CaseFactory, PreparedCase } from '../src/targets/bench-target.js';
import { nibbleCpuTarget } from '../src/targets/nibble/nibble-cpu-target.js';
import { nibbleWebgpuTarget } from '../src/targets/nibble/nibble-webgpu-target.js';

const cases = loadCaseFile().cases;

async function prepare(t: BenchTarget, id: string): Promise<{ c: BenchCase; p: PreparedCase }> {
  const c = cases.find((k) => k.id === id);
  if (!c) throw new Error(`no case ${id}`);
  const factory = t.cases[c.kind] as unknown as (c: BenchCase, d: unknown) => ReturnType<CaseFactory<'matmul'>>;
  return { c, p: await factory(c, caseData(c)) };
}

for (const flavour of ['cpu', 'native'] as const) {
  describe(`nibble ${flavour} target`, () => {
    const target = nibbleCpuTarget(flavour);

    it('is available, or says why not', async () => {
      const a = await target.available();
      if (flavour === 'cpu') expect(a).toEqual({ ok: true });
      else if (!a.ok) expect(a.reason).toMatch(/native kernels unavailable: .+/);
    });

    for (const id of ['matmul_256', 'lstm_infer_h512', 'lstm_train_h128']) {
      it(`${id}: first output matches expect to 1e-4${id.includes('train') ? ', and the loss drops after one SGD step' : ''}`, async () => {
        if (!(await target.available()).ok) return; // native addon not built: covered by the test above
        const { c, p } = await prepare(target, id);
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
  });
}

describe('nibble webgpu target', () => {
  const target = nibbleWebgpuTarget();

  it('matmul_256 matches expect on whatever adapter exists (SwiftShader here), or says why it cannot run', async () => {
    const a = await target.available();
    if (!a.ok) {
      expect(a.reason).toMatch(/backend-webgpu/);
      return;
    }
    const { c, p } = await prepare(target, 'matmul_256');
    const check = checkExpect(c, await p.step());
    expect(check.ok, check.detail).toBe(true);
    await p.dispose();
  });
});
