import { defaultRuntime, type Tensor, tensor } from '@nibble/core';
import { cpu } from '@nibble/backend-cpu';
import { defaultRegistry, type Quantizer, type QuantizerForwardContext } from '../src/index.ts';

if (!defaultRuntime.registered().includes('cpu')) defaultRuntime.register(cpu);

/** Forward context of a training (or eval) step with a fixed key. */
export function stepCtx(step = 0, training = true, extra: Partial<QuantizerForwardContext> = {}): QuantizerForwardContext {
  return { training, step, epoch: 0, key: { seed: 7, stream: 3, counter: step * 1024 }, ...extra };
}

/** A quantizer of the default registry for a weight of `shape` on the default runtime. */
export function make(id: string, config: unknown, shape: readonly number[]): Quantizer {
  return defaultRegistry.create(id, config, { shape, role: 'weight', runtime: defaultRuntime });
}

/** Float32 host values of a forward pass. */
export function run(q: Quantizer, w: Tensor, ctx = stepCtx()): Float32Array {
  const out = q.forward(w, ctx);
  const v = out.dataSync() as Float32Array;
  out.dispose();
  return v;
}

/** A float32 tensor of `shape` with the given values. */
export function weight(values: ArrayLike<number>, shape: readonly number[]): Tensor {
  return tensor(Float32Array.from(values), { shape });
}

/** Deterministic N(0, 1) samples (Box–Muller on a small LCG), for tests that need many values. */
export function gaussian(n: number, seed = 1): Float32Array {
  let s = seed >>> 0;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  return out;
}
