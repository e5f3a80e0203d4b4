// Shared by the training tests: a registered cpu backend, deterministic synthetic data, and a plain
// valueAndGrad + optimizer training loop over a `Trainable` (a Module, or a QAT handle's `trainable()`).
import { defaultRuntime, noGrad, scope, type Tensor, tensor, valueAndGrad } from '@nibble/core';
import { cpu } from '@nibble/backend-cpu';
import { crossEntropy, type Module } from '@nibble/layers';
import { disposeOptimizerState, type Optimizer, type Trainable } from '@nibble/optim';

if (!defaultRuntime.registered().includes('cpu')) defaultRuntime.register(cpu);

/** Deterministic N(0, 1) samples (Box–Muller on a small LCG): data never depends on the framework's RNG. */
export function gaussian(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  return out;
}

/** A classification batch held on the host: inputs [N, F] (float32) and labels [N] (int32). */
export interface HostBatch {
  readonly x: Float32Array;
  readonly y: Int32Array;
  readonly n: number;
  readonly features: number;
}

/** Loss (mean cross-entropy) and accuracy of a model on a batch, in the model's current mode, without gradients. */
export function evaluate(model: Module & { forward(x: Tensor): Tensor }, b: HostBatch): { loss: number; accuracy: number } {
  return scope(() =>
    noGrad(() => {
      const x = tensor(b.x, { shape: [b.n, b.features] });
      const y = tensor(b.y, { shape: [b.n] });
      const logits = model.forward(x);
      const loss = crossEntropy(logits, y).item();
      const l = logits.dataSync() as Float32Array;
      const k = logits.shape[1]!;
      let correct = 0;
      for (let i = 0; i < b.n; i++) {
        let best = 0;
        for (let c = 1; c < k; c++) if (l[i * k + c]! > l[i * k + best]!) best = c;
        if (best === b.y[i]) correct++;
      }
      return { loss, accuracy: correct / b.n };
    }),
  );
}

/** Rows [start, start + count) of a batch (wrapping around). */
export function slice(b: HostBatch, start: number, count: number): HostBatch {
  const x = new Float32Array(count * b.features);
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const r = (start + i) % b.n;
    x.set(b.x.subarray(r * b.features, (r + 1) * b.features), i * b.features);
    y[i] = b.y[r]!;
  }
  return { x, y, n: count, features: b.features };
}

/**
 * Optimizer steps `first .. first + steps − 1` of mean cross-entropy, on the batch `batch(step)` gives for each step
 * (the caller's tensors, disposed here). `model.setProgress({ step, seed })` before each step gives quantizers their
 * step (range refresh, noise masks).
 */
export function trainSteps(args: {
  model: Module & { forward(x: Tensor): Tensor };
  trainable: Trainable;
  optimizer: Optimizer;
  steps: number;
  seed: number;
  firstStep?: number;
  batch: (step: number) => { x: Tensor; y: Tensor };
}): void {
  const { model, trainable, optimizer, steps, seed } = args;
  const first = args.firstStep ?? 0;
  model.train();
  let state = optimizer.init(trainable.parameters());
  for (let step = first; step < first + steps; step++) {
    model.setProgress({ step, seed });
    const { x, y } = args.batch(step);
    const { value, grads: [grads] } = valueAndGrad((_p: Record<string, Tensor>) => crossEntropy(model.forward(x), y))(trainable.parameters());
    value.dispose();
    state = optimizer.update(trainable, grads, state);
    for (const g of Object.values(grads)) g.dispose();
    x.dispose();
    y.dispose();
  }
  disposeOptimizerState(state);
}

/** `steps` optimizer steps (see trainSteps) on mini-batches of `batchSize` rows taken in order from `data`. */
export function trainClassifier(args: {
  model: Module & { forward(x: Tensor): Tensor };
  trainable: Trainable;
  optimizer: Optimizer;
  data: HostBatch;
  steps: number;
  batchSize: number;
  seed: number;
}): void {
  const { data, batchSize } = args;
  trainSteps({
    ...args,
    batch: (step) => {
      const b = slice(data, step * batchSize, batchSize);
      return { x: tensor(b.x, { shape: [b.n, b.features] }), y: tensor(b.y, { shape: [b.n] }) };
    },
  });
}

/** Host copy of every parameter (float32), by name. */
export function snapshot(model: Module): Map<string, Float32Array> {
  return new Map([...model.namedParameters()].map(([k, t]) => [k, Float32Array.from(t.dataSync() as Float32Array)]));
}
