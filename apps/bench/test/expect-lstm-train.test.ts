// Validates the data generation (lcg32, uniformSym, labels, glorot) against the case file's independent float64
// loss0 values: a float64 implementation of the model on our float32 data must reproduce them to ~1e-9.
import { describe, expect, it } from 'vitest';
import { loadCaseFile, type LstmTrainCase } from '../src/cases/train-cases.js';
import { lstmData } from '../src/cases/case-data.js';
import { lstmLogits64, softmaxCrossEntropy64 } from '../src/reference/lstm64.js';

const cases = loadCaseFile().cases.filter((c): c is LstmTrainCase => c.kind === 'lstm_train');

describe('lstm_train cases reproduce expect.loss0 in float64', () => {
  it('has the three LSTM training cases', () => expect(cases.map((c) => c.id)).toHaveLength(3));
  for (const c of cases) {
    it(c.id, () => {
      const d = lstmData(c);
      const loss0 = softmaxCrossEntropy64(lstmLogits64(d), d.labels, c.C);
      expect(Math.abs(loss0 - c.expect.loss0) / Math.abs(c.expect.loss0)).toBeLessThan(1e-8);
    });
  }
});
