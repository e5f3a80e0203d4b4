import { createRuntime, defaultRuntime, type Runtime, type Tensor, tensor } from '@nibble/core';
import { cpu, cpuFactory } from '@nibble/backend-cpu';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { referenceTrajectory, type RefConfig } from '../test/pytorch-reference.ts';
import { adam, adamw, linearWarmup, type Optimizer, OptimizerError, rmsprop, sgd, stepDecay } from './index.ts';

if (!defaultRuntime.registered().includes('cpu')) defaultRuntime.register(cpu);
const cpu64: Runtime = createRuntime({ backends: [cpuFactory({ precision: 'float64' })] });

function build(cfg: RefConfig, lr: number | ((k: number) => number) = cfg.lr): Optimizer {
  switch (cfg.kind) {
    case 'sgd':
      return sgd({ lr, momentum: cfg.momentum, dampening: cfg.dampening, nesterov: cfg.nesterov, weightDecay: cfg.weightDecay });
    case 'adam':
    case 'adamw':
      return (cfg.kind === 'adam' ? adam : adamw)({ lr, betas: [cfg.beta1, cfg.beta2], eps: cfg.eps, weightDecay: cfg.weightDecay, amsgrad: cfg.amsgrad });
    case 'rmsprop':
      return rmsprop({ lr, alpha: cfg.alpha, eps: cfg.eps, weightDecay: cfg.weightDecay, momentum: cfg.momentum, centered: cfg.centered });
  }
}

/** Runs the tensor optimizer on one parameter vector; returns the parameter after every step. */
function tensorTrajectory(opt: Optimizer, runtime: Runtime, theta0: readonly number[], grads: readonly (readonly number[])[]): number[][] {
  let params: Record<string, Tensor> = { w: tensor([...theta0], { runtime }) };
  let state = opt.init(params);
  const out: number[][] = [];
  for (const g of grads) {
    const gt = tensor([...g], { runtime });
    const next = opt.step(params, { w: gt }, state);
    gt.dispose();
    params.w!.dispose();
    for (const slot of Object.values(state.slots)) for (const t of Object.values(slot)) t.dispose();
    params = next.params;
    state = next.state;
    out.push([...params.w!.hostValuesSync()]);
  }
  params.w!.dispose();
  for (const slot of Object.values(state.slots)) for (const t of Object.values(slot)) t.dispose();
  return out;
}

function expectClose(actual: number[][], expected: number[][], rtol: number, atol: number): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((row, k) =>
    row.forEach((a, i) => {
      const e = expected[k]![i]!;
      if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) throw new Error(`step ${k + 1}, element ${i}: got ${a}, reference ${e}`);
    }),
  );
}

// Parameters and gradients are float32 tensors, so the values are float32 numbers, and 0 or at least 1e-3 in
// magnitude. A double below float32's range (fast-check's shrinker finds 1e-47) is stored as 0, so the float64
// reference would describe another input; a square below it (g ~ 1e-22) is stored rounded or as 0, so √(v − ḡ²) of
// centered RMSprop becomes NaN; and Adam and RMSprop divide by √v + ε, which scales those errors by up to 1/ε.
const value = fc.oneof(
  fc.constant(0),
  fc.tuple(fc.boolean(), fc.double({ min: 1e-3, max: 2, noNaN: true })).map(([negative, magnitude]) => Math.fround(negative ? -magnitude : magnitude)),
);
const problem = fc.record({
  theta0: fc.array(value, { minLength: 4, maxLength: 4 }),
  grads: fc.array(fc.array(value, { minLength: 4, maxLength: 4 }), { minLength: 1, maxLength: 6 }),
});
const unit = (min: number, max: number) => fc.double({ min, max, noNaN: true });
const sgdConfig: fc.Arbitrary<RefConfig> = fc
  .record({ lr: unit(0.001, 0.5), momentum: fc.oneof(fc.constant(0), unit(0.1, 0.95)), dampening: fc.oneof(fc.constant(0), unit(0, 0.5)), nesterov: fc.boolean(), weightDecay: fc.oneof(fc.constant(0), unit(0, 0.1)) })
  .map((c) => ({ kind: 'sgd' as const, ...c, ...(c.nesterov ? { momentum: Math.max(c.momentum, 0.5), dampening: 0 } : {}) }));
