// The backend conformance suite on the native CPU backend (C++ kernels for matmul, elementwise, fake-quant), which
// must be loaded wherever a C++ toolchain built it (CI has g++).
import { describe, expect, it } from 'vitest';
import { describeBackendConformance } from '@nibble/core/testing';
import { NativeCpuBackend, nativeFactory, nativeUnavailableReason } from '../src/node.ts';

describe('native kernels', () => {
  it('are built and loaded', () => {
    expect(nativeUnavailableReason()).toBeUndefined();
    expect(nativeFactory().createSync!()).toBeInstanceOf(NativeCpuBackend);
  });
});

describeBackendConformance(nativeFactory({ name: 'cpu-native' }), { numRuns: 30 });

import fc from 'fast-check';
import { createRuntime, tensor, type Tensor, fakeQuant } from '@nibble/core';
import { cpu } from '../src/index.ts';

// Above the size where the native elementwise and fake-quant paths take over: compare with the TypeScript kernels
// (exact IEEE ops must agree bit for bit) on dense, transposed and broadcast operands.
describe('native elementwise and fake-quant on large tensors', () => {
  const ts = createRuntime({ backends: [cpu] });
  const nat = createRuntime({ backends: [nativeFactory()] });
  const big = fc.tuple(fc.integer({ min: 40, max: 90 }), fc.integer({ min: 50, max: 80 }), fc.integer({ min: 1, max: 2 ** 31 }));
  const data = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.fround(Math.sin(seed + i * 12.9898) * 43.7));
  const both = (f: (rt: typeof ts) => Tensor) => [f(ts).dataSync(), f(nat).dataSync()] as const;

  it('add, sub, mul, div, maximum, minimum, neg, abs, sqrt match bit for bit', () => {
    fc.assert(
      fc.property(big, ([r, c, seed]) => {
        const a = data(r * c, seed);
        const b = data(c, seed + 1);
        const layouts = [
          (t: Tensor) => t, // dense: the native vector kernel
          (t: Tensor) => t.transpose().reshape([c, r]).transpose(), // transposed: falls back to the TS kernel
        ];
        for (const layout of layouts) {
          for (const op of ['add', 'sub', 'mul', 'div', 'maximum', 'minimum'] as const) {
            const [x, y] = both((rt) => layout(tensor(a, { runtime: rt, shape: [r, c] }))[op](tensor(b, { runtime: rt, shape: [c] })));
            expect(Buffer.from(y.buffer).equals(Buffer.from(x.buffer)), op).toBe(true);
          }
        }
        for (const op of ['neg', 'abs', 'sqrt'] as const) {
          const [x, y] = both((rt) => tensor(a, { runtime: rt, shape: [r, c] })[op]());
          expect(Buffer.from(y.buffer).equals(Buffer.from(x.buffer)), op).toBe(true);
        }
      }),
      { numRuns: 20 },
    );
  });

  it('fakeQuant per tensor and per row matches bit for bit', () => {
    fc.assert(
      fc.property(big, fc.integer({ min: 2, max: 8 }), ([r, c, seed], bits) => {
        const a = data(r * c, seed);
        const scales = Array.from({ length: r }, (_, i) => 0.05 + (i % 7) * 0.11);
        const zps = Array.from({ length: r }, (_, i) => i % 3);
        const qmax = 2 ** bits - 1;
        const [x, y] = both((rt) => fakeQuant(tensor(a, { runtime: rt, shape: [r, c] }), tensor(scales, { runtime: rt }), tensor(zps, { runtime: rt }), { qmin: 0, qmax, axis: 0 }));
        expect(Buffer.from(y.buffer).equals(Buffer.from(x.buffer))).toBe(true);
      }),
      { numRuns: 20 },
    );
  });
});
