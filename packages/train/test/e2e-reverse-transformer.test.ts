import { defaultRuntime } from '@nibble/core';
import { cpu } from '@nibble/backend-cpu';
import { adam, disposeOptimizerState } from '@nibble/optim';
import { expect, it } from 'vitest';
import { fit } from '../src/index.ts';
import { reversalBatch } from './fixtures/reversal.ts';
import { sequenceAccuracy, sequenceLoss, TokenTransformer } from './fixtures/sequence-models.ts';

if (!defaultRuntime.registered().includes('cpu')) defaultRuntime.register(cpu);

// Issue 3 acceptance: a 2-layer Transformer learns to reverse sequences (> 95 % accuracy on held-out sequences).
const LENGTH = 8;
const VOCAB = 10;
const STEPS = 120;

it('a 2-layer Transformer encoder learns to reverse sequences: > 95 % token accuracy on held-out sequences', async () => {
  const model = new TokenTransformer({ vocab: VOCAB, dModel: 32, heads: 4, ff: 64, layers: 2, maxLen: LENGTH, seed: 1 });
  // training batch k uses Philox seed k; held-out sequences use a seed no training batch uses
  const heldOut = reversalBatch(512, LENGTH, VOCAB, 1_000_000);
  model.eval();
  const before = sequenceAccuracy(model, heldOut);
  model.train();
  const started = performance.now();
  const result = await fit({
    model, optimizer: adam({ lr: 0.005 }), lossFn: sequenceLoss, clipNorm: 1, seed: 1, progress: false,
    trainData: (epoch) => Array.from({ length: STEPS }, (_, k) => reversalBatch(32, LENGTH, VOCAB, epoch * STEPS + k)),
    steps: STEPS,
  });
  const seconds = (performance.now() - started) / 1000;
  model.eval();
  const accuracy = sequenceAccuracy(model, heldOut);
  console.log(`reverse-transformer: ${STEPS} steps in ${seconds.toFixed(1)} s; held-out accuracy ${before.toFixed(3)} → ${accuracy.toFixed(4)}; last train loss ${result.history.train.at(-1)!.loss.toFixed(4)}`);
  expect(before).toBeLessThan(0.2); // chance is 1/10: the model starts knowing nothing
  expect(accuracy).toBeGreaterThan(0.95);
  disposeOptimizerState(result.state);
  model.dispose();
}, 300_000); // ~20–30 s on an idle 2-core machine; several times that when the machine is shared
