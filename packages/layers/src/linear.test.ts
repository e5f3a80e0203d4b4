import { defaultRuntime, scope, tensor } from '@nibble/core';
import { describe, expect, it } from 'vitest';
import { checkModuleGradients, useCpu } from '../test/helpers.ts';
import { manualSeed } from './init.ts';
import { Linear } from './linear.ts';

useCpu();

describe('Linear', () => {
  it('gradients match float64 central differences (weight, bias, input; rank-3 input)', () => {
    checkModuleGradients((runtime) => new Linear(3, 2, { seed: 5, runtime }), (m, [x]) => m.forward(x!), [{ shape: [2, 2, 3], values: [0.1, -0.3, 0.5, 0.7, -1.1, 0.2, 0.4, 0.9, -0.6, 0.3, 0.8, -0.2] }]);
  });

  it('computes x Wᵀ + b with W [out, in] (PyTorch layout)', () => {
    const fc = new Linear(2, 3, { seed: 1 });
    scope(() => {
      fc.loadStateDict({ weight: tensor([[1, 2], [3, 4], [5, 6]]), bias: tensor([0.5, -0.5, 1]) });
      expect(fc.forward(tensor([[1, -1]])).arraySync()).toEqual([[-0.5, -1.5, 0]]);
    });
    fc.dispose();
  });

  it('initializes uniform in ±1/√in like PyTorch, reproducibly from the seed and from manualSeed', () => {
    const a = new Linear(16, 32, { seed: 3 });
    const b = new Linear(16, 32, { seed: 3 });
    const w = a.rawParameter('weight').dataSync();
    expect(Array.from(w)).toEqual(Array.from(b.rawParameter('weight').dataSync()));
    expect(Math.max(...Array.from(w, Math.abs))).toBeLessThanOrEqual(0.25);
    expect(Math.max(...Array.from(w, Math.abs))).toBeGreaterThan(0.2); // spans the range, not a narrower one
    manualSeed(9);
    const c = new Linear(4, 4);
    manualSeed(9);
    const d = new Linear(4, 4);
    expect(Array.from(c.rawParameter('weight').dataSync())).toEqual(Array.from(d.rawParameter('weight').dataSync()));
    expect(Array.from(c.rawParameter('weight').dataSync())).not.toEqual(Array.from(c.rawParameter('bias').dataSync()));
    [a, b, c, d].forEach((m) => m.dispose());
  });

  it('reads its weight through the weight transform', () => {
    const fc = new Linear(2, 1, { bias: false, seed: 1 });
    scope(() => {
      const x = tensor([[1, 2]]);
      const plain = fc.forward(x).item();
      fc.setWeightTransform('weight', (w) => w.mul(2));
      expect(fc.forward(x).item()).toBeCloseTo(2 * plain, 6);
    });
    fc.dispose();
  });

  it('frees every intermediate of a forward pass, and rejects a wrong input size', () => {
    const fc = new Linear(3, 2, { seed: 1 });
    const x = tensor([[[1, 2, 3]]]);
    const before = defaultRuntime.memory();
    scope(() => {
      fc.forward(x);
    });
    expect(defaultRuntime.memory()).toEqual(before);
    expect(() => fc.forward(tensor([[1, 2]]))).toThrow(/Linear.forward: input has shape \[1,2\]; expected last axis 3/);
    fc.dispose();
  });
});
