// Shared by the qat/ and export/ tests: a registered cpu backend and small models with deterministic inputs.
import { defaultRuntime, type Tensor, tensor } from '@nibble/core';
import { cpu } from '@nibble/backend-cpu';
import { Linear, LSTM, Module, ReLU, Sequential } from '@nibble/layers';

if (!defaultRuntime.registered().includes('cpu')) defaultRuntime.register(cpu);

/** Deterministic values in [−1, 1) from a small LCG (no dependence on any framework RNG). */
export function lcgValues(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** A float32 input of `shape` with LCG values. */
export function input(shape: readonly number[], seed = 1): Tensor {
  return tensor(lcgValues(shape.reduce((a, d) => a * d, 1), seed), { shape });
}

/** Linear(i, h) → ReLU → Linear(h, o). */
export function mlp(i: number, h: number, o: number, seed: number): Sequential {
  return new Sequential(new Linear(i, h, { seed }), new ReLU(), new Linear(h, o, { seed: seed + 1 }));
}

/** LSTM(i, h, batch first) followed by a Linear head on every step. */
export class LstmTagger extends Module {
  readonly lstm: LSTM;
  readonly head: Linear;
  constructor(i: number, h: number, o: number, seed: number) {
    super();
    this.lstm = this.addModule('lstm', new LSTM(i, h, { batchFirst: true, seed }));
    this.head = this.addModule('head', new Linear(h, o, { seed: seed + 1 }));
  }
  forward(x: Tensor): Tensor {
    const { output, h, c } = this.lstm.forward(x);
    h.dispose();
    c.dispose();
    const y = this.head.forward(output);
    output.dispose();
    return y;
  }
}

/** Host values of a forward pass (disposing the output). */
export function values(t: Tensor): Float32Array {
  const v = Float32Array.from(t.dataSync());
  t.dispose();
  return v;
}
