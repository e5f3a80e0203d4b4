import { type Tensor, valueAndGrad } from '@nibble/core';
import { Linear } from '@nibble/layers';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultRegistry } from '../builtins/index.ts';
import { QuantizerCalibrationError, QuantizerConfigError } from '../errors.ts';
import { calibrate, quantizeWeights } from './calibrate.ts';
import { QatPlanError } from './errors.ts';
import { matchesWeightName } from './name-pattern.ts';
import { prepareQat, qatHandleOf } from './prepare-qat.ts';
import { input, mlp, values } from '../../test/test-models.ts';
import { weight } from '../../test/setup.ts';

const hasTransforms = (m: ReturnType<typeof mlp>) => [...m.namedParameters().keys()].filter((n) => m.weightTransform(n));

/** The eval output of `model` computed as a plain float model loaded with the given state. */
function floatModelOutput(state: Map<string, Tensor>, x: Tensor, seed = 99): Float32Array {
  const fresh = mlp(8, 16, 4, seed).eval();
  fresh.loadStateDict(state);
  const y = values(fresh.forward(x));
  fresh.dispose();
  return y;
}

describe('prepareQat', () => {
  it('attaches one quantizer per matched weight, first rule wins (mixed precision)', () => {
    const model = mlp(8, 16, 4, 1);
    const qat = prepareQat(model, [
      { pattern: '2.weight', quantizer: 'ste', config: { bits: 8 } },
      { pattern: '*.weight', quantizer: 'ste', config: { bits: 4, granularity: 'channel' } },
    ]);
    expect([...qat.quantizers.keys()]).toEqual(['0.weight', '2.weight']);
    expect(qat.bindings.get('0.weight')).toMatchObject({ rule: 1, id: 'ste', config: { bits: 4, granularity: 'channel' } });
    expect(qat.bindings.get('2.weight')).toMatchObject({ rule: 0, config: { bits: 8 } });
    expect(hasTransforms(model)).toEqual(['0.weight', '2.weight']);
    // §8 sizes: N·b + 32·G per weight, 32 bits per float element for the biases.
    const size = qat.sizeBits();
    expect(size.byName['0.weight']).toBe(16 * 8 * 4 + 16 * 32);
    expect(size.byName['2.weight']).toBe(4 * 16 * 8 + 32);
    expect(size.float).toBe(32 * (16 + 4));
    expect(size.total).toBe(size.quantized + size.float);
    qat.detach();
    model.dispose();
  });

  it('the eval forward computes with the fake-quantized weights (equals a float model holding dequant(export(w)))', () => {
    const model = mlp(8, 16, 4, 2);
    const qat = prepareQat(model, [{ pattern: '*.weight', quantizer: 'ste', config: { bits: 4, granularity: 'channel' } }]);
    model.eval();
    const x = input([5, 8], 3);
    const yq = values(model.forward(x));
    const state = quantizeWeights(qat);
    expect(floatModelOutput(state, x)).toEqual(yq);
    // and it is not the float model's output
    const floatState = new Map([...model.stateDict()].map(([k, v]) => [k, v.clone()]));
    expect(floatModelOutput(floatState, x)).not.toEqual(yq);
    for (const t of [...state.values(), ...floatState.values(), x]) t.dispose();
    qat.detach();
    model.dispose();
  });

  it('validates everything before touching the model', () => {
    const model = mlp(8, 16, 4, 3);
    const unknown = () => prepareQat(model, [{ pattern: '*.weight', quantizer: 'nope', config: {} }]);
    expect(unknown).toThrow(QatPlanError);
    expect(unknown).toThrow(/unknown quantizer id 'nope'; registered: ste, lsq/);
    for (const id of defaultRegistry.ids()) expect(unknown).toThrow(new RegExp(id.replace('+', '\\+')));

    let err: unknown;
    try {
      prepareQat(model, [
        { pattern: '0.weight', quantizer: 'ste', config: { bits: 4 } },
        { pattern: '2.weight', quantizer: 'ste', config: { bits: 12 } },
      ]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(QuantizerConfigError);
    expect((err as QuantizerConfigError).field).toBe('bits');
    expect((err as Error).message).toMatch(/rule 1 \('2\.weight' → ste\).*field 'bits' = 12/);

    expect(() => prepareQat(model, [{ pattern: 'encoder.*', quantizer: 'ste', config: { bits: 4 } }])).toThrow(/rule 0 \('encoder\.\*' → ste\) matches no parameter; parameters: 0\.weight, 0\.bias/);
    expect(() =>
      prepareQat(model, [
        { pattern: '*', quantizer: 'ste', config: { bits: 4 } },
        { pattern: '*.weight', quantizer: 'lsq', config: { bits: 4 } },
      ]),
    ).toThrow(/rule 1 .* only matches weights an earlier rule already took/);
    expect(() => prepareQat(model, [{ pattern: '*.weight', quantizer: 'ste', config: { bits: 4 }, role: 'activation' }])).toThrow(/role 'activation'/);
    // pq cannot quantize a [16, 8] weight with blocks of 3: create() fails, nothing is attached
    expect(() => prepareQat(model, [{ pattern: '0.weight', quantizer: 'pq', config: { blockSize: 3, centroids: 4 } }])).toThrow(/prepareQat: rule 0/);
    expect(() => prepareQat(model, [])).toThrow(QatPlanError);
    expect(hasTransforms(model)).toEqual([]);
    expect(qatHandleOf(model)).toBeUndefined();
    model.dispose();
  });

  it('bad input leaves the model untouched: parameters, eval output, no transform, and a later prepare still works', () => {
    const model = mlp(8, 16, 4, 3).eval();
    const x = input([3, 8], 4);
    const params = () => [...model.stateDict()].map(([k, v]) => [k, Array.from(v.dataSync())]);
    const before = params();
    const y = values(model.forward(x));
    const bad: [string, unknown, RegExp][] = [
      ['unknown id', [{ pattern: '*.weight', quantizer: 'nope', config: {} }], /unknown quantizer id 'nope'; registered: ste, lsq, lsq\+, quant-noise, quant-noisier, rand, pq/],
      ['invalid config', [{ pattern: '*.weight', quantizer: 'ste', config: { bits: 4, granularity: 'row' } }], /field 'granularity' = "row"/],
      ['bits 0', [{ pattern: '*.weight', quantizer: 'ste', config: { bits: 0 } }], /field 'bits' = 0/],
      ['bits 9', [{ pattern: '0.weight', quantizer: 'ste', config: { bits: 4 } }, { pattern: '2.weight', quantizer: 'lsq', config: { bits: 9 } }], /rule 1 .*field 'bits' = 9/],
      ['bits 2.5', [{ pattern: '*.weight', quantizer: 'rand', config: { bits: 2.5 } }], /field 'bits' = 2\.5/],
      ['block size not dividing the row', [{ pattern: '0.weight', quantizer: 'ste', config: { bits: 4 } }, { pattern: '2.weight', quantizer: 'pq', config: { blockSize: 3 } }], /blockSize.*16/],
      ['proxy block size not dividing the row', [{ pattern: '*.weight', quantizer: 'quant-noise', config: { variant: 'proxy', p: 0.1, blockSize: 5 } }], /blockSize/],
    ];
    for (const [what, plan, message] of bad) {
      expect(() => prepareQat(model, plan as never), what).toThrow(message);
      expect(hasTransforms(model), what).toEqual([]);
      expect(qatHandleOf(model), what).toBeUndefined();
      expect(params(), what).toEqual(before);
      expect(values(model.forward(x)), what).toEqual(y);
    }
    using qat = prepareQat(model, [{ pattern: '*.weight', quantizer: 'ste', config: { bits: 4 } }]);
    expect(qat.attached).toBe(true);
    x.dispose();
    model.dispose();
  });

  it('refuses a second prepare until detach, and detach restores the float model exactly', () => {
    const model = mlp(8, 16, 4, 4).eval();
    const x = input([3, 8], 5);
    const yFloat = values(model.forward(x));
    const qat = prepareQat(model, [{ pattern: '*.weight', quantizer: 'ste', config: { bits: 2 } }]);
    expect(values(model.forward(x))).not.toEqual(yFloat);
    expect(() => prepareQat(model, [{ pattern: '*.weight', quantizer: 'ste', config: { bits: 4 } }])).toThrow(/already prepared/);
    qat.detach();
    qat.detach(); // idempotent
    expect(() => qat.parameters()).toThrow(/detached/);
    expect(values(model.forward(x))).toEqual(yFloat);
    using again = prepareQat(model, [{ pattern: '*.weight', quantizer: 'ste', config: { bits: 4 } }]);
    expect(again.attached).toBe(true);
    x.dispose();
    model.dispose();
  });

  it('exposes learned quantizer parameters as name/param, trains them with the weights, and assigns them', () => {
    const model = mlp(8, 16, 4, 5);
    const qat = prepareQat(model, [{ pattern: '*.weight', quantizer: 'lsq', config: { bits: 3 } }]);
    const x = input([6, 8], 6);
    values(model.forward(x)); // LSQ initializes its step on the first forward
    const trainable = qat.trainable();
    const params = trainable.parameters();
    expect(Object.keys(qat.parameters())).toEqual(['0.weight/step', '2.weight/step']);
    expect(Object.keys(params)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias', '0.weight/step', '2.weight/step']);
    const { value, grads } = valueAndGrad((_p: Record<string, Tensor>) => model.forward(x).square().mean())(params);
    const g = (grads as unknown as [Record<string, Tensor>])[0];
    for (const k of Object.keys(params)) expect(Number.isFinite(g[k]!.sum().item()), k).toBe(true);
    expect(Math.abs(g['0.weight/step']!.item())).toBeGreaterThan(0);
    // one SGD step through the combined trainable
    const next: Record<string, Tensor> = {};
    for (const [k, p] of Object.entries(params)) next[k] = p.sub(g[k]!.mul(0.1));
    const before = qat.parameters()['0.weight/step']!.item();
    trainable.assign(next);
    expect(qat.parameters()['0.weight/step']!.item()).toBeCloseTo(before - 0.1 * g['0.weight/step']!.item(), 6);
    expect(() => qat.assign({ '0.weight/nope': next['0.weight/step']! })).toThrow(/unknown quantizer parameter '0\.weight\/nope'/);
    value.dispose();
    for (const t of [...Object.values(g), x]) t.dispose();
    qat.detach();
    model.dispose();
  });

  it('getState/setState round-trips the observers', () => {
    const model = mlp(8, 16, 4, 6);
    const qat = prepareQat(model, [{ pattern: '*.weight', quantizer: 'ste', config: { bits: 4, observer: 'ema-minmax' } }]);
    const x = input([2, 8], 7);
    values(model.forward(x));
    const state = JSON.parse(JSON.stringify(qat.getState())) as ReturnType<typeof qat.getState>;
    qat.setState(state);
    expect(qat.getState()).toEqual(state);
    expect(() => qat.setState({})).toThrow(/missing weights \[0\.weight, 2\.weight\]/);
    x.dispose();
    qat.detach();
    model.dispose();
  });
});

describe('calibrate (post-training quantization)', () => {
  it('recomputes stale ranges from eval forwards and restores the train/eval flags', () => {
    const model = mlp(8, 16, 4, 7);
    const qat = prepareQat(model, [{ pattern: '*.weight', quantizer: 'ste', config: { bits: 4, granularity: 'channel' } }]);
    const x = input([4, 8], 8);
    model.eval();
    values(model.forward(x)); // ranges observed on the initial weights
    // New weights (×3): eval forwards do not refresh ranges, so the grid is stale and saturates.
    const scaled = Object.fromEntries(Object.entries(model.parameters()).map(([k, v]) => [k, v.mul(3)]));
    model.assign(scaled);
    const stale = values(model.forward(x));
    model.train();
    const report = calibrate(model, [x, x], (m, b) => m.forward(b));
    expect(report).toEqual({ batches: 2, observed: ['0.weight', '2.weight'], fromParameters: [] });
    expect(model.training && [...model.namedModules().values()].every((m) => m.training)).toBe(true);
    model.eval();
    const ptq = values(model.forward(x));
    expect(ptq).not.toEqual(stale);
    const state = quantizeWeights(qat);
    expect(floatModelOutput(state, x)).toEqual(ptq);
    // without batches every weight is calibrated from its parameter
    expect(calibrate(model, [], () => undefined)).toEqual({ batches: 0, observed: [], fromParameters: ['0.weight', '2.weight'] });
    for (const t of [...state.values(), x]) t.dispose();
    qat.detach();
    model.dispose();
  });

  // Spec §1.5: NaN/±Inf weights make calibration throw. At the model level the error names the weight, and the
  // model is left as it was: parameters, every quantizer's state (also those calibrated before the bad weight was
  // reached) and the eval output.
  it.each([
    ['ste', { bits: 4, granularity: 'channel' }],
    ['lsq', { bits: 4 }],
    ['rand', { bits: 4, flavour: 'ste', mode: '2' }],
    ['pq', { blockSize: 4, centroids: 4 }],
  ])('§1.5 %s: NaN / ±Inf weights at calibration throw naming the weight; the model is left untouched', (id, config) => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      for (const batches of [[input([3, 8], 8)], []]) {
        const model = mlp(8, 16, 4, 9);
        const qat = prepareQat(model, [{ pattern: '*.weight', quantizer: id, config }]);
        calibrate(model, [], () => undefined); // calibrated on the initial weights
        // the first layer's weights change (a recalibration would move its grid), the second gets a non-finite value
        const w0 = model.namedParameters().get('0.weight')!.mul(3);
        const w2 = Float32Array.from(model.namedParameters().get('2.weight')!.dataSync());
        w2[5] = bad;
        model.assign({ '0.weight': w0, '2.weight': weight(w2, [4, 16]) });
        const params = [...model.stateDict()].map(([k, v]) => [k, Array.from(v.dataSync())]);
        const state = JSON.stringify(qat.getState());
        model.train();
        let err: unknown;
        try {
          calibrate(model, batches, (m, b) => m.forward(b));
        } catch (e) {
          err = e;
        }
        expect(err, `${id}, ${bad}, ${batches.length} batches`).toBeInstanceOf(QuantizerCalibrationError);
        expect((err as Error).message).toMatch(/'2\.weight'/);
        expect((err as Error).message).toMatch(new RegExp(`got ${String(bad).replace('+', '')} at flat index 5`));
        expect([...model.stateDict()].map(([k, v]) => [k, Array.from(v.dataSync())])).toEqual(params);
        expect(JSON.stringify(qat.getState())).toBe(state);
        expect(model.training).toBe(true);
        for (const t of batches) t.dispose();
        qat.detach();
        model.dispose();
      }
    }
  });

  it('needs a prepared model', () => {
    const model = mlp(2, 2, 2, 1);
    expect(() => calibrate(model, [], () => undefined)).toThrow(/prepareQat\(model, plan\) first/);
    model.dispose();
  });
});

describe('weight name patterns', () => {
  const segment = fc.stringMatching(/^[a-z0-9]{1,6}$/);
  const dotted = fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => s.join('.'));
  it("'*' matches any run of characters, dots included; a glob without '*' matches exactly", () => {
    fc.assert(
      fc.property(dotted, dotted, (a, b) => {
        expect(matchesWeightName('*', a)).toBe(true);
        expect(matchesWeightName(a, a)).toBe(true);
        expect(matchesWeightName(a, b)).toBe(a === b);
        expect(matchesWeightName(`${a}.*`, `${a}.${b}`)).toBe(true);
        expect(matchesWeightName(`*.${b}`, `${a}.${b}`)).toBe(true);
        expect(matchesWeightName(`*.${b}`, b)).toBe(false); // the dot is literal
      }),
    );
    expect(matchesWeightName('encoder.*.ffn.*', 'encoder.0.ffn.weight')).toBe(true);
    expect(matchesWeightName('encoder.*.ffn.*', 'encoderX0.ffn.weight')).toBe(false);
    expect(matchesWeightName(/^0\./g, '0.weight')).toBe(true);
    expect(matchesWeightName(/^0\./g, '0.weight')).toBe(true); // global flag state is reset
  });

  it('Linear stays usable as a plain module after prepare/detach cycles', () => {
    const fcl = new Linear(3, 2, { seed: 1 });
    for (let i = 0; i < 3; i++) prepareQat(fcl, [{ pattern: 'weight', quantizer: 'ste', config: { bits: 4 } }]).detach();
    expect(fcl.weightTransform('weight')).toBeUndefined();
    fcl.dispose();
  });
});
