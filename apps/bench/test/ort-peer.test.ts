// onnxruntime-node runs the ONNX models the bench writes itself and reproduces the case file's float64 values: this
// checks the protobuf writer, the ONNX field numbers and the i,f,g,o → i,o,f,c gate reordering of the LSTM.
import { describe, expect, it } from 'vitest';
import { caseData } from '../src/cases/case-data.js';
import { loadCaseFile, type BenchCase } from '../src/cases/train-cases.js';
import { checkExpect } from '../src/run/output-checks.js';
import type { CaseFactory } from '../src/targets/bench-target.js';
import { ortTarget } from '../src/targets/ort/ort-target.js';

const cases = loadCaseFile().cases;
const byId = (id: string): BenchCase => {
  const c = cases.find((k) => k.id === id);
  if (!c) throw new Error(`no case ${id}`);
  return c;
};

describe('onnxruntime-node peer', () => {
  const ort = ortTarget(1);

  it('is available (the CPU build ships inside the npm package)', async () => {
    expect(await ort.available()).toEqual({ ok: true });
  });

  for (const id of ['matmul_256', 'lstm_infer_h512']) {
    it(`${id}: first output matches expect to 1e-4 and repeats bit-identically`, async () => {
      const c = byId(id);
      const factory = ort.cases[c.kind] as CaseFactory<typeof c.kind> as (c: BenchCase, d: unknown) => ReturnType<CaseFactory<'matmul'>>;
      const prepared = await factory(c, caseData(c));
      const first = await prepared.step();
      const check = checkExpect(c, first);
      expect(check.ok, check.detail).toBe(true);
      const second = await prepared.step();
      expect(second).toEqual(first);
      await prepared.dispose();
    });
  }

  it('does not claim training cases', () => {
    expect(Object.keys(ort.cases).sort()).toEqual(['lstm_infer', 'matmul', 'qmatvec']);
  });
});
