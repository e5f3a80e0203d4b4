import { decodeSafetensors, defaultRuntime, encodeSafetensors, type Tensor, tensor, valueAndGrad } from '@nibble/core';
import { cpu } from '@nibble/backend-cpu';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  adam, clipGradNorm, disposeOptimizerState, flattenOptimizerState, matchesName, OptimizerError, type OptimizerState, sgd,
  type Trainable, unflattenOptimizerState,
} from './index.ts';

if (!defaultRuntime.registered().includes('cpu')) defaultRuntime.register(cpu);

/** A minimal Module-like holder: parameters by name, replaced (and the old ones freed) by assign. */
class Holder implements Trainable {
  constructor(public params: Record<string, Tensor>) {}
  parameters(): Record<string, Tensor> {
    return { ...this.params };
  }
  assign(values: Record<string, Tensor>): void {
    for (const [k, v] of Object.entries(values)) {
      if (this.params[k] !== v) this.params[k]!.dispose();
      this.params[k] = v;
    }
  }
  dispose(): void {
    for (const t of Object.values(this.params)) t.dispose();
  }
}

const center = [1.5, -2, 0.25, 3];
const curvature = [1, 10, 0.5, 4];
function quadraticLoss(p: Record<string, Tensor>): Tensor {
  const c = tensor(center);
  const a = tensor(curvature);
  const loss = p.x!.sub(c).square().mul(a).sum().add(p.y!.square().sum());
  c.dispose();
  a.dispose();
  return loss;
}

describe('Adam on an ill-conditioned quadratic', () => {
  it('converges to the minimum (|x − c| < 1e-3) and leaks no tensor per step', () => {
    const model = new Holder({ x: tensor([0, 0, 0, 0]), y: tensor([[1, -1], [2, 0.5]]) });
    const opt = adam({ lr: 0.05 });
    let state = opt.init(model.parameters());
    const before = defaultRuntime.memory();
    for (let i = 0; i < 1500; i++) {
      const { value, grads: [grads] } = valueAndGrad(quadraticLoss)(model.parameters());
      value.dispose();
      state = opt.update(model, grads, state);
      for (const g of Object.values(grads)) g.dispose();
      if (i === 0 || i === 1499) expect(defaultRuntime.memory()).toEqual(before);
    }
    const x = model.params.x!.hostValuesSync();
    center.forEach((c, i) => expect(Math.abs(x[i]! - c)).toBeLessThan(1e-3));
    for (const v of model.params.y!.hostValuesSync()) expect(Math.abs(v)).toBeLessThan(1e-3);
    disposeOptimizerState(state);
    model.dispose();
  });
});

describe('parameter groups', () => {
  it('the first matching group sets the hyperparameters; unmatched parameters use the defaults', () => {
    const opt = sgd({ lr: 0.1, groups: [{ match: '*.bias', lr: 0 }, { match: /^enc\./, lr: 1 }, { match: (n) => n.endsWith('.bias'), lr: 5 }] });
    expect(opt.learningRate('enc.bias')).toBe(0);
    expect(opt.learningRate('enc.weight')).toBe(1);
    expect(opt.learningRate('dec.weight')).toBe(0.1);
    const params = { 'enc.bias': tensor([1]), 'enc.weight': tensor([1]), 'dec.weight': tensor([1]) };
    const grads = { 'enc.bias': tensor([1]), 'enc.weight': tensor([1]), 'dec.weight': tensor([1]) };
    const state = opt.init(params);
    const next = opt.step(params, grads, state);
    expect(next.params['enc.bias']!.item()).toBe(1);
    expect(next.params['enc.weight']!.item()).toBe(0);
    expect(next.params['dec.weight']!.item()).toBeCloseTo(0.9, 6);
    for (const r of [params, grads, next.params]) for (const t of Object.values(r)) if (!t.isDisposed) t.dispose();
  });
  it('glob patterns: * matches any run of characters, other characters literally', () => {
    expect(matchesName('*.bias', 'a.b.bias')).toBe(true);
    expect(matchesName('*.bias', 'abias')).toBe(false);
    expect(matchesName('enc.*.weight', 'enc.0.attn.weight')).toBe(true);
    expect(matchesName('w', 'w2')).toBe(false);
  });
});

