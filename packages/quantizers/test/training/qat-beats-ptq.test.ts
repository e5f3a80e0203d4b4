// Claim (quantizers-spec §9.1, §9.4, §9.5; Quant-Noise Table 1, LSQ, QORNN): at 4 bits per tensor, post-training
// quantization of a float model degrades it clearly, while fine-tuning the same float model with quantization in the
// loop (STE, LSQ, scalar Quant-Noise, RAND) ends far closer to it. Measured on a task built so that per-tensor 4-bit
// PTQ genuinely hurts (weights with outliers, see mlp-task.ts). Every QAT model is evaluated in eval mode, i.e. fully
// quantized (for Quant-Noise too, spec §3.5).
import { describe, expect, it } from 'vitest';
import type { Sequential } from '@nibble/layers';
import { adam } from '@nibble/optim';
import { calibrate, prepareQat, type QatHandle, type QatPlan, quantizeWeights } from '../../src/index.ts';
import { evaluate, slice, trainClassifier } from './harness.ts';
import { buildMlp, outlierTask, peakToStd } from './mlp-task.ts';

const train = outlierTask(4096, 11);
const test = outlierTask(2048, 22);
const calibration = [slice(train, 0, 512)];

/** A fresh model holding a copy of `source`'s weights. */
function copyOf(source: Sequential): Sequential {
  const m = buildMlp();
  const state = new Map([...source.stateDict()].map(([k, t]) => [k, t.clone()]));
  m.loadStateDict(state);
  for (const t of state.values()) t.dispose();
  return m;
}

/** A plain float model (no quantizers) holding dequantize(export(w)) of every quantized weight, in eval mode. */
function deployed(qat: QatHandle): Sequential {
  const state = quantizeWeights(qat);
  const m = buildMlp();
  m.loadStateDict(state);
  for (const t of state.values()) t.dispose();
  return m.eval();
}

const plans: Record<string, QatPlan> = {
  'STE (max-abs, clipped STE)': [{ pattern: '*.weight', quantizer: 'ste', config: { bits: 4 } }],
  LSQ: [{ pattern: '*.weight', quantizer: 'lsq', config: { bits: 4 } }],
  'Quant-Noise (scalar, p = 0.5)': [{ pattern: '*.weight', quantizer: 'quant-noise', config: { variant: 'scalar', p: 0.5, target: { bits: 4 } } }],
  'RAND (PQN, mode 2, p = 4)': [{ pattern: '*.weight', quantizer: 'rand', config: { bits: 4, granularity: 'tensor', flavour: 'pqn', mode: '2' } }],
};

describe('claim (spec §9.1, §9.3, §9.4): 4-bit QAT (STE / LSQ / Quant-Noise / RAND) ends far better than 4-bit PTQ of the float model', () => {
  const float = buildMlp();
  let ptq = { loss: NaN, accuracy: NaN };

  it('the float model fits the task, and 4-bit per-tensor PTQ of it degrades clearly', () => {
    trainClassifier({ model: float, trainable: float, optimizer: adam({ lr: 1e-2 }), data: train, steps: 1500, batchSize: 128, seed: 0 });
    float.eval();
    const fp = evaluate(float, test);
    const outliers = peakToStd(float.namedParameters().get('0.weight')!.dataSync() as Float32Array);

    // PTQ: attach 4-bit per-tensor STE quantizers, calibrate, then run the plain float model on quantizeWeights' state.
    const prepared = copyOf(float);
    const qat = prepareQat(prepared, plans['STE (max-abs, clipped STE)']!);
    calibrate(prepared, calibration, (m, b) => evaluate(m, b));
    const ptqModel = deployed(qat);
    ptq = evaluate(ptqModel, test);
    prepared.eval();
    expect(evaluate(prepared, test).loss).toBeCloseTo(ptq.loss, 4); // the eval-mode fake-quantized model is the same PTQ model
    console.log(`float: loss ${fp.loss.toFixed(4)} acc ${fp.accuracy.toFixed(4)}, layer-0 max|w|/std ${outliers.toFixed(2)}; 4-bit PTQ: loss ${ptq.loss.toFixed(4)} acc ${ptq.accuracy.toFixed(4)}`);
    qat.detach();
    prepared.dispose();
    ptqModel.dispose();

    expect(fp.accuracy).toBeGreaterThan(0.93);
    expect(ptq.loss).toBeGreaterThan(4 * fp.loss);
    expect(ptq.accuracy).toBeLessThan(fp.accuracy - 0.05);
  });

  for (const [name, plan] of Object.entries(plans)) {
    it(`${name}: fine-tuned from the float model, the fully quantized eval model beats PTQ by a clear margin`, () => {
      expect(Number.isFinite(ptq.loss)).toBe(true);
      const model = copyOf(float);
      const qat = prepareQat(model, plan);
      // Initializes ranges / LSQ steps / RAND's c₀ from the float weights (and creates LSQ's step parameter, which
      // must exist before the optimizer's state is built).
      calibrate(model, calibration, (m, b) => evaluate(m, b));
      trainClassifier({ model, trainable: qat.trainable(), optimizer: adam({ lr: 3e-3 }), data: train, steps: 400, batchSize: 128, seed: 5 });
      model.eval();
      const r = evaluate(model, test);
      console.log(`${name}: 4-bit QAT loss ${r.loss.toFixed(4)} acc ${r.accuracy.toFixed(4)} (loss / PTQ loss ${(r.loss / ptq.loss).toFixed(3)})`);
      // Eval mode is the deployable 4-bit model: a plain float model on the exported-and-dequantized weights agrees.
      const exported = deployed(qat);
      expect(evaluate(exported, test).loss).toBeCloseTo(r.loss, 4);
      exported.dispose();
      qat.detach();
      model.dispose();
      expect(r.loss).toBeLessThan(0.75 * ptq.loss);
      expect(r.accuracy).toBeGreaterThan(ptq.accuracy + 0.02);
    });
  }
});
