// QAT cases on a nibble session: the LSTM copy-task tagger of @nibble/layers with a @nibble/quantizers quantizer on
// every weight (prepareQat + calibrate), trained with @nibble/optim's plain SGD. qat_step times one training step on a
// fixed batch; qat_run makes a whole short run from the initial weights per bench step.
import type { QatRunCase, QatStepCase, QuantizerSpec } from '../../cases/suite-cases.js';
import { transpose, type QatModelData } from '../../cases/suite-data.js';
import type { LstmData } from '../../cases/case-data.js';
import { lstmLogits64, softmaxCrossEntropy64 } from '../../reference/lstm64.js';
import { CHECK_TOLERANCE, type CheckResult } from '../../run/output-checks.js';
import type { PreparedCase } from '../bench-target.js';
import { loadModelKit, type NibbleModelKit, type NibbleSession } from './load-nibble.js';

type Tensor = import('@nibble/core').Tensor;
type Module = import('@nibble/layers').Module;
type QatHandle = import('@nibble/quantizers').QatHandle;

/** The tagger: LSTM(10 → H, batch first) then Linear(H → 9) at every step; logits [B·T, 9]. */
export interface Tagger extends Module {
  forward(x: Tensor): Tensor;
}

/** Builds the tagger on the session's runtime with the case's initial weights (case layout, loaded transposed). */
export function buildTagger(s: NibbleSession, kit: NibbleModelKit, d: LstmData): Tagger {
  const { core, runtime } = s;
  const { layers } = kit;
  const { I, H, C } = d;
  class CopyTagger extends layers.Module implements Tagger {
    readonly lstm = this.addModule('lstm', new layers.LSTM(I, H, { batchFirst: true, runtime, seed: 0 }));
    readonly head = this.addModule('head', new layers.Linear(H, C, { runtime, seed: 1 }));
    forward(x: Tensor): Tensor {
      return core.scope(() => {
        const { output } = this.lstm.forward(x);
        return this.head.forward(output.reshape([(x.shape[0] as number) * (x.shape[1] as number), H]));
      });
    }
  }
  const model = new CopyTagger();
  model.assign(initialWeights(s, d));
  return model;
}

/** The case's initial parameters as @nibble/layers tensors (PyTorch layout: weights [out, in], two zero biases). */
function initialWeights(s: NibbleSession, d: LstmData): Record<string, Tensor> {
  const { core, runtime } = s;
  const { I, H, C } = d;
  const t = (data: Float32Array, shape: number[]): Tensor => core.tensor(data, { runtime, shape });
  return {
    'lstm.weightIh0': t(transpose(d.wx, I, 4 * H), [4 * H, I]),
    'lstm.weightHh0': t(transpose(d.wh, H, 4 * H), [4 * H, H]),
    'lstm.biasIh0': t(new Float32Array(4 * H), [4 * H]),
    'lstm.biasHh0': t(new Float32Array(4 * H), [4 * H]),
    'head.weight': t(transpose(d.wd, H, C), [C, H]),
    'head.bias': t(new Float32Array(C), [C]),
  };
}

/** A batch as tensors: one-hot x [B, T, 10], labels [B·T]. */
function batchTensors(s: NibbleSession, d: LstmData, b: { x: Float32Array; labels: Int32Array }): { x: Tensor; y: Tensor } {
  const { core, runtime } = s;
  return { x: core.tensor(b.x, { runtime, shape: [d.B, d.T, d.I] }), y: core.tensor(b.labels, { runtime, shape: [d.B * d.T], dtype: 'int32' }) };
}

async function scalar(t: Tensor): Promise<number> {
  try {
    return (await t.data())[0] as number;
  } finally {
    t.dispose();
  }
}

/**
 * Attaches the quantizer to every weight and calibrates it on the first batch; then checks the quantized eval loss
 * against the float64 reference run on the weights the quantizer exports (quantizeWeights: dequantize(export(w))).
 */
