// The fused lstmSequence capability (forward and BPTT kernels) of the TypeScript and the native backend against
// core's primitive lowering, and gradcheck.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRuntime, lstmSequence, type Runtime, type Tensor, tensor, valueAndGrad, vjpRules, CAPABILITY_LIST } from '@nibble/core';
import { gradcheck } from '@nibble/core/testing';
import { cpuFactory } from '../src/index.ts';
import { cpuBackendsUnderTest, itRunsTheNativeBackend } from './cpu-backends.ts';
import { native, nativeFactory } from '../src/node.ts';

const lowered = createRuntime({ backends: [cpuFactory({ disable: CAPABILITY_LIST })] });
const reference = createRuntime({ backends: [cpuFactory({ precision: 'float64' })] });

const dims = fc.record({ b: fc.integer({ min: 1, max: 3 }), t: fc.integer({ min: 1, max: 4 }), h: fc.integer({ min: 1, max: 4 }) });
// Hidden sizes around the SIMD widths (8, 16) and their remainders, batches above the small-M sgemm path (M ≤ 4).
const wideDims = fc.record({ b: fc.integer({ min: 1, max: 9 }), t: fc.integer({ min: 1, max: 6 }), h: fc.integer({ min: 5, max: 40 }) });
const vals = (n: number) => fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: n, maxLength: n });
const caseOf = (d: fc.Arbitrary<{ b: number; t: number; h: number }>) =>
  d.chain(({ b, t, h }) =>
    fc.record({
      b: fc.constant(b), t: fc.constant(t), h: fc.constant(h), xp: vals(b * t * 4 * h), wh: vals(h * 4 * h),
      h0: vals(b * h), c0: vals(b * h), gy: vals(b * t * 2 * h), timeMajor: fc.boolean(),
    }),
  );
const caseArb = caseOf(dims);

interface Case { b: number; t: number; h: number; xp: number[]; wh: number[]; h0: number[]; c0: number[]; timeMajor?: boolean }

/** xProj is either dense [B, T, 4H] or a permuted view of a time-major [T, B, 4H] tensor (as the LSTM layer makes). */
function inputs(rt: Runtime, c: Case): Tensor[] {
  const xp = tensor(c.xp, { runtime: rt, shape: [c.b, c.t, 4 * c.h] });
  return [
    c.timeMajor === true ? xp.permute([1, 0, 2]).contiguous().permute([1, 0, 2]) : xp,
    tensor(c.wh, { runtime: rt, shape: [c.h, 4 * c.h] }),
    tensor(c.h0, { runtime: rt, shape: [c.b, c.h] }),
    tensor(c.c0, { runtime: rt, shape: [c.b, c.h] }),
  ];
}

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol: number): void {
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!), `element ${i}: ${a[i]} vs ${b[i]}`).toBeLessThanOrEqual(tol * (1 + Math.abs(b[i]!)));
}

const backends = cpuBackendsUnderTest;
itRunsTheNativeBackend();