const adamConfig: fc.Arbitrary<RefConfig> = fc.record({
  kind: fc.constantFrom('adam' as const, 'adamw' as const),
  lr: unit(0.001, 0.3), beta1: unit(0, 0.95), beta2: unit(0.5, 0.999),
  // eps up to 0.5 so that adding it before or after the square root makes a visible difference
  eps: fc.oneof(fc.constant(1e-8), unit(1e-3, 0.5)),
  weightDecay: fc.oneof(fc.constant(0), unit(0, 0.2)), amsgrad: fc.boolean(),
});
const rmspropConfig: fc.Arbitrary<RefConfig> = fc.record({
  kind: fc.constant('rmsprop' as const), lr: unit(0.001, 0.1), alpha: unit(0.5, 0.99), eps: fc.oneof(fc.constant(1e-8), unit(1e-3, 0.5)),
  weightDecay: fc.oneof(fc.constant(0), unit(0, 0.2)), momentum: fc.oneof(fc.constant(0), unit(0.1, 0.9)), centered: fc.boolean(),
});

describe.each([
  ['SGD (momentum, Nesterov, dampening, weight decay)', sgdConfig],
  ['Adam / AdamW (bias correction, AMSGrad, L2 vs decoupled decay)', adamConfig],
  ['RMSprop (eps outside the sqrt, centered, momentum)', rmspropConfig],
])('%s matches a float64 transcription of PyTorch’s update equations', (_, config) => {
  it('on the float64 reference backend (tight tolerance)', () => {
    fc.assert(
      fc.property(config, problem, (cfg, { theta0, grads }) => {
        expectClose(tensorTrajectory(build(cfg), cpu64, theta0, grads), referenceTrajectory(cfg, theta0, grads), 1e-6, 1e-7);
      }),
      { numRuns: 60 },
    );
  });
  it('on the float32 CPU backend (float32 tolerance)', () => {
    fc.assert(
      fc.property(config, problem, (cfg, { theta0, grads }) => {
        expectClose(tensorTrajectory(build(cfg), defaultRuntime, theta0, grads), referenceTrajectory(cfg, theta0, grads), 2e-4, 2e-5);
      }),
      { numRuns: 30 },
    );
  });
});

describe('hand-checked first steps', () => {
  it('SGD momentum: the first buffer is the gradient (no dampening), then μb + (1−τ)g', () => {
    const cfg: RefConfig = { kind: 'sgd', lr: 0.1, momentum: 0.9, dampening: 0.5, nesterov: false, weightDecay: 0 };
    const got = tensorTrajectory(build(cfg), cpu64, [1], [[1], [1]]);
    // step 1: b = 1, θ = 1 − 0.1 = 0.9; step 2: b = 0.9 + 0.5 = 1.4, θ = 0.9 − 0.14 = 0.76
    expectClose(got, [[0.9], [0.76]], 1e-6, 1e-7);
  });
  it('SGD Nesterov: the step uses g + μb (look-ahead), not b', () => {
    const cfg: RefConfig = { kind: 'sgd', lr: 0.1, momentum: 0.9, dampening: 0, nesterov: true, weightDecay: 0 };
    // step 1: b = 1, step g + μb = 1.9, θ = 1 − 0.19 = 0.81; step 2: b = 0.9·1 + 1 = 1.9, g + μb = 2.71, θ = 0.539
    // (classical momentum would give 0.9 and 0.71)
    expectClose(tensorTrajectory(build(cfg), cpu64, [1], [[1], [1]]), [[0.81], [0.539]], 1e-7, 1e-9); // scalars enter as float32 constants
  });
  it('Adam: the first step moves every coordinate by lr·g/(|g| + ε) (bias correction)', () => {
    const cfg: RefConfig = { kind: 'adam', lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, amsgrad: false };
    const got = tensorTrajectory(build(cfg), cpu64, [0, 0], [[3, -0.5]]);
    expectClose(got, [[-0.01, 0.01]], 1e-6, 1e-9);
  });
  it('RMSprop: eps is added after the square root', () => {
    const cfg: RefConfig = { kind: 'rmsprop', lr: 1, alpha: 0.75, eps: 0.5, weightDecay: 0, momentum: 0, centered: false };
    // v = 0.25·4 = 1, θ = 0 − 2/(√1 + 0.5) = −4/3 (inside the sqrt it would be −2/√1.5 = −1.633)
    expectClose(tensorTrajectory(build(cfg), cpu64, [0], [[2]]), [[-4 / 3]], 1e-6, 1e-7);
  });
});

