import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { blockQuantize, dequantize, roundHalfEven } from './block-quantize.js';

describe('blockQuantize (quant-cases.json rule)', () => {
  it('roundHalfEven sends ties to the even neighbour and rounds everything else to nearest', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, 2.6].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, -2, 2, 3]);
  });

  it('codes stay in ±(2^(bits-1) - 1) and dequantized weights are within half a step of the originals', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<4 | 8>(4, 8),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.float({ min: -4, max: 4, noNaN: true, noDefaultInfinity: true }), { minLength: 256, maxLength: 256 }),
        (bits, blocks, n, pool) => {
          const blockSize = 8;
          const K = blocks * blockSize;
          const w = Float32Array.from({ length: K * n }, (_, i) => pool[i % pool.length] as number);
          const q = blockQuantize(w, K, n, bits, blockSize);
          const qmax = 2 ** (bits - 1) - 1;
          for (const code of q.codes) expect(Math.abs(code)).toBeLessThanOrEqual(qmax);
          const back = dequantize(q);
          for (let k = 0; k < K; k++) {
            for (let j = 0; j < n; j++) {
              const scale = q.scales[j * blocks + Math.floor(k / blockSize)] as number;
              expect(Math.abs((back[k * n + j] as number) - (w[k * n + j] as number))).toBeLessThanOrEqual(scale / 2 * (1 + 1e-6) + 1e-30);
            }
          }
        },
      ),
    );
  });

  it('the largest |w| of a block maps to ±qmax exactly', () => {
    const w = Float32Array.from([0.1, -0.7, 0.3, 0.2]); // K = 4, N = 1
    const q = blockQuantize(w, 4, 1, 4, 4);
    expect(q.codes[1]).toBe(-7);
    expect(q.scales[0]).toBe(Math.fround(Math.fround(0.7) / 7));
  });
});