describe('step() contract', () => {
  it('a parameter without a gradient is returned as is and its state is kept', () => {
    const opt = adam({ lr: 0.1 });
    const params = { a: tensor([1]), b: tensor([2]) };
    const state = opt.init(params);
    const g = tensor([1]);
    const next = opt.step(params, { a: g }, state);
    expect(next.params.b).toBe(params.b);
    expect(next.state.slots.expAvg!.b).toBe(state.slots.expAvg!.b);
    expect(next.state.step).toBe(1);
    disposeOptimizerState(state, next.state);
    disposeOptimizerState(next.state);
    for (const t of [params.a, params.b, g, next.params.a!]) t.dispose();
  });
  it('never stores the caller’s gradient tensor (SGD momentum buffer at step 1)', () => {
    const opt = sgd({ lr: 0.1, momentum: 0.9 });
    const params = { a: tensor([1, 2]) };
    const g = tensor([1, 1]);
    const state0 = opt.init(params);
    const { params: p1, state } = opt.step(params, { a: g }, state0);
    g.dispose();
    expect([...state.slots.momentumBuffer!.a!.hostValuesSync()]).toEqual([1, 1]);
    disposeOptimizerState(state0);
    disposeOptimizerState(state);
    params.a.dispose();
    p1.a!.dispose();
  });
  it('refuses gradients of unknown parameters or with the wrong shape, naming them', () => {
    const opt = sgd({ lr: 0.1 });
    const params = { a: tensor([1, 2]) };
    const bad = tensor([1, 2, 3]);
    const state = opt.init(params);
    expect(() => opt.step(params, { z: bad }, state)).toThrow(OptimizerError);
    expect(() => opt.step(params, { z: bad }, state)).toThrow(/gradient for 'z', which is not a parameter/);
    expect(() => opt.step(params, { a: bad }, state)).toThrow(/gradient 'a' has shape \[3\]; expected the parameter's \[2\]/);
    bad.dispose();
    params.a.dispose();
  });
});

describe('clipGradNorm (global 2-norm, PyTorch clip_grad_norm_)', () => {
  const grads = fc.array(fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 4 });
  it('returns the float64 norm and scales by min(1, maxNorm/(norm + 1e-6))', () => {
    fc.assert(
      fc.property(grads, fc.double({ min: 0.01, max: 20, noNaN: true }), (gs, maxNorm) => {
        const record = Object.fromEntries(gs.map((g, i) => [`p${i}`, tensor(g)]));
        const norm64 = Math.sqrt(gs.flat().reduce((s, v) => s + v * v, 0));
        const coef = Math.min(1, maxNorm / (norm64 + 1e-6));
        const { grads: clipped, norm } = clipGradNorm(record, maxNorm);
        expect(norm.item()).toBeCloseTo(norm64, 4);
        gs.forEach((g, i) => {
          const out = clipped[`p${i}`]!.hostValuesSync();
          g.forEach((v, j) => expect(Math.abs(out[j]! - v * coef)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(v))));
        });
        const clippedNorm = Math.sqrt(Object.values(clipped).reduce((s, t) => s + [...t.hostValuesSync()].reduce((a, v) => a + v * v, 0), 0));
        expect(clippedNorm).toBeLessThanOrEqual(maxNorm * (1 + 1e-5));
        for (const t of [...Object.values(record), ...Object.values(clipped), norm]) t.dispose();
      }),
      { numRuns: 40 },
    );
  });
  it('refuses a non-positive maxNorm', () => {
    const g = { a: tensor([1]) };
    expect(() => clipGradNorm(g, 0)).toThrow(/clipGradNorm: maxNorm is 0; expected a finite number > 0/);
    g.a.dispose();
  });
});

describe('optimizer state serialization', () => {
  it('flatten → safetensors bytes → unflatten continues bit for bit like the original state', () => {
    const opt = adam({ lr: 0.1, amsgrad: true });
    const params = { 'enc.w': tensor([[1, -2], [0.5, 3]]), b: tensor([0.1]) };
    const g = { 'enc.w': tensor([[0.3, -1], [2, 0.1]]), b: tensor([-0.7]) };
    const s0 = opt.init(params);
    const s1 = opt.step(params, g, s0);
    const { tensors, scalars } = flattenOptimizerState(s1.state);
    expect(Object.keys(tensors).sort()).toEqual(['expAvg/b', 'expAvg/enc.w', 'expAvgSq/b', 'expAvgSq/enc.w', 'maxExpAvgSq/b', 'maxExpAvgSq/enc.w']);
    const bytes = encodeSafetensors(Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, { dtype: 'F32' as const, shape: t.shape, data: t.hostValuesSync() as Float32Array }])));
    const decoded = decodeSafetensors(bytes);
    const loaded: Record<string, Tensor> = {};
    for (const [k, e] of decoded.tensors) loaded[k] = tensor(new Float32Array(e.data.slice().buffer), { shape: e.shape });
    const restored: OptimizerState = unflattenOptimizerState(opt, s1.params, loaded, JSON.parse(JSON.stringify(scalars)) as { step: number });
    const a = opt.step(s1.params, g, s1.state);
    const b = opt.step(s1.params, g, restored);
    for (const k of Object.keys(params)) expect([...b.params[k]!.hostValuesSync()]).toEqual([...a.params[k]!.hostValuesSync()]);
    for (const st of [s0, s1.state, restored, a.state, b.state]) disposeOptimizerState(st);
    for (const r of [params, g, s1.params, a.params, b.params]) for (const t of Object.values(r)) if (!t.isDisposed) t.dispose();
  });
  it('refuses a state that does not fit the parameters', () => {
    const opt = adam({ lr: 0.1 });
    const params = { w: tensor([1, 2]) };
    const wrong = { 'expAvg/w': tensor([0, 0, 0]), 'expAvgSq/w': tensor([0, 0]) };
    expect(() => unflattenOptimizerState(opt, params, wrong, { step: 3 })).toThrow(/'expAvg\/w' is float32\[3\]; expected float32\[2\]/);
    expect(() => unflattenOptimizerState(opt, params, { 'expAvg/w': wrong['expAvgSq/w'] }, { step: 3 })).toThrow(/missing \[expAvgSq\/w\]/);
    for (const t of [params.w, ...Object.values(wrong)]) t.dispose();
  });
});