describe.each(backends)('lstmSequence capability: %s', (_, factory) => {
  const fused = createRuntime({ backends: [factory] });

  const matchesLowering = (c: fc.Arbitrary<Case & { gy: number[] }>, numRuns: number) =>
    fc.assert(
      fc.property(c, (c) => {
        const run = (rt: Runtime) => {
          const xs = inputs(rt, c);
          const gy = tensor(c.gy, { runtime: rt, shape: [c.b, c.t, 2, c.h] });
          const { value, grads } = valueAndGrad((...a: Tensor[]) => lstmSequence(a[0]!, a[1]!, a[2]!, a[3]!).mul(gy).sum())(...xs);
          const y = lstmSequence(xs[0]!, xs[1]!, xs[2]!, xs[3]!);
          return [y.dataSync(), value.dataSync(), ...grads.map((g) => g.dataSync())];
        };
        const a = run(fused);
        const b = run(lowered);
        a.forEach((v, i) => close(v, b[i]!, 1e-5));
      }),
      { numRuns },
    );

  it('forward and all four gradients match the primitive lowering (small shapes, strided xProj)', () => {
    matchesLowering(caseArb, 60);
  });

  it('forward and all four gradients match the primitive lowering (SIMD widths and remainders, batch > 4)', () => {
    matchesLowering(caseOf(wideDims), 25);
  });

  it('matches the lowering on steps large enough to run on the thread pool (batch rows per thread, packed Wh, Wh read in place by column)', () => {
    const v = (n: number, s: number) => Array.from({ length: n }, (_, i) => Math.sin(s + i * 0.7) * 0.8);
    for (const [b, t, h] of [[16, 9, 64], [32, 3, 128], [21, 4, 37], [17, 3, 16], [16, 2, 200], [12, 2, 200]] as const) {
      matchesLowering(fc.constant({ b, t, h, xp: v(b * t * 4 * h, 1), wh: v(h * 4 * h, 2).map((x) => x * 0.2), h0: v(b * h, 3), c0: v(b * h, 4), gy: v(b * t * 2 * h, 5), timeMajor: true }), 1);
    }
  });

  it('matches the lowering at batch 1 and 3 with Wh split over the pool in packed per-thread blocks', () => {
    const v = (n: number, s: number) => Array.from({ length: n }, (_, i) => Math.sin(s + i * 0.7) * 0.8);
    for (const [b, t, h] of [[1, 4, 300], [3, 3, 256]] as const) {
      matchesLowering(fc.constant({ b, t, h, xp: v(b * t * 4 * h, 1), wh: v(h * 4 * h, 2).map((x) => x * 0.05), h0: v(b * h, 3), c0: v(b * h, 4), gy: v(b * t * 2 * h, 5), timeMajor: true }), 1);
    }
  });

  it('gradcheck through the fused kernels (float64 central differences)', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const r = gradcheck(
          (xp, wh, h0, c0) => {
            const w = tensor(c.gy, { runtime: xp!.runtime, shape: [c.b, c.t, 2, c.h] });
            return lstmSequence(xp!, wh!, h0!, c0!).mul(w).sum();
          },
          [
            { shape: [c.b, c.t, 4 * c.h], values: c.xp },
            { shape: [c.h, 4 * c.h], values: c.wh },
            { shape: [c.b, c.h], values: c.h0 },
            { shape: [c.b, c.h], values: c.c0 },
          ],
          { runtime: fused, reference },
        );
        expect(r.ok, r.message).toBe(true);
      }),
      { numRuns: 30 },
    );
  });

  it('rejects mismatched shapes naming the operand', () => {
    const [xp, , h0, c0] = inputs(fused, { b: 2, t: 3, h: 2, xp: new Array(48).fill(0), wh: new Array(16).fill(0), h0: [0, 0, 0, 0], c0: [0, 0, 0, 0] });
    const bad = tensor(new Array(15).fill(0), { runtime: fused, shape: [3, 5] });
    expect(() => lstmSequence(xp!, bad, h0!, c0!)).toThrow(/wh has shape \[3,5\]; expected \[2,8\]/);
  });
});

