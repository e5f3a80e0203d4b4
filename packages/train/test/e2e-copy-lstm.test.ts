import { defaultRuntime, tensor } from '@nibble/core';
import { cpuNative, nativeUnavailableReason } from '@nibble/backend-cpu';
import { COPY_TASK, copyTaskBaseline } from '@nibble/data';
import { adam, disposeOptimizerState } from '@nibble/optim';
import { expect, it } from 'vitest';
import { evaluate, fit } from '../src/index.ts';
import { copyBatch, copyTrainingBatches } from './fixtures/copy-data.ts';
import { CopyLstm, sequenceAccuracy, sequenceLoss } from './fixtures/sequence-models.ts';

// The native CPU kernels (C++ LSTM sequence kernels): the full task needs ~6000 Adam steps, many minutes on
// the TypeScript kernels but ~1.5 min here. CI machines have g++, so the addon is built; say so loudly if it is not.
if (!defaultRuntime.registered().includes('cpu')) defaultRuntime.register(cpuNative);

// Issue 3 acceptance: an LSTM solves the copy task of spec §7.7 at T = 10 — 10 symbols from {1..8}, T − 1 blanks, the
// marker, 10 blanks; recall the 10 symbols after the marker. Memoryless baseline 10·ln 8/(T + 20).
const GAP = 10;
const HIDDEN = 128;
const BATCH = 32;
// 6000 steps, not 4000: which instruction set the native kernels use changes the rounding (1e-7 relative after one
// step), and training amplifies it (5e-4 after 100 steps), so each ISA follows its own trajectory. At 4000 steps the
// scalar kernels reached 1.7 % of the baseline (recall 0.988) but the AVX2 ones 10.5 % (recall 0.912, a fail on
// Zen 3); at 6000 the AVX2 run reaches 2.5 % (recall 0.982).
const STEPS = 6000;
const FORGET_BIAS = 4;

it('an LSTM solves the copy task at T = 10: held-out loss < 10 % of the memoryless baseline, recall > 95 %', async () => {
  expect(nativeUnavailableReason(), 'native CPU kernels (needed to train this in minutes)').toBeUndefined();
  const model = new CopyLstm(HIDDEN, 1);
  // Forget-gate bias (Jozefowicz et al. 2015): f ≈ σ(4) ≈ 0.98 at the start, so the gradient of the recall steps
  // reaches the symbols across the gap instead of vanishing.
  const bias = Float32Array.from(model.lstm.rawParameter('biasHh0').dataSync());
  bias.fill(FORGET_BIAS, HIDDEN, 2 * HIDDEN);
  model.lstm.assign({ biasHh0: tensor(bias) });
  const heldOut = copyBatch(GAP, 256, 2);
  const baseline = copyTaskBaseline(GAP);
  const started = performance.now();
  const result = await fit({
    model, optimizer: adam({ lr: 0.01 }), lossFn: sequenceLoss, clipNorm: 1, seed: 1, progress: false,
    trainData: copyTrainingBatches(GAP, BATCH, STEPS, 100), steps: STEPS,
  });
  const seconds = (performance.now() - started) / 1000;
  const { loss } = await evaluate(model, [heldOut], sequenceLoss);
  model.eval();
  const recall = sequenceAccuracy(model, heldOut, (t) => t >= GAP + COPY_TASK.memoryLength);
  console.log(`copy-lstm T=${GAP} H=${HIDDEN}: ${STEPS} steps in ${seconds.toFixed(1)} s; held-out loss ${loss!.toFixed(4)} nats/step, baseline ${baseline.toFixed(4)} (${((100 * loss!) / baseline).toFixed(1)} %), recall accuracy ${recall.toFixed(3)}`);
  expect(loss).toBeLessThan(0.1 * baseline);
  expect(recall).toBeGreaterThan(0.95);
  disposeOptimizerState(result.state);
  model.dispose();
}, 900_000); // ~90 s on a 2-core machine shared with another job
