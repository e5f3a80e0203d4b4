import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { matmul64 } from './matmul64.js';

describe('matmul64', () => {
  it('equals the textbook triple loop (any M, including the rows left after blocks of four)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 7 }), fc.integer(), (m, k, n, seed) => {
        const rand = (i: number): number => Math.sin(seed + i * 12.9898) * 43758.5453 % 1;
        const a = Array.from({ length: m * k }, (_, i) => rand(i));
        const b = Array.from({ length: k * n }, (_, i) => rand(1000 + i));
        const c = matmul64(a, b, m, k, n);
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < n; j++) {
            let s = 0;
            for (let p = 0; p < k; p++) s += a[i * k + p]! * b[p * n + j]!;
            expect(c[i * n + j]).toBe(s);
          }
        }
      }),
    );
  });
});
