import { defaultRuntime } from '@nibble/core';
import { cpu } from '@nibble/backend-cpu';
import { copyTaskBaseline } from '@nibble/data';
import { adam, disposeOptimizerState } from '@nibble/optim';
import { expect, it } from 'vitest';
import { evaluate, fit } from '../src/index.ts';
import { copyBatch, copyTrainingBatches } from './fixtures/copy-data.ts';
import { CopyOrthogonalRnn, sequenceLoss } from './fixtures/sequence-models.ts';

if (!defaultRuntime.registered().includes('cpu')) defaultRuntime.register(cpu);

// Issue 3 acceptance: an OrthogonalRNN gets well below the memoryless baseline 10·ln 8/(T + 20) at T = 50.
const GAP = 50;
const HIDDEN = 64;
const STEPS = 150;

it('an OrthogonalRNN (Björck, modReLU) gets well below the memoryless baseline of the copy task at T = 50', async () => {
  const model = new CopyOrthogonalRnn(HIDDEN, 1);
  const heldOut = [copyBatch(GAP, 256, 2)];
  const baseline = copyTaskBaseline(GAP);
  const started = performance.now();
  const result = await fit({
    model, optimizer: adam({ lr: 0.001 }), lossFn: sequenceLoss, clipNorm: 1, seed: 1, progress: false,
    trainData: copyTrainingBatches(GAP, 16, STEPS, 1), steps: STEPS,
  });
  const seconds = (performance.now() - started) / 1000;
  const { loss } = await evaluate(model, heldOut, sequenceLoss);
  console.log(`copy-ornn T=${GAP} H=${HIDDEN}: ${STEPS} steps in ${seconds.toFixed(1)} s; held-out loss ${loss!.toFixed(4)} nats/step, baseline ${baseline.toFixed(4)} (${((100 * loss!) / baseline).toFixed(1)} %)`);
  expect(loss).toBeLessThan(0.5 * baseline);
  disposeOptimizerState(result.state);
  model.dispose();
}, 300_000); // ~20–30 s on an idle 2-core machine; several times that when the machine is shared
