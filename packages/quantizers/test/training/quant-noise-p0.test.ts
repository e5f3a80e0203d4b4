// Claim (quantizers-spec §3.5): Quant-Noise with noise rate p = 0 noises nothing, so training with it attached is the
// float training run bit for bit — same forward values, same gradients, same optimizer updates.
import { describe, expect, it } from 'vitest';
import { adam } from '@nibble/optim';
import { prepareQat } from '../../src/index.ts';
import { snapshot, trainClassifier } from './harness.ts';
import { buildMlp, outlierTask } from './mlp-task.ts';

const data = outlierTask(1024, 3);
const STEPS = 60;

function run(config: unknown | undefined): Map<string, Float32Array> {
  const model = buildMlp();
  const qat = config === undefined ? undefined : prepareQat(model, [{ pattern: '*.weight', quantizer: 'quant-noise', config }]);
  trainClassifier({ model, trainable: qat ? qat.trainable() : model, optimizer: adam({ lr: 1e-2 }), data, steps: STEPS, batchSize: 64, seed: 9 });
  qat?.detach();
  const out = snapshot(model);
  model.dispose();
  return out;
}

function bytesOf(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

describe('claim (spec §3.5): Quant-Noise with p = 0 equals the float run bit for bit', () => {
  const float = run(undefined);
  const fresh = buildMlp();
  const initial = snapshot(fresh);
  fresh.dispose();

  it.each([
    ['scalar (variant A, 4-bit target)', { variant: 'scalar', p: 0, target: { bits: 4 } }],
    ['proxy (variant B, blocks of 4)', { variant: 'proxy', p: 0, blockSize: 4 }],
  ])('%s: after 60 Adam steps the weights are byte-identical to the float run', (_name, config) => {
    const noised = run(config);
    expect([...noised.keys()]).toEqual([...float.keys()]);
    for (const [name, w] of float) {
      expect(w.some((v, i) => v !== initial.get(name)![i])).toBe(true); // real training results, not the init
      expect(Buffer.compare(Buffer.from(bytesOf(noised.get(name)!)), Buffer.from(bytesOf(w)))).toBe(0);
    }
  });

  it('the comparison can fail: a run with p = 0.1 differs from the float run', () => {
    const noised = run({ variant: 'scalar', p: 0.1, target: { bits: 4 } });
    const differs = [...float].some(([name, w]) => Buffer.compare(Buffer.from(bytesOf(noised.get(name)!)), Buffer.from(bytesOf(w))) !== 0);
    expect(differs).toBe(true);
  });
});
