// Claim (QORNN, spec §9.5): "QAT beats PTQ" — quantizing a trained float orthogonal RNN to 4 bits after training
// destroys what it learned on the copy task (cross-entropy back above the memoryless baseline), whereas training with
// the 4-bit quantizers in the loop (qornn-copy-task.test.ts, same task, model and steps) ends far below it.
import { describe, expect, it } from 'vitest';
import { copyTaskBaseline } from '@nibble/data';
import { steBjorck } from '../../src/index.ts';
import { CopyModel, evalCrossEntropy, GAP, HIDDEN, STEPS, trainCopyModel } from './copy-task-model.ts';

describe('claim (spec §9.5): 4-bit PTQ of a trained float OrthogonalRNN loses the copy task', () => {
  it(`T = ${GAP}, n = ${HIDDEN}, ${STEPS} float steps: float CE < 0.5 × baseline, 4-bit PTQ CE > baseline`, () => {
    const model = new CopyModel();
    const ms = trainCopyModel(model);
    const float = evalCrossEntropy(model);
    // STE quantizers calibrate (max-abs) on the first tensor they see: attaching them to the trained model is PTQ.
    const { recurrent, input } = steBjorck(model.rnn, { bits: 4 });
    const ptq = evalCrossEntropy(model);
    const baseline = copyTaskBaseline(GAP);
    console.log(`float ORNN, T = ${GAP}, n = ${HIDDEN}, ${STEPS} steps (${ms.toFixed(0)} ms): eval CE ${float.toFixed(4)}; 4-bit PTQ ${ptq.toFixed(4)}; baseline ${baseline.toFixed(4)}`);
    recurrent[Symbol.dispose]();
    input?.[Symbol.dispose]();
    model.dispose();
    expect(float).toBeLessThan(0.5 * baseline);
    expect(ptq).toBeGreaterThan(baseline);
  });
});
