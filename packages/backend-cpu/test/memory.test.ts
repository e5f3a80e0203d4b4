// Memory: ops never consume inputs; scope frees temporaries; `using` disposes; views share buffers.
import { describe, expect, it } from 'vitest';
import { createRuntime, keep, scope, scopeAsync, tensor, type Tensor } from '@nibble/core';
import { cpuFactory } from '../src/index.ts';

const runtime = createRuntime({ backends: [cpuFactory()] });

describe('memory', () => {
  it('1000 iterations of create-and-drop inside scope end where they started', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]], { runtime });
    const before = runtime.memory();
    for (let i = 0; i < 1000; i++) {
      scope(() => {
        const y = x.mul(i).add(1).transpose().reshape([3, 2]).softmax();
        y.sum().dataSync();
      });
    }
    expect(runtime.memory()).toEqual(before);
  });

  it('scope keeps what it returns and what is kept; scopeAsync too', async () => {
    const before = runtime.memory();
    let kept!: Tensor;
    const out = scope(() => {
      kept = keep(tensor([1], { runtime }).add(1));
      return { y: tensor([2], { runtime }).mul(3) };
    });
    expect(out.y.item()).toBe(6);
    expect(kept.item()).toBe(2);
    const asyncOut = await scopeAsync(async () => {
      const t = tensor([5], { runtime }).add(1);
      await Promise.resolve();
      return t.mul(2);
    });
    expect(await asyncOut.data()).toEqual(new Float32Array([12]));
    [out.y, kept, asyncOut].forEach((t) => t.dispose());
    expect(runtime.memory()).toEqual(before);
  });

  it('a throwing scope frees everything it created', () => {
    const before = runtime.memory();
    expect(() => scope(() => {
      tensor([1, 2], { runtime }).add(1);
      throw new Error('boom');
    })).toThrow('boom');
    expect(runtime.memory()).toEqual(before);
  });

  it('views share the buffer; the buffer lives until the last handle is disposed', () => {
    const before = runtime.memory();
    const x = tensor([[1, 2], [3, 4]], { runtime });
    const v = x.transpose();
    expect(runtime.memory().buffers).toBe(before.buffers + 1);
    x.dispose();
    expect(v.arraySync()).toEqual([[1, 3], [2, 4]]);
    v.dispose();
    expect(runtime.memory()).toEqual(before);
  });

  it('using disposes at the end of the block', () => {
    const before = runtime.memory();
    {
      using x = tensor([1, 2, 3], { runtime });
      expect(x.sum().item()).toBe(6);
    }
    // the sum's result was not disposed: exactly one tensor remains
    expect(runtime.memory().tensors).toBe(before.tensors + 1);
  });
});
