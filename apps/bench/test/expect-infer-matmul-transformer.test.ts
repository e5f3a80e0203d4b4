// Validates the data generation against the case file's float64 outSum / loss0 of the inference, transformer and
// matmul cases (see expect-lstm-train.test.ts for the training LSTMs).
import { describe, expect, it } from 'vitest';
import { loadCaseFile } from '../src/cases/train-cases.js';
import { lstmData, matmulData, transformerData } from '../src/cases/case-data.js';
import { lstmLogits64 } from '../src/reference/lstm64.js';
import { transformerLoss64 } from '../src/reference/transformer64.js';
import { matmul64, sum64 } from '../src/reference/matmul64.js';

const relErr = (got: number, want: number): number => Math.abs(got - want) / Math.abs(want);

describe('inference, transformer and matmul cases reproduce their float64 expect values', () => {
  for (const c of loadCaseFile().cases) {
    if (c.kind === 'lstm_infer') {
      it(`${c.id}: sum of logits = expect.outSum`, () => {
        expect(relErr(sum64(lstmLogits64(lstmData(c))), c.expect.outSum)).toBeLessThan(1e-8);
      });
    } else if (c.kind === 'transformer_train') {
      it(`${c.id}: MSE loss = expect.loss0`, () => {
        expect(relErr(transformerLoss64(transformerData(c)), c.expect.loss0)).toBeLessThan(1e-8);
      });
    } else if (c.kind === 'matmul') {
      it(`${c.id}: sum of C = expect.outSum`, () => {
        const d = matmulData(c);
        expect(relErr(sum64(matmul64(d.a, d.b, c.n, c.n, c.n)), c.expect.outSum)).toBeLessThan(1e-8);
      });
    }
  }
});