describe('native lstmSequenceGrad', () => {
  const rt = createRuntime({ backends: [nativeFactory({ name: 'cpu-native' })] });
  it('reuses the forward gates while the output lives, and recomputes the same gradients when it cannot', () => {
    fc.assert(
      fc.property(caseOf(wideDims), (c) => {
        const xs = inputs(rt, c);
        const gy = tensor(c.gy, { runtime: rt, shape: [c.b, c.t, 2, c.h] });
        const y = lstmSequence(xs[0]!, xs[1]!, xs[2]!, xs[3]!);
        const grads = (output: Tensor) =>
          vjpRules.lstmSequence({ inputs: xs, output, params: {} }, gy).map((g) => {
            const data = g!.dataSync();
            g!.dispose();
            return data;
          });
        const saved = grads(y); // y's buffer has its gates kept
        const copy = y.add(0); // same values, a buffer without kept gates: recomputed
        const recomputed = grads(copy);
        saved.forEach((g, i) => close(g, recomputed[i]!, 1e-5));
        copy.dispose();
        const before = rt.memory().bytes;
        y.dispose();
        // Y (B·T·2H floats) and its kept gates (B·T·4H floats) are freed together
        expect(before - rt.memory().bytes).toBe(4 * c.b * c.t * 6 * c.h);
      }),
      { numRuns: 20 },
    );
  });

  it('a training loop reuses the gate arrays of freed outputs, and the stale gates never leak into a result', () => {
    const twoSteps = caseOf(wideDims).chain((c) => fc.tuple(fc.constant(c), vals(c.xp.length), vals(c.wh.length)));
    fc.assert(
      fc.property(twoSteps, ([first, xp, wh]) => {
        const step = (runtime: Runtime, c: typeof first) => {
          const xs = inputs(runtime, c);
          const gy = tensor(c.gy, { runtime, shape: [c.b, c.t, 2, c.h] });
          const { value, grads } = valueAndGrad((...a: Tensor[]) => lstmSequence(a[0]!, a[1]!, a[2]!, a[3]!).mul(gy).sum())(...xs);
          const out = [value.dataSync(), ...grads.map((g) => g.dataSync())];
          [value, gy, ...grads, ...xs].forEach((t) => t.dispose());
          return out;
        };
        const second = { ...first, xp, wh }; // same shapes, new values: the second forward gets the first's gate array
        // every freed array kept for reuse, whatever its size: the second forward gets the first's gate array
        const loop = createRuntime({ backends: [nativeFactory({ name: 'cpu-native-reuse-all', reuseMinBytes: 0 })] });
        step(loop, first);
        const reused = step(loop, second);
        const fresh = step(createRuntime({ backends: [nativeFactory({ name: 'cpu-native' })] }), second);
        reused.forEach((r, i) => expect(Buffer.from(r.buffer).equals(Buffer.from(fresh[i]!.buffer)), `output ${i}`).toBe(true));
      }),
      { numRuns: 15 },
    );
  });
});

it('native lstmSequence forward and gradients do not depend on the thread count (bit for bit)', () => {
  // batch rows per thread (B ≥ 8 per thread, H ≤ 256): one thread or two, every product is gemm_direct's
  const rt = createRuntime({ backends: [nativeFactory({ name: 'cpu-native-lstm-threads' })] });
  const v = (n: number, s: number) => Array.from({ length: n }, (_, i) => Math.sin(s + i * 0.7) * 0.8);
  const run = (b: number, t: number, h: number) => {
    const xs = inputs(rt, { b, t, h, xp: v(b * t * 4 * h, 1), wh: v(h * 4 * h, 2).map((x) => x * 0.2), h0: v(b * h, 3), c0: v(b * h, 4) });
    const gy = tensor(v(b * t * 2 * h, 5), { runtime: rt, shape: [b, t, 2, h] });
    const { value, grads } = valueAndGrad((...a: Tensor[]) => lstmSequence(a[0]!, a[1]!, a[2]!, a[3]!).mul(gy).sum())(...xs);
    const y = lstmSequence(xs[0]!, xs[1]!, xs[2]!, xs[3]!);
    const out = [y, ...grads].map((x) => Array.from(x.dataSync()));
    [...xs, gy, value, y, ...grads].forEach((x) => x.dispose());
    return out;
  };
  const initial = native.nativeInfo().threads;
  try {
    for (const [b, t, h] of [[21, 4, 37], [32, 3, 128], [16, 2, 16], [16, 2, 200]] as const) {
      native.setNativeThreads(2);
      const two = run(b, t, h);
      native.setNativeThreads(1);
      const one = run(b, t, h);
      two.forEach((x, i) => expect(one[i], `output ${i} at B=${b} T=${t} H=${h}`).toEqual(x));
    }
  } finally {
    native.setNativeThreads(initial);
  }
});