it('a learning-rate schedule is evaluated at the 0-based step of each update', () => {
  const cfg: RefConfig = { kind: 'sgd', lr: 0, momentum: 0.5, dampening: 0, nesterov: false, weightDecay: 0 };
  const schedule = stepDecay({ lr: 0.2, stepSize: 2, gamma: 0.5 });
  const grads = [[1], [2], [-1], [0.5], [1]];
  expectClose(tensorTrajectory(build(cfg, schedule), cpu64, [1], grads), referenceTrajectory(cfg, [1], grads, schedule), 1e-6, 1e-7);
});

it('parameter groups each follow their own learning rate, including a warm-up schedule', () => {
  const warm = linearWarmup({ steps: 4 }, 0.4); // 0, 0.1, 0.2, 0.3, then 0.4
  const opt = sgd({ lr: 0.05, groups: [{ match: 'enc.*', lr: warm }, { match: 'head', lr: 1 }] });
  let params: Record<string, Tensor> = { 'enc.w': tensor([0], { runtime: cpu64 }), head: tensor([0], { runtime: cpu64 }), other: tensor([0], { runtime: cpu64 }) };
  let state = opt.init(params);
  const seen: number[][] = [];
  for (let k = 0; k < 6; k++) {
    const grads = Object.fromEntries(Object.keys(params).map((n) => [n, tensor([1], { runtime: cpu64 })]));
    const next = opt.step(params, grads, state);
    for (const t of [...Object.values(grads), ...Object.values(params)]) t.dispose();
    params = next.params;
    state = next.state;
    seen.push(['enc.w', 'head', 'other'].map((n) => params[n]!.hostValuesSync()[0]!));
  }
  // with g = 1 every step, each parameter is minus the running sum of its own rates
  const sums = (rate: (k: number) => number) => Array.from({ length: 6 }, (_, k) => -Array.from({ length: k + 1 }, (_, j) => rate(j)).reduce((a, b) => a + b, 0));
  const expected = [sums(warm), sums(() => 1), sums(() => 0.05)];
  seen.forEach((row, k) => row.forEach((v, i) => expect(Math.abs(v - expected[i]![k]!), `step ${k + 1}, group ${i}`).toBeLessThan(1e-7)));
  expect(seen[0]![0]).toBe(0); // warm-up starts at 0: the first step does not move enc.w
  expect([0, 1, 4, 9].map((k) => opt.learningRate('enc.w', k))).toEqual([0, 0.1, 0.4, 0.4]);
  for (const t of Object.values(params)) t.dispose();
});

describe('invalid hyperparameters are refused at creation, naming the value', () => {
  it.each([
    ['negative lr', () => sgd({ lr: -1 }), /sgd: lr is -1/],
    ['nesterov without momentum', () => sgd({ lr: 0.1, nesterov: true }), /nesterov needs momentum > 0/],
    ['beta1 = 1', () => adam({ lr: 0.1, betas: [1, 0.999] }), /adam: betas\[0\] is 1; expected a number in \[0, 1\)/],
    ['alpha > 1 in a group', () => rmsprop({ lr: 0.1, groups: [{ match: '*', alpha: 2 }] }), /rmsprop: groups\[0\]: alpha is 2/],
  ])('%s', (_, make, message) => {
    expect(make).toThrow(OptimizerError);
    expect(make).toThrow(message);
  });
});
