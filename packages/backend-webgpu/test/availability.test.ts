import { add, createRuntime, gather, scatterAdd, tensor, ValueError } from '@nibble/core';
import { describe, expect, it } from 'vitest';
import { webgpuFactory } from '../src/index.ts';
import { sizeClass } from '../src/buffer-pool.ts';
import { webgpuAvailability } from './setup.ts';

describe('availability and errors', () => {
  it('size classes are powers of two from 256 bytes', () => {
    expect([1, 256, 257, 1000, 4096].map(sizeClass)).toEqual([256, 256, 512, 1024, 4096]);
  });

  it('after dispose every call throws a BackendError naming the call', async () => {
    const { run } = await webgpuAvailability();
    if (!run) return;
    const b = await webgpuFactory().create();
    const id = b.alloc('float32', 4);
    b.write(id, new Float32Array([1, 2, 3, 4]));
    expect(Array.from((await b.read(id)) as Float32Array)).toEqual([1, 2, 3, 4]);
    b[Symbol.dispose]();
    expect(() => b.alloc('float32', 1)).toThrow(/webgpu\.alloc: the backend was disposed/);
  });

  it('a lost device makes later calls throw with the reason', async () => {
    const { run } = await webgpuAvailability();
    if (!run) return;
    const b = await webgpuFactory().create();
    b.device.destroy();
    await b.device.lost;
    await new Promise((r) => setTimeout(r, 0));
    expect(() => b.alloc('float32', 1)).toThrow(/device was lost \(destroyed/);
    b[Symbol.dispose]();
  });

  it('int8, uint8 and bool round-trip through i32 storage', async () => {
    const { run } = await webgpuAvailability();
    if (!run) return;
    const b = await webgpuFactory().create();
    try {
      const i8 = b.alloc('int8', 3);
      b.write(i8, new Int8Array([-128, 0, 127]));
      expect(Array.from((await b.read(i8)) as Int8Array)).toEqual([-128, 0, 127]);
      const u8 = b.alloc('uint8', 2);
      b.write(u8, new Uint8Array([0, 255]));
      const got = await b.read(u8);
      expect(got).toBeInstanceOf(Uint8Array);
      expect(Array.from(got)).toEqual([0, 255]);
    } finally {
      b[Symbol.dispose]();
    }
  });

  it('an out-of-range index computed on the GPU makes the next read throw, once', async () => {
    const { run } = await webgpuAvailability();
    if (!run) return;
    const rt = createRuntime({ backends: [webgpuFactory()] });
    await rt.use('webgpu');
    try {
      const x = tensor([1, 2, 3], { runtime: rt });
      const a = tensor(new Int32Array([0, 1]), { runtime: rt });
      const b = tensor(new Int32Array([2, 5]), { runtime: rt });
      const idx = add(a, b); // [2, 6], computed on the GPU: no host copy to check at the call
      const g = gather(x, idx, 0);
      await expect(g.data()).rejects.toThrow(ValueError);
      await expect(g.data()).resolves.toEqual(new Float32Array([3, 0])); // reported once, then cleared
      const s = scatterAdd(idx, x.slice([0], [2]), [3], 0);
      await expect(rt.backend().sync()).rejects.toThrow(/scatterAdd: index 6 .* \[0, 3\)/);
      [x, a, b, idx, g, s].forEach((t) => t.dispose());
    } finally {
      rt[Symbol.dispose]();
    }
  });
});
