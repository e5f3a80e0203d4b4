import fc from 'fast-check';
import { defaultRuntime, scope, tensor, tensorLike } from '@nibble/core';
import { gradcheck } from '@nibble/core/testing';
import { describe, expect, it } from 'vitest';
import { float64Runtime, pseudoRandom, useCpu } from '../test/helpers.ts';
import { crossEntropy, mseLoss, type Reduction } from './losses.ts';

/**
 * PyTorch's documented F.cross_entropy in float64 on the host: per target (1 − ε)·(−log p_y) + ε·mean_c(−log p_c),
 * 0 for an ignored target, and the mean divides by the number of targets that are not ignored.
 */
function crossEntropyFloat64(logits: number[][], labels: number[], ignoreIndex: number, eps: number, reduction: Reduction): number[] {
  const per = logits.map((row, i) => {
    if (labels[i] === ignoreIndex) return 0;
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
    const nll = lse - row[labels[i]!]!;
    const smooth = row.reduce((s, v) => s + (lse - v), 0) / row.length;
    return (1 - eps) * nll + eps * smooth;
  });
  if (reduction === 'none') return per;
  const total = per.reduce((s, v) => s + v, 0);
  return [reduction === 'sum' ? total : total / labels.filter((l) => l !== ignoreIndex).length];
}

useCpu();

describe('losses', () => {
  it('crossEntropy gradient (ignoreIndex, smoothing, rank-3 logits) matches float64 central differences', () => {
    const labels = [1, 3, -100, 0, 2, 3];
    const r = gradcheck(
      (logits) => crossEntropy(logits!, tensorLike(logits!, Int32Array.from(labels), [2, 3], 'int32'), { labelSmoothing: 0.2 }),
      [{ shape: [2, 3, 4], values: pseudoRandom(24, 3).map((v) => 3 * v) }],
      { runtime: defaultRuntime, reference: float64Runtime() },
    );
    expect(r.ok, r.message).toBe(true);
  });

  it('crossEntropy stays exact for large logits (stable log-softmax) and rejects bad labels', () => {
    scope(() => {
      const loss = crossEntropy(tensor([[10000, 10001, 10002, 10003]]), tensor(new Int32Array([3]))).item();
      const expected = Math.log(1 + Math.exp(-1) + Math.exp(-2) + Math.exp(-3));
      expect(Math.abs(loss - expected)).toBeLessThan(1e-6);
      expect(() => crossEntropy(tensor([[1, 2]]), tensor(new Int32Array([2])))).toThrow(/label 2 is outside \[0, 2\)/);
      expect(() => crossEntropy(tensor([[1, 2]]), tensor([1]))).toThrow(/labels have dtype float32; expected int32/);
    });
  });

  it('crossEntropy equals the float64 formula for any ignoreIndex, including one inside [0, C) (a padding class)', () => {
    const caseArb = fc
      .record({ n: fc.integer({ min: 1, max: 6 }), c: fc.integer({ min: 2, max: 5 }) })
      .chain(({ n, c }) =>
        fc.record({
          logits: fc.array(fc.array(fc.double({ min: -4, max: 4, noNaN: true }).map(Math.fround), { minLength: c, maxLength: c }), { minLength: n, maxLength: n }),
          labels: fc.array(fc.integer({ min: 0, max: c - 1 }), { minLength: n, maxLength: n }),
          ignoreIndex: fc.oneof(fc.integer({ min: 0, max: c - 1 }), fc.constant(-100)),
          eps: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 0.5, noNaN: true })),
          reduction: fc.constantFrom<Reduction>('mean', 'sum', 'none'),
        }),
      )
      // at least one target is kept, or the mean is 0/0 (NaN, as in PyTorch)
      .filter(({ labels, ignoreIndex }) => labels.some((l) => l !== ignoreIndex));
    fc.assert(
      fc.property(caseArb, ({ logits, labels, ignoreIndex, eps, reduction }) =>
        scope(() => {
          const got = crossEntropy(tensor(logits), tensor(Int32Array.from(labels)), { ignoreIndex, labelSmoothing: eps, reduction }).hostValuesSync();
          const expected = crossEntropyFloat64(logits, labels, ignoreIndex, eps, reduction);
          expect(got.length).toBe(expected.length);
          expected.forEach((e, i) => expect(Math.abs(got[i]! - e), `element ${i}: ${got[i]} vs ${e}`).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(e))));
        }),
      ),
      { numRuns: 300 },
    );
  });

  it('crossEntropy with an in-range ignoreIndex gives those targets zero loss and zero gradient', () => {
    const labels = [0, 2, 0, 1];
    const r = gradcheck(
      (logits) => crossEntropy(logits!, tensorLike(logits!, Int32Array.from(labels), [4], 'int32'), { ignoreIndex: 0, labelSmoothing: 0.1 }),
      [{ shape: [4, 3], values: pseudoRandom(12, 5).map((v) => 2 * v) }],
      { runtime: defaultRuntime, reference: float64Runtime() },
    );
    expect(r.ok, r.message).toBe(true);
    scope(() => {
      const x = tensor(Float32Array.from(pseudoRandom(12, 5)), { shape: [4, 3] });
      const perTarget = crossEntropy(x, tensor(Int32Array.from(labels)), { ignoreIndex: 0, reduction: 'none' }).arraySync() as number[];
      expect(perTarget[0]).toBe(0);
      expect(perTarget[2]).toBe(0);
      expect(perTarget[1]).toBeGreaterThan(0);
    });
  });

  it('mseLoss: mean, sum and none of the squared differences', () => {
    scope(() => {
      const p = tensor([1, 2, 4]);
      const t = tensor([0, 2, 1]);
      expect(mseLoss(p, t).item()).toBeCloseTo(10 / 3, 6);
      expect(mseLoss(p, t, { reduction: 'sum' }).item()).toBe(10);
      expect(mseLoss(p, t, { reduction: 'none' }).arraySync()).toEqual([1, 0, 9]);
      expect(() => mseLoss(p, tensor([1, 2]))).toThrow(/mseLoss: prediction \[3\] and target \[2\] differ/);
    });
  });
});
