import { defaultRuntime } from '@nibble/core';
import { cpu } from '@nibble/backend-cpu';
import { adam, disposeOptimizerState } from '@nibble/optim';
import { expect, it } from 'vitest';
import { evaluate, fit } from '../src/index.ts';
import { charWindows, unigramEntropy } from './fixtures/char-corpus.ts';
import { CharLstm, sequenceLoss } from './fixtures/sequence-models.ts';

if (!defaultRuntime.registered().includes('cpu')) defaultRuntime.register(cpu);

// Issue 3 acceptance: a character LSTM's loss on @nibble/data's character corpus falls well below the unigram entropy
// of the training text. Measured on held-out (validation) speeches, so it is not memorization.
const BATCH = 16;
const LENGTH = 32;
const STEPS = 150;

it('a character LSTM on State of the Union text gets well below the unigram entropy on held-out speeches', async () => {
  const data = await charWindows({ trainChars: 400_000, validChars: BATCH * LENGTH * 8 + BATCH, batchSize: BATCH, length: LENGTH });
  const entropy = unigramEntropy(data.train, data.vocab);
  const model = new CharLstm(data.vocab, 16, 32, 1);
  const started = performance.now();
  const result = await fit({
    model, optimizer: adam({ lr: 0.01 }), lossFn: sequenceLoss, clipNorm: 1, seed: 1, progress: false,
    trainData: data.trainWindows, steps: STEPS,
  });
  const seconds = (performance.now() - started) / 1000;
  const { loss } = await evaluate(model, data.validWindows, sequenceLoss);
  console.log(`char-lstm: ${STEPS} steps in ${seconds.toFixed(1)} s; held-out loss ${loss!.toFixed(3)} nats/char vs training unigram entropy ${entropy.toFixed(3)} (${((100 * loss!) / entropy).toFixed(1)} %)`);
  expect(entropy).toBeGreaterThan(2.5); // real English text, not a degenerate slice
  expect(loss).toBeLessThan(0.8 * entropy);
  disposeOptimizerState(result.state);
  model.dispose();
}, 300_000); // ~20–30 s on an idle 2-core machine; several times that when the machine is shared
