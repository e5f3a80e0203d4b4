// Runtime and backend registry: explicit registration, duplicate names refused, availability with a reason, default
// pick by priority, memory summed over backends. Fake factories only: core never depends on a backend.
import { describe, expect, it } from 'vitest';
import { BackendError } from '../errors.ts';
import type { Availability, Backend, BackendFactory } from '../spi/backend.ts';
import { createRuntime, defaultRuntime } from './runtime.ts';

interface FakeOptions {
  priority?: number;
  availability?: Availability;
  sync?: boolean;
  memory?: { buffers: number; bytes: number };
}

function fake(name: string, options: FakeOptions = {}): BackendFactory & { created: number } {
  const backend = { name, memory: () => options.memory ?? { buffers: 0, bytes: 0 }, [Symbol.dispose]: () => {} } as unknown as Backend;
  const factory = {
    name,
    priority: options.priority ?? 0,
    created: 0,
    isAvailable: async () => options.availability ?? ({ ok: true } as const),
    create: async () => (factory.created++, backend),
    ...(options.sync === false ? {} : { createSync: () => (factory.created++, backend) }),
  };
  return factory;
}

describe('Runtime', () => {
  it('starts empty; nothing registers itself on import', () => {
    expect(defaultRuntime.registered()).toEqual([]);
    expect(() => createRuntime().backend()).toThrow(/no backend registered in this runtime/);
  });

  it('refuses a second backend with the same name, naming it, and keeps the first', () => {
    const first = fake('cpu');
    const rt = createRuntime({ backends: [first] });
    expect(() => rt.register(fake('cpu'))).toThrow(BackendError);
    expect(() => rt.register(fake('cpu'))).toThrow("register: a backend named 'cpu' is already registered; names must be unique");
    expect(() => createRuntime({ backends: [fake('x'), fake('x')] })).toThrow(BackendError);
    expect(rt.registered()).toEqual(['cpu']);
    rt.backend();
    expect(first.created).toBe(1);
  });

  it('isAvailable gives the reason; use() of an unavailable backend throws it and never creates the backend', async () => {
    const gpu = fake('cuda', { availability: { ok: false, reason: 'cudaErrorNoDevice: no CUDA-capable device is detected' }, sync: false });
    const rt = createRuntime({ backends: [gpu] });
    expect(await rt.isAvailable('cuda')).toEqual({ ok: false, reason: 'cudaErrorNoDevice: no CUDA-capable device is detected' });
    await expect(rt.use('cuda')).rejects.toThrow("use: backend 'cuda' is unavailable: cudaErrorNoDevice: no CUDA-capable device is detected");
    expect(gpu.created).toBe(0);
    await expect(rt.isAvailable('webgpu')).rejects.toThrow("backend 'webgpu' is not registered; registered: cuda");
    expect(() => rt.useSync('cuda')).toThrow(/needs asynchronous setup; call 'await runtime.use\('cuda'\)'/);
  });

  it('picks the highest-priority backend that can be created synchronously, creates each backend once, sums memory', async () => {
    const low = fake('low', { priority: 1, memory: { buffers: 2, bytes: 64 } });
    const high = fake('high', { priority: 5, memory: { buffers: 3, bytes: 100 } });
    const asyncOnly = fake('async', { priority: 9, sync: false });
    const rt = createRuntime({ backends: [low, asyncOnly, high] });
    expect(rt.backend().name).toBe('high');
    expect(rt.backend().name).toBe('high');
    expect(high.created).toBe(1);
    expect(rt.memory()).toEqual({ buffers: 3, bytes: 100, tensors: 0 });
    expect(rt.backend('low').name).toBe('low');
    expect(rt.memory()).toEqual({ buffers: 5, bytes: 164, tensors: 0 });
    expect((await rt.use('async')).name).toBe('async');
    expect(rt.backend().name).toBe('async'); // use() selects
    expect([low.created, high.created, asyncOnly.created]).toEqual([1, 1, 1]);
  });
});
