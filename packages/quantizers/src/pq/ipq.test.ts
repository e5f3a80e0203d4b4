import { defaultRuntime, type Tensor, valueAndGrad } from '@nibble/core';
import { describe, expect, it } from 'vitest';
import { input, mlp, values } from '../../test/test-models.ts';
import { make } from '../../test/setup.ts';
import { QatPlanError } from '../qat/errors.ts';
import type { QatTrainable } from '../qat/prepare-qat.ts';
import { qatHandleOf } from '../qat/prepare-qat.ts';
import { quantizeInStages, type IpqFineTuneContext, type IpqStage } from './ipq.ts';
import type { PqQuantizer } from './pq.ts';

type Model = ReturnType<typeof mlp>;

/** Mean squared distance between the model's output and `target`. */
function loss(model: Model, x: Tensor, target: Tensor): Tensor {
  const y = model.forward(x);
  const l = y.sub(target).square().mean();
  y.dispose();
  return l;
}

/** `steps` plain SGD steps on `trainable`, the way a user's fine-tune callback would run them. */
function sgd(model: Model, trainable: QatTrainable, x: Tensor, target: Tensor, steps: number, lr: number): void {
  for (let s = 0; s < steps; s++) {
    const params = trainable.parameters();
    const { value, grads } = valueAndGrad((_p: Record<string, Tensor>) => loss(model, x, target))(params);
    const g = (grads as unknown as [Record<string, Tensor>])[0];
    const next: Record<string, Tensor> = {};
    for (const [k, p] of Object.entries(params)) {
      using step = g[k]!.mul(lr);
      next[k] = p.sub(step);
    }
    trainable.assign(next);
    value.dispose();
    for (const t of Object.values(g)) t.dispose();
  }
}

/** A teacher (the float model) and a student to quantize, with a batch and the teacher's outputs. */
function setup(seed: number) {
  const model = mlp(8, 16, 4, seed);
  const x = input([32, 8], seed + 10);
  const target = model.forward(x);
  return { model, x, target };
}

const stages: IpqStage[] = [
  { pattern: '0.weight', config: { blockSize: 4, centroids: 4, centroidGrad: 'mean' } },
  { pattern: '2.weight', config: { blockSize: 4, centroids: 2, centroidGrad: 'sum' } },
];

const codesOf = (ctx: IpqFineTuneContext, name: string) => (ctx.handle.quantizers.get(name) as PqQuantizer).getState().state;
const paramValues = (model: Model) => new Map([...model.namedParameters()].map(([k, v]) => [k, Float32Array.from(v.dataSync())]));

