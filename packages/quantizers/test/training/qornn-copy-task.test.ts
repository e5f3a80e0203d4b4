// Claim (QORNN, Foucault et al.; quantizers-spec §7.3, §9.5): an orthogonal RNN whose recurrent and input matrices are
// quantized to 4 bits with STE-Björck still learns the copy task, i.e. its cross-entropy goes clearly below the
// memoryless baseline 10·ln 8 / (T + 20) (predict blanks, then guess uniformly among the 8 symbols).
import { describe, expect, it } from 'vitest';
import { noGrad, scope, type Tensor } from '@nibble/core';
import { copyTaskBaseline } from '@nibble/data';
import { steBjorck } from '../../src/index.ts';
import { CopyModel, evalCrossEntropy, GAP, HIDDEN, STEPS, trainCopyModel } from './copy-task-model.ts';

describe('claim (spec §7.3, §9.5): a 4-bit STE-Björck OrthogonalRNN beats the memoryless baseline on the copy task', () => {
  it(`T = ${GAP}, n = ${HIDDEN}, ${STEPS} steps: eval cross-entropy of the fully quantized model < 0.8 × baseline`, () => {
    const model = new CopyModel();
    const { recurrent, input } = steBjorck(model.rnn, { bits: 4 });
    const ms = trainCopyModel(model);
    const loss = evalCrossEntropy(model);
    const baseline = copyTaskBaseline(GAP);
    console.log(`4-bit STE-Björck ORNN, T = ${GAP}, n = ${HIDDEN}, ${STEPS} steps (${ms.toFixed(0)} ms): eval CE ${loss.toFixed(4)}, baseline ${baseline.toFixed(4)}, ratio ${(loss / baseline).toFixed(3)}`);

    // The eval forward really computes with 4-bit matrices: at most 15 distinct values (codes −7..7 of the symmetric
    // narrow grid times one scale), for q(Björck(V)) and for q(U).
    const distinct = (t: Tensor) => new Set(t.dataSync()).size;
    const levels = scope(() =>
      noGrad(() => [
        distinct(model.rnn.recurrentMatrix()),
        distinct(input!.forward(model.rnn.rawParameter('inputWeight'), { training: false, step: STEPS, epoch: 0, key: { seed: 1, stream: 0, counter: 0 } })),
      ]),
    );
    recurrent[Symbol.dispose]();
    input?.[Symbol.dispose]();
    model.dispose();

    expect(loss).toBeLessThan(0.8 * baseline);
    expect(levels[0]).toBeLessThanOrEqual(15);
    expect(levels[0]).toBeGreaterThan(2);
    expect(levels[1]).toBeLessThanOrEqual(15);
  });
});
