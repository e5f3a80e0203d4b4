// onnxruntime-node's MatMulNBits on weights packed by the bench (packMatMulNBits) reproduces, entry by entry, the
// float64 product with the dequantized weights: this pins down the code layout, nibble order and zero point.
import { describe, expect, it } from 'vitest';
import { qmatvecData } from '../src/cases/case-data.js';
import type { QmatvecCase } from '../src/cases/train-cases.js';
import { matmul64, sum64 } from '../src/reference/matmul64.js';
import type { CaseFactory } from '../src/targets/bench-target.js';
import { ortTarget } from '../src/targets/ort/ort-target.js';

function smallCase(bits: 4 | 8 | 32): QmatvecCase {
  const base = { id: `qmatvec_test_${bits}`, kind: 'qmatvec' as const, K: 256, N: 192, bits, blockSize: 32, seeds: { x: 41, W: 42 } };
  const d = qmatvecData({ ...base, expect: { outSum: NaN } });
  return { ...base, expect: { outSum: sum64(matmul64(d.x, d.wDequant, 1, base.K, base.N)) } };
}

describe('onnxruntime-node qmatvec', () => {
  for (const bits of [32, 8, 4] as const) {
    it(`${bits === 32 ? 'float32 MatMul' : `MatMulNBits bits=${bits}`}: every output matches x @ dequant(W) in float64`, async () => {
      const c = smallCase(bits);
      const d = qmatvecData(c);
      const factory = ortTarget(1).cases.qmatvec as CaseFactory<'qmatvec'>;
      const prepared = await factory(c, d);
      const out = await prepared.step();
      await prepared.dispose();
      if (out.kind !== 'tensor') throw new Error('expected a tensor');
      const ref = matmul64(d.x, d.wDequant, 1, c.K, c.N);
      const maxRef = Math.max(...Array.from(ref, Math.abs));
      for (let j = 0; j < c.N; j++) expect(Math.abs((out.data[j] as number) - (ref[j] as number))).toBeLessThan(1e-4 * maxRef);
    });
  }

  it('the int4 result differs from the float32 one (the quantization is really applied)', () => {
    expect(Math.abs(smallCase(4).expect.outSum - smallCase(32).expect.outSum)).toBeGreaterThan(1e-4 * Math.abs(smallCase(32).expect.outSum));
  });
});
