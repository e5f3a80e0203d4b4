import { defaultRuntime, scope, tensor, tensorLike } from '@nibble/core';
import { gradcheck } from '@nibble/core/testing';
import { describe, expect, it } from 'vitest';
import { float64Runtime, pseudoRandom, useCpu } from '../test/helpers.ts';
import { crossEntropy, mseLoss } from './losses.ts';

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
