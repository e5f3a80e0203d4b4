// Repeated lstmSequence calls with the same Wh reuse its packed copy in the addon (batch ≤ 4). These tests check
// that the reuse never serves a stale copy: a new weight of the same shape (also in recycled memory), a write to
// the weight's buffer, a kernel writing into it, and a change of the thread count all give the results of the new
// values, checked against the float64 TypeScript backend.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, lstmSequence, type Runtime, type Tensor, tensor } from '@nibble/core';
import type { BufferId, KernelCall, TensorView } from '@nibble/core/spi';
import { cpuFactory } from '../src/index.ts';
import { native, nativeFactory, NativeCpuBackend } from '../src/node.ts';
import { itRunsTheNativeBackend } from './cpu-backends.ts';

itRunsTheNativeBackend();

const reference = createRuntime({ backends: [cpuFactory({ precision: 'float64' })] });
const seeded = (n: number, seed: number, scale: number) => {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 31 - 1) * scale;
  });
};

interface Inputs { readonly b: number; readonly t: number; readonly h: number; readonly xp: Float32Array; readonly h0: Float32Array; readonly c0: Float32Array }
const inputsOf = (b: number, t: number, h: number, seed: number): Inputs => ({
  b, t, h, xp: seeded(b * t * 4 * h, seed, 1), h0: seeded(b * h, seed + 1, 0.5), c0: seeded(b * h, seed + 2, 0.5),
});

function run(rt: Runtime, c: Inputs, wh: Tensor | Float32Array): Float32Array {
  const w = wh instanceof Float32Array ? tensor(wh, { runtime: rt, shape: [c.h, 4 * c.h] }) : wh;
  const y = lstmSequence(
    tensor(c.xp, { runtime: rt, shape: [c.b, c.t, 4 * c.h] }), w,
    tensor(c.h0, { runtime: rt, shape: [c.b, c.h] }), tensor(c.c0, { runtime: rt, shape: [c.b, c.h] }),
  );
  return y.dataSync() as Float32Array;
}

function expectClose(actual: Float32Array, expected: Float32Array, what: string): void {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / (1 + Math.abs(expected[i]!)));
  expect(worst, `${what}: worst relative difference vs float64`).toBeLessThan(1e-5);
}

describe('lstmSequence reuses a packed Wh only while it is the same weight', () => {
  const threads = native.nativeInfo().threads;
  afterEach(() => native.setNativeThreads(threads));

  it('new weights of the same shape, in recycled memory, are never served from the old packed copy', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 2, max: 4 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 1e6 }), (b, t, h, seed) => {
        // reuseMinBytes 0: a freed Wh's array goes to the pool and the next Wh of its shape gets the same memory
        const rt = createRuntime({ backends: [nativeFactory({ name: 'cpu-native', reuseMinBytes: 0 })] });
        const c = inputsOf(b, t, h, seed);
        const first = tensor(seeded(h * 4 * h, seed + 3, 0.3), { runtime: rt, shape: [h, 4 * h] });
        const y1 = run(rt, c, first);
        expect(run(rt, c, first), 'the same weight again: the reused packed copy gives the same bits').toEqual(y1);
        expectClose(y1, run(reference, c, first.dataSync() as Float32Array), 'first weight');
        first.dispose();
        const values = seeded(h * 4 * h, seed + 4, 0.3);
        const second = tensor(values, { runtime: rt, shape: [h, 4 * h] });
        expectClose(run(rt, c, second), run(reference, c, values), 'a new weight in the freed one\'s memory');
      }),
      { numRuns: 40 },
    );
  });

  it('results stay right across a change of thread count (H = 256 splits the units over the pool)', () => {
    const rt = createRuntime({ backends: [nativeFactory({ name: 'cpu-native' })] });
    const c = inputsOf(1, 3, 256, 7);
    const values = seeded(256 * 1024, 8, 0.05);
    const wh = tensor(values, { runtime: rt, shape: [256, 1024] });
    const expected = run(reference, c, values);
    expectClose(run(rt, c, wh), expected, `${threads} threads`);
    native.setNativeThreads(1);
    expectClose(run(rt, c, wh), expected, '1 thread');
    native.setNativeThreads(threads);
    expectClose(run(rt, c, wh), expected, `${threads} threads again`);
  });

  it('a write to the weight\'s buffer, or a kernel writing into it, retires the packed copy', () => {
    const backend = nativeFactory({ name: 'cpu-native' }).createSync!();
    if (!(backend instanceof NativeCpuBackend)) throw new Error('expected the native backend');
    const [b, t, h] = [1, 3, 8];
    const c = inputsOf(b, t, h, 11);
    const view = (buffer: BufferId, shape: number[]): TensorView => {
      const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, d) => a * d, 1));
      return { buffer, dtype: 'float32', shape, strides, offset: 0 };
    };
    const buffer = (data: Float32Array) => {
      const id = backend.alloc('float32', data.length);
      backend.write(id, data);
      return id;
    };
    const xp = view(buffer(c.xp), [b, t, 4 * h]);
    const h0 = view(buffer(c.h0), [b, h]);
    const c0 = view(buffer(c.c0), [b, h]);
    const wh = view(buffer(seeded(h * 4 * h, 12, 0.3)), [h, 4 * h]);
    const lstm = (): Float32Array => {
      const y = view(backend.alloc('float32', b * t * 2 * h), [b, t, 2, h]);
      backend.run({ op: 'lstmSequence', inputs: [xp, wh, h0, c0], outputs: [y], params: {} } as KernelCall<'lstmSequence'>);
      return backend.readSync(y.buffer) as Float32Array;
    };
    lstm();
    const written = seeded(h * 4 * h, 13, 0.3);
    backend.write(wh.buffer, written);
    expectClose(lstm(), run(reference, c, written), 'after write()');
    const doubled = written.map((v) => 2 * v);
    const two = view(buffer(new Float32Array(h * 4 * h).fill(2)), [h, 4 * h]);
    const source = view(buffer(written), [h, 4 * h]);
    backend.run({ op: 'mul', inputs: [source, two], outputs: [wh], params: {} } as KernelCall<'mul'>);
    expectClose(lstm(), run(reference, c, doubled), 'after a kernel wrote the weight');
  });
});
