// The copy task (spec §7.7) for an OrthogonalRNN with Björck parametrization: model, batches, RMSprop training loop.
import { noGrad, scope, type Tensor, tensor, valueAndGrad } from '@nibble/core';
import { crossEntropy, Linear, Module, OrthogonalRNN } from '@nibble/layers';
import { disposeOptimizerState, rmsprop } from '@nibble/optim';
import { COPY_TASK, copyTask, copyTaskLength } from '@nibble/data';
import './harness.ts';

// Small enough for a unit test (~15–25 s on 2 cores); 4-bit STE-Björck reaches ≈ 0.34 × the baseline at these settings.
export const GAP = 20;
export const HIDDEN = 64;
const BATCH = 32;
export const STEPS = 150;
const LR = 1e-3;
const LENGTH = copyTaskLength(GAP);

/** OrthogonalRNN (Björck, modReLU) over one-hot inputs, with a float Linear read-out at every step. */
export class CopyModel extends Module {
  readonly rnn: OrthogonalRNN;
  readonly head: Linear;
  constructor() {
    super();
    this.rnn = this.addModule('rnn', new OrthogonalRNN(COPY_TASK.inputClasses, HIDDEN, { parametrization: 'bjorck', seed: 3 }));
    this.head = this.addModule('head', new Linear(HIDDEN, COPY_TASK.outputClasses, { seed: 4 }));
  }
  /** x [T, B, 10] → logits [T·B, 9]. */
  forward(x: Tensor): Tensor {
    return scope(() => {
      const { output } = this.rnn.forward(x);
      return this.head.forward(output.reshape([LENGTH * x.shape[1]!, HIDDEN]));
    });
  }
}

/** Examples [first, first + count) as time-major one-hot inputs [T, B, 10] and labels [T·B]. */
export function batch(seed: number, first: number, count: number): { x: Tensor; y: Tensor } {
  const { x, y } = copyTask({ gap: GAP, count: first + count, seed });
  const onehot = new Float32Array(LENGTH * count * COPY_TASK.inputClasses);
  const labels = new Int32Array(LENGTH * count);
  for (let b = 0; b < count; b++) {
    for (let t = 0; t < LENGTH; t++) {
      const src = (first + b) * LENGTH + t;
      onehot[(t * count + b) * COPY_TASK.inputClasses + x.data[src]!] = 1;
      labels[t * count + b] = y.data[src]!;
    }
  }
  return { x: tensor(onehot, { shape: [LENGTH, count, COPY_TASK.inputClasses] }), y: tensor(labels, { shape: [LENGTH * count] }) };
}

/** `STEPS` RMSprop steps (QORNN recipe, spec §9.5: recurrent learning rate ÷ 10) on fresh examples; milliseconds taken. */
export function trainCopyModel(model: CopyModel): number {
  const opt = rmsprop({ lr: LR, groups: [{ match: 'rnn.recurrentWeight', lr: LR / 10 }] });
  let state = opt.init(model.parameters());
  const t0 = performance.now();
  model.train();
  for (let step = 0; step < STEPS; step++) {
    model.setProgress({ step, seed: 1 });
    const { x, y } = batch(1, step * BATCH, BATCH);
    const { value, grads: [grads] } = valueAndGrad((_p: Record<string, Tensor>) => crossEntropy(model.forward(x), y))(model.parameters());
    value.dispose();
    state = opt.update(model, grads, state);
    for (const g of Object.values(grads)) g.dispose();
    x.dispose();
    y.dispose();
  }
  disposeOptimizerState(state);
  return performance.now() - t0;
}

/** Mean cross-entropy per time step of the model in eval mode on 256 held-out examples. */
export function evalCrossEntropy(model: CopyModel): number {
  model.eval();
  const test = batch(777, 0, 256);
  const loss = scope(() => noGrad(() => crossEntropy(model.forward(test.x), test.y).item()));
  test.x.dispose();
  test.y.dispose();
  return loss;
}
