import { mkdtemp, readFile, rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultRuntime, scope } from '@nibble/core';
import { cpu } from '@nibble/backend-cpu';
import { adam, adamw, disposeOptimizerState, sgd } from '@nibble/optim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { epochBatches, Mlp, mlpLoss, regressionData } from '../test/fixtures/tiny-regression.ts';
import { CheckpointError, evaluate, fit, type FitEvent, TrainError, trainStep } from './index.ts';
import { loadCheckpoint, previousCheckpointPath } from './node.ts';

if (!defaultRuntime.registered().includes('cpu')) defaultRuntime.register(cpu);

const data = regressionData();
const evalBatches = () => epochBatches(data, 0)(0);
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nibble-fit-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function weights(model: Mlp): number[][] {
  return [...model.stateDict().values()].map((t) => [...t.dataSync()]);
}

describe('trainStep', () => {
  it('lowers the loss on a fixed batch and leaks no tensor', async () => {
    const model = new Mlp();
    const opt = adam({ lr: 0.01 });
    let state = opt.init(model.parameters());
    const batch = [...evalBatches()][0]!;
    const before = defaultRuntime.memory();
    const first = await trainStep(model, mlpLoss, batch, opt, state, { clipNorm: 1 });
    state = first.state;
    expect(defaultRuntime.memory()).toEqual(before);
    expect(first.gradNorm).toBeGreaterThan(0);
    let last = first.loss;
    for (let i = 0; i < 30; i++) {
      const r = await trainStep(model, mlpLoss, batch, opt, state);
      state = r.state;
      last = r.loss;
    }
    expect(defaultRuntime.memory()).toEqual(before);
    expect(last).toBeLessThan(first.loss * 0.7);
    disposeOptimizerState(state);
    model.dispose();
  });
});

