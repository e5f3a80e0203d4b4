// Autograd API on the CPU backend: grad / valueAndGrad / vjp / customVjp / noGrad / stopGradient.
import { describe, expect, it } from 'vitest';
import { createRuntime, customVjp, grad, noGrad, stopGradient, type Tensor, tensor, valueAndGrad, vjp, onesLike } from '@nibble/core';
import type { BackendFactory, KernelCall, KernelOp } from '@nibble/core/spi';
import { CpuBackend, cpuFactory } from '../src/index.ts';

const runtime = createRuntime({ backends: [cpuFactory()] });
const t = (data: number[] | number[][]) => tensor(data, { runtime });

describe('autograd API', () => {
  it('valueAndGrad returns gradients shaped like nested arguments', () => {
    const w = t([[1, 2], [3, 4]]);
    const b = t([0.5, -0.5]);
    const x = t([[1, 1]]);
    const f = (p: { w: Tensor; b: Tensor }) => x.matmul(p.w).add(p.b).square().sum();
    const { value, grads: [grads] } = valueAndGrad(f)({ w, b });
    // y = [4.5, 5.5]; dL/dy = 2y = [9, 11]; dL/dw = xᵀ·dy; dL/db = dy
    expect(value.item()).toBeCloseTo(4.5 ** 2 + 5.5 ** 2, 5);
    expect(grads.b.arraySync()).toEqual([9, 11]);
    expect(grads.w.arraySync()).toEqual([[9, 11], [9, 11]]);
  });

  it('grad of an unused argument is zeros; repeated use accumulates', () => {
    const x = t([2, 3]);
    const y = t([1, 1]);
    const [gx, gy] = grad((a: Tensor, _b: Tensor) => a.mul(a).mul(a).sum())(x, y);
    expect(gx.arraySync()).toEqual([12, 27]);
    expect(gy.arraySync()).toEqual([0, 0]);
  });

  it('stopGradient and noGrad block the gradient', () => {
    const x = t([1, 2]);
    const [g1] = grad((a: Tensor) => a.mul(stopGradient(a)).sum())(x);
    expect(g1.arraySync()).toEqual([1, 2]);
    const [g2] = grad((a: Tensor) => a.sum().add(noGrad(() => a.square().sum())))(x);
    expect(g2.arraySync()).toEqual([1, 1]);
  });

  it('customVjp: straight-through round', () => {
    const roundSte = customVjp((x: Tensor) => x.roundHalfEven(), (_ctx, g) => [g.mul(1)]);
    const x = t([0.4, 1.5, 2.5]);
    const { value, grads: [gx] } = valueAndGrad((a: Tensor) => roundSte(a).mul(t([1, 2, 3])).sum())(x);
    expect(value.item()).toBe(0 * 1 + 2 * 2 + 2 * 3);
    expect(gx.arraySync()).toEqual([1, 2, 3]);
  });

  it('vjp with a non-scalar output and a given cotangent', () => {
    const x = t([0, 1, 2]);
    using r = vjp((a: Tensor) => a.exp(), x);
    const [g] = r.vjp(t([1, 0, 2]));
    const e = [Math.exp(0), 0, 2 * Math.exp(2)];
    (g.arraySync() as number[]).forEach((v, i) => expect(v).toBeCloseTo(e[i]!, 5));
    expect(() => r.vjp(t([1, 2]))).toThrow(/cotangent has shape \[2\]; expected the output's shape \[3\]/);
  });

  it('valueAndGrad refuses a non-scalar function with a clear message', () => {
    const x = t([1, 2]);
    expect(() => valueAndGrad((a: Tensor) => a.mul(2))(x)).toThrow(/expected a scalar/);
  });

  it('gradients leave no buffer behind', () => {
    const x = t([[1, 2], [3, 4]]);
    const before = runtime.memory();
    for (let i = 0; i < 50; i++) {
      const { value, grads: [g] } = valueAndGrad((a: Tensor) => a.matmul(a.transpose()).softmax(-1).logSumExp(0).sum())(x);
      value.dispose();
      g.dispose();
    }
    expect(runtime.memory()).toEqual(before);
    const seed = onesLike(x);
    seed.dispose();
  });
});

describe('memory during the backward pass of valueAndGrad', () => {
  const n = 1 << 14; // 64 KiB per float32 tensor
  const x = tensor(Array.from({ length: n }, (_, i) => Math.sin(i) * 0.1), { runtime });

  it('frees saved activations and spent gradients as it goes: live bytes in the first op\'s rule stay a few tensors', () => {
    let liveInFirstRule = 0;
    const probe = customVjp((a: Tensor) => a.mul(1), (_ctx, g) => {
      liveInFirstRule = runtime.memory().bytes;
      return [g.mul(1)];
    });
    const before = runtime.memory().bytes;
    const depth = 24;
    const { value, grads: [g] } = valueAndGrad((a: Tensor) => {
      let y = probe(a);
      for (let i = 0; i < depth; i++) y = y.tanh().mul(0.9);
      return y.sum();
    })(x);
    // the first rule runs last: by then the 2·depth activations after it (and their gradients) are gone; kept all
    // until the end, they would be 48 tensors of 64 KiB
    expect((liveInFirstRule - before) / (4 * n)).toBeLessThan(6);
    // and the gradient is still right, against the float64 chain rule of v ← 0.9·tanh(v)
    const got = g!.dataSync();
    for (const i of [0, 1, 77, n - 1]) {
      let v = Math.fround(Math.sin(i) * 0.1);
      let d = 1;
      for (let k = 0; k < depth; k++) {
        const t = Math.tanh(v);
        d *= 0.9 * (1 - t * t);
        v = 0.9 * t;
      }
      expect(Math.abs(got[i]! - d) / d).toBeLessThan(1e-4);
    }
    value.dispose();
    g!.dispose();
    expect(runtime.memory().bytes).toBe(before);
  });

  it('a gradient handle that serves several inputs, or a rule that returns g itself, is not freed early', () => {
    const passThrough = customVjp((a: Tensor) => a.mul(1), (_ctx, g) => [g]);
    const before = runtime.memory();
    const { value, grads: [ga, gb] } = valueAndGrad((a: Tensor, b: Tensor) => passThrough(a.add(b)).add(passThrough(a)).mul(a).sum())(x, x.mul(2));
    // f = (2a + b)·a through two pass-through nodes: ∂f/∂a = (2a + b) + 2a = 4a + b, ∂f/∂b = a
    const a = x.dataSync();
    const gA = ga!.dataSync();
    const gB = gb!.dataSync();
    for (const i of [0, 5, n - 1]) {
      expect(gA[i]).toBeCloseTo(4 * a[i]! + Math.fround(2 * a[i]!), 5); // b = 2a
      expect(gB[i]).toBeCloseTo(a[i]!, 6);
    }
    [value, ga!, gb!].forEach((t) => t.dispose());
    expect(runtime.memory().tensors).toBe(before.tensors + 1); // x.mul(2), not disposed here
  });
});

describe('backward work for inputs that need no gradient', () => {
  // A CPU backend that records every kernel it runs, so the test sees what the backward pass computed.
  class CountingBackend extends CpuBackend {
    readonly ops: string[] = [];
    override run(call: KernelCall<KernelOp>): void {
      this.ops.push(`${call.op}:${call.outputs[0]!.shape.join('x')}`);
      super.run(call);
    }
  }
  const backend = new CountingBackend({ name: 'counting' });
  const factory: BackendFactory = { name: 'counting', priority: 0, isAvailable: () => Promise.resolve({ ok: true }), create: () => Promise.resolve(backend), createSync: () => backend };
  const counted = createRuntime({ backends: [factory] });
  const c = (data: number[][]) => tensor(data, { runtime: counted });

  it('x·W with x constant: one matmul forward and one backward (no dX); the gradient is xᵀ·dY', () => {
    const x = c([[1, 2, 3], [4, 5, 6]]);
    const w = c([[1, 0], [0, 1], [1, 1]]);
    backend.ops.length = 0;
    const [gw] = grad((wt: Tensor) => x.matmul(wt).sum())(w);
    expect(backend.ops.filter((o) => o.startsWith('matmul')).length).toBe(2);
    expect(gw.arraySync()).toEqual([[5, 5], [7, 7], [9, 9]]);
  });

  it('relu(x) = maximum(x, 0): no gradient (and no reduction to a scalar) for the constant 0; ties get ½', () => {
    const x = c([[-1, 0, 2], [3, -4, 0]]);
    backend.ops.length = 0;
    const [gx] = grad((v: Tensor) => v.relu().mul(c([[1, 2, 3], [4, 5, 6]])).sum())(x);
    expect(gx.arraySync()).toEqual([[0, 1, 3], [4, 0, 3]]);
    // the forward's final sum is the only reduction to a scalar (shape '')
    expect(backend.ops.filter((o) => o.startsWith('sum')), backend.ops.join(' ')).toHaveLength(1);
  });
});
