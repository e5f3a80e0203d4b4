import { defaultRuntime, scope, tensor } from '@nibble/core';
import { describe, expect, it } from 'vitest';
import { checkModuleGradients, pseudoRandom, useCpu } from '../test/helpers.ts';
import { Linear } from './linear.ts';
import { GELU, ReLU, Sequential, Tanh } from './sequential.ts';

useCpu();

describe('Sequential', () => {
  it('chains modules, names children 0, 1, ... and frees intermediates', () => {
    const a = new Linear(3, 4, { seed: 1 });
    const b = new Linear(4, 2, { seed: 2 });
    const seq = new Sequential(a, new ReLU(), b);
    expect([...seq.namedParameters().keys()]).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    const x = tensor([[1, -2, 0.5]]);
    const before = defaultRuntime.memory();
    scope(() => {
      const manual = Array.from(b.forward(a.forward(x).relu()).dataSync());
      expect(Array.from(seq.forward(x).dataSync())).toEqual(manual);
    });
    expect(defaultRuntime.memory()).toEqual(before);
    scope(() => expect(new Sequential().forward(x).arraySync()).toEqual([[1, -2, 0.5]]));
    seq.dispose();
    x.dispose();
  });

  it('gradients match float64 central differences (Linear, Tanh, Linear, GELU)', () => {
    checkModuleGradients(
      (runtime) => new Sequential(new Linear(3, 4, { seed: 1, runtime }), new Tanh(), new Linear(4, 2, { seed: 2, runtime }), new GELU()),
      (m, [x]) => m.forward(x!),
      [{ shape: [2, 3], values: pseudoRandom(6, 2) }],
    );
  });
});
