// A small sequence-tagging task on which 4-bit per-tensor weight quantization of an LSTM genuinely hurts. Each step's
// label is the argmax of a fixed random linear teacher applied to x_t + x_{t−1}, so the model must carry the previous
// input in its state. As in mlp-task.ts, two of the 8 input features are fed at 1/33 of their scale: the trained input
// matrix grows much larger weights on those columns, and a per-tensor max-abs 4-bit grid built around them rounds
// most other weights of that matrix to 0 or ±1 step.
import { noGrad, scope, type Tensor, tensor } from '@nibble/core';
import type { Optimizer, Trainable } from '@nibble/optim';
import { crossEntropy, Linear, LSTM, Module } from '@nibble/layers';
import { gaussian, trainSteps } from './harness.ts';

export const SEQ_FEATURES = 8;
export const SEQ_HIDDEN = 24;
export const SEQ_CLASSES = 4;
export const SEQ_LENGTH = 8;
const SMALL_FEATURES = 2;
const SMALL_SCALE = 0.03;

/** `n` sequences, batch first: inputs [n, T, F] and labels [n·T] (row-major over (example, step)). */
export interface SequenceBatch {
  readonly x: Float32Array;
  readonly y: Int32Array;
  readonly n: number;
}

/** `n` sequences; `seed` picks the inputs, the teacher is fixed. */
export function sequenceTask(n: number, seed: number): SequenceBatch {
  const F = SEQ_FEATURES;
  const T = SEQ_LENGTH;
  const z = gaussian(n * T * F, seed);
  const teacher = gaussian(SEQ_CLASSES * F, 4242);
  const x = new Float32Array(n * T * F);
  const y = new Int32Array(n * T);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < T; t++) {
      let best = 0;
      let bestValue = -Infinity;
      for (let c = 0; c < SEQ_CLASSES; c++) {
        let v = 0;
        for (let j = 0; j < F; j++) v += teacher[c * F + j]! * (z[(i * T + t) * F + j]! + (t > 0 ? z[(i * T + t - 1) * F + j]! : 0));
        if (v > bestValue) [bestValue, best] = [v, c];
      }
      y[i * T + t] = best;
      for (let j = 0; j < F; j++) x[(i * T + t) * F + j] = z[(i * T + t) * F + j]! * (j < SMALL_FEATURES ? SMALL_SCALE : 1);
    }
  }
  return { x, y, n };
}

/** Sequences [start, start + count) (wrapping around). */
export function sequenceSlice(b: SequenceBatch, start: number, count: number): SequenceBatch {
  const per = SEQ_LENGTH * SEQ_FEATURES;
  const x = new Float32Array(count * per);
  const y = new Int32Array(count * SEQ_LENGTH);
  for (let i = 0; i < count; i++) {
    const r = (start + i) % b.n;
    x.set(b.x.subarray(r * per, (r + 1) * per), i * per);
    y.set(b.y.subarray(r * SEQ_LENGTH, (r + 1) * SEQ_LENGTH), i * SEQ_LENGTH);
  }
  return { x, y, n: count };
}

/** LSTM(8 → 24, batch first) with a Linear(24 → 4) head on every step; fixed initialization seeds. */
export class SequenceTagger extends Module {
  readonly lstm: LSTM;
  readonly head: Linear;
  constructor() {
    super();
    this.lstm = this.addModule('lstm', new LSTM(SEQ_FEATURES, SEQ_HIDDEN, { batchFirst: true, seed: 31 }));
    this.head = this.addModule('head', new Linear(SEQ_HIDDEN, SEQ_CLASSES, { seed: 32 }));
  }
  /** x [B, T, F] → logits [B·T, C]. */
  forward(x: Tensor): Tensor {
    return scope(() => {
      const { output } = this.lstm.forward(x);
      return this.head.forward(output.reshape([x.shape[0]! * SEQ_LENGTH, SEQ_HIDDEN]));
    });
  }
}

/** A batch as tensors: inputs [n, T, F] and labels [n·T]. */
export function sequenceTensors(b: SequenceBatch): { x: Tensor; y: Tensor } {
  return { x: tensor(b.x, { shape: [b.n, SEQ_LENGTH, SEQ_FEATURES] }), y: tensor(b.y, { shape: [b.n * SEQ_LENGTH] }) };
}

/** Mean cross-entropy and per-step accuracy in the model's current mode, without gradients. */
export function evaluateSequences(model: SequenceTagger, b: SequenceBatch): { loss: number; accuracy: number } {
  return scope(() => noGrad(() => {
    const { x, y } = sequenceTensors(b);
    const logits = model.forward(x);
    const loss = crossEntropy(logits, y).item();
    const l = logits.dataSync() as Float32Array;
    let correct = 0;
    for (let i = 0; i < b.n * SEQ_LENGTH; i++) {
      let best = 0;
      for (let c = 1; c < SEQ_CLASSES; c++) if (l[i * SEQ_CLASSES + c]! > l[i * SEQ_CLASSES + best]!) best = c;
      if (best === b.y[i]) correct++;
    }
    return { loss, accuracy: correct / (b.n * SEQ_LENGTH) };
  }));
}

/** `steps` optimizer steps (see trainSteps) on mini-batches taken in order from `data`. */
export function trainSequences(args: { model: SequenceTagger; trainable: Trainable; optimizer: Optimizer; data: SequenceBatch; steps: number; batchSize: number; seed: number; firstStep?: number }): void {
  const { data, batchSize } = args;
  trainSteps({ ...args, batch: (step) => sequenceTensors(sequenceSlice(data, step * batchSize, batchSize)) });
}
