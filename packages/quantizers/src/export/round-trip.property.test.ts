import { defaultRuntime } from '@nibble/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { prepareQat, type QatRule } from '../qat/prepare-qat.ts';
import { input, mlp, values } from '../../test/test-models.ts';
import { exportQuantized } from './export-quantized.ts';
import { loadQuantized, readQuantized } from './load-quantized.ts';

const arbRule = fc.oneof(
  fc.record({
    quantizer: fc.constant('ste'),
    config: fc.record({
      bits: fc.integer({ min: 1, max: 8 }),
      scheme: fc.constantFrom('symmetric', 'affine'),
      range: fc.constantFrom('narrow', 'full'),
      granularity: fc.constantFrom('tensor', 'channel'),
    }),
  }),
  fc.record({ quantizer: fc.constant('lsq'), config: fc.record({ bits: fc.integer({ min: 2, max: 8 }), granularity: fc.constantFrom('tensor', 'channel') }) }),
  fc.record({ quantizer: fc.constant('pq'), config: fc.record({ blockSize: fc.constantFrom(1, 2, 4), centroids: fc.constantFrom(2, 4, 16) }) }),
);

describe('export → load round trip (property)', () => {
  it('for any mix of quantizers and layer sizes, the packed model computes the fake-quant eval output bit for bit', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }).map((k) => 4 * k),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 5 }),
        arbRule,
        arbRule,
        fc.integer({ min: 0, max: 1000 }),
        (inF, hidden, outF, r0, r1, seed) => {
          const before = defaultRuntime.memory();
          const model = mlp(inF, hidden * 4, outF, seed);
          const plan: QatRule[] = [
            { pattern: '0.weight', ...r0 },
            { pattern: '2.weight', ...r1 },
          ];
          const x = input([3, inF], seed + 1);
          const qat = prepareQat(model, plan);
          model.eval();
          const y = values(model.forward(x));
          const { bytes, sizeBits, payloadBits, weights } = exportQuantized(model, qat);
          qat.detach();
          // §8: the payload never undercounts, and equals sizeBits for exact containers
          expect(payloadBits).toBeGreaterThanOrEqual(sizeBits);
          for (const [name, w] of Object.entries(weights)) {
            const rec = readQuantized(bytes).packed.get(name)!.record;
            const [n, k] = rec.layout.shape;
            const exactCodes = rec.layout.kind === 'int' ? rec.layout.bits === rec.bits && (k * rec.bits) % 8 === 0 : rec.bits === 8;
            const exactZp = rec.zeroPoints?.storage !== 'packed' || (rec.zeroPoints.bits === 8 || (rec.zeroPoints.bits === rec.bits && [1, 2, 4].includes(rec.bits) && (rec.zeroPoints.count * rec.bits) % 8 === 0));
            if (exactCodes && exactZp) expect(w.payloadBits, `${name} ${JSON.stringify(rec.layout)} [${n},${k}]`).toBe(w.sizeBits);
          }
          const fresh = mlp(inF, hidden * 4, outF, seed + 7).eval();
          const loaded = loadQuantized(bytes, fresh);
          expect(values(fresh.forward(x))).toEqual(y);
          loaded.unload();
          fresh.dispose();
          model.dispose();
          x.dispose();
          // prepare/detach, export, load/unload leave no tensor behind (models and inputs disposed above)
          expect(defaultRuntime.memory()).toEqual(before);
        },
      ),
      { numRuns: 25 },
    );
  });
});