describe('iPQ: quantizeInStages (spec §6.3)', () => {
  it('quantizes stage by stage; earlier codes and fine-tuned centroids carry over; quantized float weights are frozen', () => {
    const { model, x, target } = setup(1);
    const seen: { index: number; keys: string[]; quantized: readonly string[]; state0?: unknown; w0?: Float32Array }[] = [];
    let state0AfterTune: unknown;
    let w0AfterTune: Float32Array | undefined;
    const initialW2 = Float32Array.from(model.namedParameters().get('2.weight')!.dataSync());
    const qat = quantizeInStages(model, stages, {
      fineTune: (ctx) => {
        const w0 = Float32Array.from(model.namedParameters().get('0.weight')!.dataSync());
        seen.push({ index: ctx.index, keys: Object.keys(ctx.trainable.parameters()), quantized: ctx.quantized, state0: codesOf(ctx, '0.weight'), w0 });
        expect(() => ctx.trainable.assign({ '0.weight': model.namedParameters().get('0.weight')! })).toThrow(QatPlanError);
        expect(() => ctx.trainable.assign({ '0.weight': model.namedParameters().get('0.weight')! })).toThrow(/'0\.weight' are quantized at this stage/);
        if (ctx.index === 1) {
          // this stage's k-means ran on 2.weight as fine-tuned by stage 0 (not on its initial value)
          const w2 = model.namedParameters().get('2.weight')!;
          expect(Array.from(w2.dataSync())).not.toEqual(Array.from(initialW2));
          const fresh = make('pq', stages[1]!.config, w2.shape);
          fresh.calibrate(w2);
          expect(codesOf(ctx, '2.weight')).toEqual(fresh.getState().state);
          fresh[Symbol.dispose]();
        }
        sgd(model, ctx.trainable, x, target, 20, 0.2);
        if (ctx.index === 0) {
          state0AfterTune = codesOf(ctx, '0.weight');
          w0AfterTune = Float32Array.from(model.namedParameters().get('0.weight')!.dataSync());
        }
      },
    });
    expect(seen.map((s) => s.index)).toEqual([0, 1]);
    expect(seen[0]!.quantized).toEqual(['0.weight']);
    expect(seen[1]!.quantized).toEqual(['0.weight', '2.weight']);
    // stage 0 trains everything but 0.weight (its centroids instead); stage 1 also freezes 2.weight
    expect(seen[0]!.keys.sort()).toEqual(['0.bias', '0.weight/centroids', '2.bias', '2.weight'].sort());
    expect(seen[1]!.keys.sort()).toEqual(['0.bias', '0.weight/centroids', '2.bias', '2.weight/centroids'].sort());
    // stage 1 starts from stage 0's fine-tuned codebook and codes, not from a new k-means
    expect(seen[1]!.state0).toEqual(state0AfterTune);
    expect(seen[1]!.w0).toEqual(w0AfterTune);
    // and the fine-tune changed stage 0's centroids (so the carry-over check above is not vacuous)
    expect(state0AfterTune).not.toEqual(seen[0]!.state0);
    const s0 = seen[0]!.state0 as { codes: number[] };
    const final = qat.getState()['0.weight']!.state as { codes: number[] };
    expect(final.codes).toEqual(s0.codes);
    expect(qat.bindings.get('2.weight')!.config).toMatchObject({ centroidGrad: 'sum', centroids: 2 });
    qat.detach();
    for (const t of [x, target]) t.dispose();
    model.dispose();
  });

  it('fine-tuning between stages recovers accuracy that staged quantization without it loses', () => {
    const lossAfter = (steps: number): number => {
      const { model, x, target } = setup(2);
      const qat = quantizeInStages(model, stages, { fineTune: (ctx) => sgd(model, ctx.trainable, x, target, steps, 0.2) });
      model.eval();
      const l = loss(model, x, target).item();
      qat.detach();
      for (const t of [x, target]) t.dispose();
      model.dispose();
      return l;
    };
    const none = lossAfter(0);
    const tuned = lossAfter(30);
    expect(none).toBeGreaterThan(0);
    expect(tuned).toBeLessThan(0.7 * none);
  });

  it('rejects bad plans before touching the model: the float model stays bit-identical with no quantizer attached', () => {
    const { model, x, target } = setup(3);
    const before = paramValues(model);
    const fineTune = () => {
      throw new Error('fineTune must not run for a bad plan');
    };
    const bad: [string, () => unknown, RegExp][] = [
      ['no stages', () => quantizeInStages(model, [], { fineTune }), /no stages/],
      ['no fineTune', () => quantizeInStages(model, stages, {} as never), /fineTune is missing/],
      ['bad config', () => quantizeInStages(model, [stages[0]!, { pattern: '2.weight', config: { blockSize: 3 } }], { fineTune }), /blockSize/],
      ['no match', () => quantizeInStages(model, [stages[0]!, { pattern: 'head.weight', config: { blockSize: 4 } }], { fineTune }), /matches no parameter/],
      ['unknown id', () => quantizeInStages(model, [{ ...stages[0]!, quantizer: 'nope' }], { fineTune }), /nope/],
    ];
    for (const [what, call, message] of bad) {
      expect(call, what).toThrow(message);
      expect(qatHandleOf(model), what).toBeUndefined();
      expect([...model.namedParameters().keys()].filter((n) => model.weightTransform(n)), what).toEqual([]);
      expect(paramValues(model), what).toEqual(before);
    }
    for (const t of [x, target]) t.dispose();
    model.dispose();
  });

  it('leaks no tensors: stages, fine-tuning and detach leave the runtime where it was', () => {
    const { model, x, target } = setup(4);
    const before = defaultRuntime.memory();
    const qat = quantizeInStages(model, stages, { fineTune: (ctx) => sgd(model, ctx.trainable, x, target, 3, 0.1) });
    values(model.forward(x));
    qat.detach();
    expect(defaultRuntime.memory()).toEqual(before);
    for (const t of [x, target]) t.dispose();
    model.dispose();
  });
});
