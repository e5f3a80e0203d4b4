// Memory: ops never consume inputs; scope frees temporaries; `using` disposes; views share buffers.
import type { BufferId } from '@nibble/core/spi';
import { describe, expect, it } from 'vitest';
import { createRuntime, keep, pad, scope, scopeAsync, tensor, type Tensor, zeros } from '@nibble/core';
import { cpuFactory } from '../src/index.ts';
import { CpuBackend } from '../src/backend.ts';

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

describe('reuse of freed host arrays', () => {
  // 64 Ki floats = 256 KiB, above the reuse threshold
  const n = 65536;
  const values = Float32Array.from({ length: n }, (_, i) => (i % 17) - 8);

  it('results with reuse equal results without (views that share a buffer, zeros(), pad borders, reused outputs)', () => {
    const results = [0, 128 * 1024 * 1024].map((reuseBytes) => {
      const rt = createRuntime({ backends: [cpuFactory({ name: `cpu-reuse-${reuseBytes}`, reuseBytes })] });
      const out: number[][] = [];
      for (let round = 0; round < 3; round++) {
        scope(() => {
          const x = tensor(values, { runtime: rt, shape: [256, 256] });
          x.mul(round + 2).dataSync(); // leaves freed arrays of 256·256 floats behind
          // pad writes only the interior explicitly; its border must still read as the pad value
          out.push(Array.from(pad(x.slice([0, 0], [255, 256]), [[0, 1], [0, 0]], 0).dataSync().subarray(n - 300)));
          out.push(Array.from(zeros([256, 256], { runtime: rt }).dataSync().subarray(0, 300)));
          out.push(Array.from(x.add(round).dataSync().subarray(0, 40)));
        });
      }
      return out;
    });
    expect(results[1]).toEqual(results[0]);
  });

  it('freed arrays are reused (memory stays flat), capped by reuseBytes, and memory() counts only live buffers', () => {
    const rt = createRuntime({ backends: [cpuFactory({ name: 'cpu-reuse-cap', reuseBytes: 4 * n * 4 })] });
    const before = rt.memory();
    for (let i = 0; i < 50; i++) scope(() => tensor(values, { runtime: rt, shape: [n] }).mul(i).add(1).dataSync());
    expect(rt.memory()).toEqual(before);
    expect(() => cpuFactory({ reuseBytes: -1 }).createSync!()).toThrow(/reuseBytes -1; expected a number ≥ 0/);
  });

  it('a full pool evicts the longest-freed arrays, so a new shape is reused after an old one filled the pool', () => {
    const cap = 4 * n * 4; // room for four arrays of n floats
    const backend = new CpuBackend({ name: 'cpu-reuse-evict', reuseBytes: cap });
    const free = (ids: BufferId[]) => ids.forEach((id) => backend.decRef(id));
    free(Array.from({ length: 4 }, () => backend.alloc('float32', n))); // the pool is now full of [n] arrays
    const shape2 = n / 2 + 16; // another length, still above the reuse threshold
    const marked = Float32Array.from({ length: shape2 }, (_, i) => i + 1);
    for (let round = 0; round < 3; round++) {
      const id = backend.alloc('float32', shape2);
      const got = backend.readSync(id) as Float32Array;
      // from the second round on, the array freed in the round before comes back with its contents
      if (round > 0) expect(got[shape2 - 1], `round ${round}`).toBe(shape2);
      backend.write(id, marked);
      free([id]);
    }
  });
});
