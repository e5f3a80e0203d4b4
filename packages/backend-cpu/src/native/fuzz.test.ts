import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import * as native from './index.js';

/**
 * Wrong sizes, dtypes and shapes must surface as a TypeScript NativeArgumentError (or, when the addon is missing,
 * NativeUnavailableError) and never reach native code in a state that could crash the process. Each call gets
 * random, mostly-wrong arguments derived from a valid call.
 */
const arrayLike = fc.oneof(
  fc.integer({ min: 0, max: 40 }).map((n) => new Float32Array(n)),
  fc.integer({ min: 0, max: 40 }).map((n) => new Float64Array(n)),
  fc.integer({ min: 0, max: 40 }).map((n) => new Int8Array(n)),
  fc.integer({ min: 0, max: 40 }).map((n) => new Uint8Array(n)),
  fc.integer({ min: 0, max: 40 }).map((n) => Array.from({ length: n }, () => 0)),
  fc.integer({ min: 0, max: 8 }).map((n) => new Float32Array(new SharedArrayBuffer(4 * n))),
  fc.constantFrom(null, undefined, 3, 'x', {}),
);
const size = fc.oneof(fc.integer({ min: 0, max: 12 }), fc.constantFrom(-1, 1.5, NaN, Infinity, 2 ** 40, '3'));

function expectCleanFailureOrSuccess(call: () => unknown): void {
  try {
    call();
  } catch (error) {
    const ok = error instanceof native.NativeArgumentError || error instanceof native.NativeUnavailableError;
    if (!ok) throw new Error(`expected a NativeArgumentError, got ${String(error)}`);
    expect((error as Error).message).toMatch(/^[A-Za-z0-9]+(\([a-z]+\))?: /);
  }
}

describe('native wrappers reject malformed arguments in TypeScript', () => {
  it('sgemm / matmul', () => {
    fc.assert(
      fc.property(size, size, size, arrayLike, arrayLike, fc.option(arrayLike), fc.boolean(), fc.option(fc.record({ rowStride: size, colStride: size, offset: size })), (m, n, k, a, b, out, tb, layout) => {
        expectCleanFailureOrSuccess(() => native.matmul(a as Float32Array, b as Float32Array, m as number, k as number, n as number, { transposeB: tb, ...(out === null ? {} : { out: out as Float32Array }) }));
        expectCleanFailureOrSuccess(() =>
          native.sgemm({ m: m as number, n: n as number, k: k as number, a: a as Float32Array, b: b as Float32Array, ...(layout === null ? {} : { bLayout: layout as native.MatrixLayout }), ...(out === null ? {} : { bias: out as Float32Array }) }),
        );
      }),
      { numRuns: 400 },
    );
  });

  it('elementwise, reductions and fake-quant', () => {
    const shape = fc.oneof(fc.array(size, { maxLength: 4 }), fc.constantFrom(null, 'x', [1, [2]]));
    fc.assert(
      fc.property(arrayLike, shape, arrayLike, shape, fc.constantFrom('add', 'div', 'exp', 'nope', 'toString', 'constructor'), fc.option(arrayLike), (a, as, b, bs, op, out) => {
        expectCleanFailureOrSuccess(() => native.binaryOp(op as native.BinaryOpName, a as Float32Array, as as number[], b as Float32Array, bs as number[], (out ?? undefined) as Float32Array | undefined));
        expectCleanFailureOrSuccess(() => native.unaryOp(op as native.UnaryOpName, a as Float32Array, (out ?? undefined) as Float32Array | undefined));
        expectCleanFailureOrSuccess(() => native.reduceLastAxis(op === 'add' ? 'sum' : ('max' as const), a as Float32Array, as as number[]));
        expectCleanFailureOrSuccess(() => native.fakeQuant(a as Float32Array, { scale: b as Float32Array, zeroPoint: out as Float32Array, qmin: -8, qmax: 7 }));
      }),
      { numRuns: 400 },
    );
  });

  it('packed matmuls and LSTM', () => {
    fc.assert(
      fc.property(arrayLike, size, size, size, arrayLike, arrayLike, fc.option(size), fc.boolean(), (x, m, n, k, codes, scale, group, signed) => {
        const rows = { outFeatures: n as number, inFeatures: k as number, scale: scale as Float32Array, ...(group === null ? {} : { groupSize: group as number }) };
        expectCleanFailureOrSuccess(() => native.int8Matmul(x as Float32Array, m as number, { ...rows, codes: codes as Int8Array }));
        expectCleanFailureOrSuccess(() => native.int4Matmul(x as Float32Array, m as number, { ...rows, codes: codes as Uint8Array, signed }));
        expectCleanFailureOrSuccess(() =>
          native.pqMatmul(x as Float32Array, m as number, { outFeatures: n as number, inFeatures: k as number, codebook: scale as Float32Array, centroids: 4, subvectorSize: 2, codes: codes as Uint8Array }),
        );
        const w = { inputSize: k as number, hiddenSize: n as number, wx: scale as Float32Array, wh: codes as Float32Array };
        expectCleanFailureOrSuccess(() => native.lstmSequenceForward(w, x as Float32Array, m as number, 1));
      }),
      { numRuns: 400 },
    );
  });

  it.skipIf(!native.isNativeAvailable())('native scratch memory is released on request (no JS-visible native buffers)', () => {
    native.matmul(new Float32Array(300 * 300), new Float32Array(300 * 300), 300, 300, 300);
    native.lstmSequenceForward({ inputSize: 8, hiddenSize: 8, wx: new Float32Array(8 * 32), wh: new Float32Array(8 * 32) }, new Float32Array(8 * 4), 4, 1, {}, { saveForBackward: false });
    expect(native.nativeScratchBytes()).toBeGreaterThan(0);
    native.releaseNativeScratch();
    expect(native.nativeScratchBytes()).toBe(0);
    // kernels still work after a release (buffers are re-grown on demand)
    expect(Array.from(native.matmul(Float32Array.of(2), Float32Array.of(3), 1, 1, 1))).toEqual([6]);
  });
});