describe('fit', () => {
  it('trains, evaluates every evalEvery steps, reports progress events and plain lines off a terminal, and leaks nothing', async () => {
    const memoryBefore = defaultRuntime.memory();
    const model = new Mlp();
    const lines: string[] = [];
    const events: FitEvent[] = [];
    const initial = await evaluate(model, evalBatches(), mlpLoss);
    const result = await fit({
      model, optimizer: adam({ lr: 0.01 }), trainData: epochBatches(data, 1), evalData: evalBatches, lossFn: mlpLoss,
      metrics: { rmse: (m, b) => mlpLoss(m, b).sqrt() }, steps: 40, evalEvery: 10, seed: 1,
      progress: { write: (s: string) => lines.push(s), isTTY: false }, onProgress: (e) => void events.push(e),
    });
    expect(result.step).toBe(40);
    expect(result.stopReason).toBe('steps');
    expect(result.history.train).toHaveLength(40);
    expect(result.history.eval.map((e) => e.step)).toEqual([10, 20, 30, 40]);
    expect(result.history.eval.at(-1)!.values.loss).toBeLessThan(initial.loss! * 0.6);
    // the metric is the mean over evaluation batches of its per-batch value, computed in evaluation mode (no dropout)
    model.eval();
    const perBatch = [...evalBatches()].map((b) => scope(() => Math.sqrt(mlpLoss(model, b).item())));
    const final = await evaluate(model, evalBatches(), mlpLoss, { rmse: (m, b) => mlpLoss(m, b).sqrt() });
    expect(model.training).toBe(false); // evaluate restores the mode it found
    model.train();
    expect(Math.abs(final.rmse! - perBatch.reduce((a, v) => a + v, 0) / perBatch.length)).toBeLessThan(1e-6);
    expect(result.history.eval.at(-1)!.values.rmse).toBe(final.rmse);
    expect(result.history.eval.at(-1)!.values.loss).toBe(final.loss);
    expect(lines.some((l) => /^eval step 40 epoch \d+: loss [\d.]+.*rmse [\d.]+/.test(l))).toBe(true);
    expect(events.filter((e) => e.type === 'step')).toHaveLength(40);
    expect(lines.some((l) => /^step 40\/40 epoch 4 loss \d/.test(l))).toBe(true);
    expect(lines.some((l) => l.startsWith('eval step 10 epoch 1: loss '))).toBe(true);
    expect(lines.every((l) => !l.includes('\r'))).toBe(true);
    disposeOptimizerState(result.state);
    model.dispose();
    expect(defaultRuntime.memory()).toEqual(memoryBefore);
  });

  it('stops early after `patience` evaluations without improvement', async () => {
    const model = new Mlp();
    let calls = 0;
    const options = {
      model, optimizer: sgd({ lr: 0.01 }), trainData: epochBatches(data, 1), evalData: evalBatches, lossFn: mlpLoss,
      // a metric that gets worse at every evaluation
      metrics: { worsening: () => ++calls }, epochs: 20, earlyStop: { patience: 2, monitor: 'worsening' }, progress: false as const,
      checkpoint: { path: join(dir, 'early.safetensors'), every: 1000 }, resume: true,
    };
    const result = await fit(options);
    expect(result.stopReason).toBe('earlyStop');
    expect(result.history.eval).toHaveLength(3);
    expect(result.epoch).toBe(3);
    expect(result.best).toEqual({ step: 8, value: 4.5 }); // the mean of calls 1..8 over the 8 evaluation batches
    // resuming a run that stopped early does not train on
    const again = await fit(options);
    expect(again.stopReason).toBe('earlyStop');
    expect(again.history.train).toHaveLength(0);
    expect(again.best).toEqual({ step: 8, value: 4.5 });
    disposeOptimizerState(result.state);
    disposeOptimizerState(again.state);
    model.dispose();
  });

  it('early stopping on a step-based evaluation is recorded in the checkpoint of that step', async () => {
    const model = new Mlp();
    let calls = 0;
    const options = {
      model, optimizer: sgd({ lr: 0.01 }), trainData: epochBatches(data, 1), evalData: evalBatches, lossFn: mlpLoss,
      metrics: { worsening: () => ++calls }, steps: 100, evalEvery: 3, earlyStop: { patience: 1, monitor: 'worsening' },
      progress: false as const, checkpoint: { path: join(dir, 'early-steps.safetensors'), every: 3 }, resume: true,
    };
    const first = await fit(options);
    expect(first.stopReason).toBe('earlyStop');
    expect(first.step).toBe(6);
    const again = await fit(options);
    expect(again.history.train).toHaveLength(0);
    expect(again.stopReason).toBe('earlyStop');
    for (const r of [first, again]) disposeOptimizerState(r.state);
    model.dispose();
  });

  it('resuming from a checkpoint (inside an epoch and at an epoch boundary) gives the uninterrupted weights exactly', async () => {
    const run = async (path: string | undefined, steps: number, resume: boolean): Promise<Mlp> => {
      const model = new Mlp();
      const r = await fit({
        model, optimizer: adamw({ lr: 0.01 }), trainData: epochBatches(data, 2), lossFn: mlpLoss, steps, seed: 9, progress: false,
        ...(path ? { checkpoint: { path, every: 100 }, resume } : {}),
      });
      disposeOptimizerState(r.state);
      return model;
    };
    const straight = await run(undefined, 21, false);
    for (const cut of [8, 11]) {
      const path = join(dir, `cut-${cut}.safetensors`);
      (await run(path, cut, false)).dispose();
      const resumed = await run(path, 21, true);
      expect(weights(resumed)).toEqual(weights(straight));
      resumed.dispose();
    }
    straight.dispose();
  });

  it('writes a checkpoint every `every` steps and at the end, keeping the previous one; a finished run resumes to nothing', async () => {
    const path = join(dir, 'periodic.safetensors');
    const model = new Mlp();
    const saved: number[] = [];
    const opts = {
      model, optimizer: adam({ lr: 0.01 }), trainData: epochBatches(data, 1), lossFn: mlpLoss, steps: 12, seed: 1, progress: false as const,
      checkpoint: { path, every: 5 }, resume: true,
      onProgress: (e: FitEvent) => void (e.type === 'checkpoint' && saved.push(e.step)),
    };
    const r1 = await fit(opts);
    expect(saved).toEqual([5, 10, 12]);
    expect((await stat(previousCheckpointPath(path))).size).toBeGreaterThan(0);
    const probe = new Mlp();
    const { state, position } = await loadCheckpoint(previousCheckpointPath(path), probe, opts.optimizer);
    expect(position).toMatchObject({ step: 10, epoch: 1, batchInEpoch: 2, seed: 1 });
    disposeOptimizerState(state);
    probe.dispose();
    const r2 = await fit(opts);
    expect(r2.history.train).toHaveLength(0);
    expect(r2.step).toBe(12);
    for (const r of [r1, r2]) disposeOptimizerState(r.state);
    model.dispose();
  });

  it('fit with resume refuses a truncated checkpoint (it does not start over) and leaves both files as they were', async () => {
    const path = join(dir, 'truncated.safetensors');
    const model = new Mlp();
    const opts = {
      model, optimizer: adam({ lr: 0.01 }), trainData: epochBatches(data, 1), lossFn: mlpLoss, steps: 10, seed: 1, progress: false as const,
      checkpoint: { path, every: 5 }, resume: true,
    };
    disposeOptimizerState((await fit(opts)).state);
    const full = await readFile(path);
    const previous = await readFile(previousCheckpointPath(path));
    await truncate(path, Math.floor(full.length / 2));
    const weightsBefore = weights(model);
    const memoryBefore = defaultRuntime.memory();
    await expect(fit({ ...opts, steps: 20 })).rejects.toThrow(CheckpointError);
    await expect(fit({ ...opts, steps: 20 })).rejects.toThrow(/truncated\.safetensors.*not a valid safetensors file \(truncated or corrupt\)/s);
    expect(defaultRuntime.memory()).toEqual(memoryBefore);
    expect(weights(model)).toEqual(weightsBefore);
    expect((await readFile(path)).length).toBe(Math.floor(full.length / 2)); // not overwritten by a fresh run
    expect((await readFile(previousCheckpointPath(path))).equals(previous)).toBe(true);
    model.dispose();
  });

  it('refuses contradictory options, naming them', async () => {
    const model = new Mlp();
    const base = { model, optimizer: sgd({ lr: 0.1 }), trainData: [], lossFn: mlpLoss };
    await expect(fit(base)).rejects.toThrow(TrainError);
    await expect(fit(base)).rejects.toThrow(/neither epochs nor steps/);
    await expect(fit({ ...base, steps: 3, resume: true })).rejects.toThrow(/resume is true but no checkpoint.path/);
    await expect(fit({ ...base, steps: 3, evalEvery: 0 })).rejects.toThrow(/evalEvery is 0; expected an integer ≥ 1/);
    const memory = defaultRuntime.memory();
    await expect(fit({ ...base, optimizer: adam({ lr: 0.1 }), steps: 3, progress: false })).rejects.toThrow(/trainData gave no batches for epoch 0/);
    expect(defaultRuntime.memory()).toEqual(memory); // the optimizer state fit created is freed when it throws
    model.dispose();
  });
});