export async function attachQuantizer(
  s: NibbleSession, kit: NibbleModelKit, model: Tagger, spec: Exclude<QuantizerSpec, null>, d: LstmData,
): Promise<{ qat: QatHandle; check: CheckResult }> {
  const { quantizers, layers } = kit;
  const qat = quantizers.prepareQat(model, [{ pattern: '*weight*', quantizer: spec.id, config: spec.config }]);
  const b0 = batchTensors(s, d, d);
  try {
    quantizers.calibrate(model, [b0.x], (m, x) => m.forward(x));
    model.eval();
    const got = await scalar(s.core.noGrad(() => layers.crossEntropy(model.forward(b0.x), b0.y)));
    model.train();
    const state = quantizers.quantizeWeights(qat);
    const host = (name: string): Float32Array => Float32Array.from(state.get(name)!.dataSync() as Float32Array);
    const { I, H, C } = d;
    const biasIh = host('lstm.biasIh0');
    const biasHh = host('lstm.biasHh0');
    const deployed: LstmData = {
      ...d,
      wx: transpose(host('lstm.weightIh0'), 4 * H, I),
      wh: transpose(host('lstm.weightHh0'), 4 * H, H),
      b: biasIh.map((v, i) => v + (biasHh[i] as number)),
      wd: transpose(host('head.weight'), C, H),
      bd: host('head.bias'),
    };
    for (const t of state.values()) t.dispose();
    const want = softmaxCrossEntropy64(lstmLogits64(deployed), d.labels, C);
    const relError = Math.abs(got - want) / Math.abs(want);
    const check: CheckResult = {
      name: 'quantized eval loss vs float64 on the exported weights',
      ok: Number.isFinite(got) && relError <= CHECK_TOLERANCE.expectRel,
      relError,
      tolerance: CHECK_TOLERANCE.expectRel,
      detail: `${spec.id}: eval loss ${got}, float64 on dequantize(export(w)) ${want}`,
    };
    return { qat, check };
  } finally {
    b0.x.dispose();
    b0.y.dispose();
  }
}

/** One SGD training step of the (quantized) tagger on a batch; returns the loss before the update. */
function trainStepper(s: NibbleSession, kit: NibbleModelKit, model: Tagger, qat: QatHandle | undefined, lr: number) {
  const { core } = s;
  const { layers, optim } = kit;
  const trainable = qat ? qat.trainable() : model;
  const opt = optim.sgd({ lr });
  let state = opt.init(trainable.parameters());
  let step = 0;
  return {
    async run(x: Tensor, y: Tensor): Promise<number> {
      model.setProgress({ step: step++, seed: 1 });
      const { value, grads } = core.valueAndGrad((_p: Record<string, Tensor>) => layers.crossEntropy(model.forward(x), y))(trainable.parameters());
      const [g] = grads as unknown as [Record<string, Tensor>];
      state = opt.update(trainable, g, state);
      for (const t of Object.values(g)) t.dispose();
      return scalar(value);
    },
    dispose: () => optim.disposeOptimizerState(state),
  };
}

/** qat_step: one training step of the tagger (float, or with the case's quantizer) on a fixed batch. */
export async function nibbleQatStep(s: NibbleSession, c: QatStepCase, d: QatModelData): Promise<PreparedCase> {
  const kit = await loadModelKit();
  const model = buildTagger(s, kit, d.first);
  const attached = c.quantizer ? await attachQuantizer(s, kit, model, c.quantizer, d.first) : undefined;
  model.train();
  const stepper = trainStepper(s, kit, model, attached?.qat, c.lr);
  const b = batchTensors(s, d.first, d.first);
  return {
    ...(attached ? { checks: [attached.check] } : {}),
    step: async () => ({ kind: 'loss', loss: await stepper.run(b.x, b.y) }),
    dispose: () => {
      stepper.dispose();
      attached?.qat.detach();
      model.dispose();
      b.x.dispose();
      b.y.dispose();
    },
  };
}

/** qat_run: every bench step trains `steps` steps from the initial weights (quantizer re-attached and re-calibrated). */
export async function nibbleQatRun(s: NibbleSession, c: QatRunCase, d: QatModelData): Promise<PreparedCase> {
  const kit = await loadModelKit();
  const model = buildTagger(s, kit, d.first);
  const hostBatches = d.batches(c.steps);
  const first = c.quantizer ? await attachQuantizer(s, kit, model, c.quantizer, d.first) : undefined;
  first?.qat.detach();
  return {
    ...(first ? { checks: [first.check] } : {}),
    async step() {
      model.assign(initialWeights(s, d.first));
      const attached = c.quantizer ? await attachQuantizer(s, kit, model, c.quantizer, d.first) : undefined;
      model.train();
      const stepper = trainStepper(s, kit, model, attached?.qat, c.lr);
      let firstLoss = NaN;
      let loss = NaN;
      const t0 = process.hrtime.bigint();
      try {
        for (let k = 0; k < c.steps; k++) {
          const b = batchTensors(s, d.first, hostBatches[k]!);
          try {
            loss = await stepper.run(b.x, b.y);
          } finally {
            b.x.dispose();
            b.y.dispose();
          }
          if (k === 0) firstLoss = loss;
        }
      } finally {
        stepper.dispose();
        attached?.qat.detach();
      }
      const trainMs = Number(process.hrtime.bigint() - t0) / 1e6;
      return { kind: 'loss', loss, run: { steps: c.steps, trainMs, firstLoss } };
    },
    dispose: () => model.dispose(),
  };
}
