// forEachRow (rows of the collapsed innermost axis, used by the elementwise kernels) must visit exactly the
// offsets the per-element odometer forEachStrided visits, in the same order, for any shape and strides
// (broadcast 0, transposed, negative).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { forEachRow, forEachStrided } from '../src/strided.ts';

const elementOffsets = (shape: number[], strides: number[][], bases: number[]) => {
  const seen: number[][] = [];
  forEachStrided(shape, strides, bases, (i, offs) => seen.push([i, ...offs]));
  return seen;
};

const rowOffsets = (shape: number[], strides: number[][], bases: number[]) => {
  const seen: number[][] = [];
  forEachRow(shape, strides, bases, (start, offs, n, inner) => {
    for (let i = 0; i < n; i++) seen.push([start + i, ...Array.from(offs, (o, j) => o + i * inner[j]!)]);
  });
  return seen;
};

describe('forEachRow', () => {
  it('visits the same (output index, operand offsets) as forEachStrided', () => {
    const case_ = fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 0, maxLength: 5 }).chain((shape) =>
      fc.tuple(
        fc.constant(shape),
        fc.array(fc.tuple(...shape.map(() => fc.integer({ min: -7, max: 7 }))), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 0, max: 100 }),
      ));
    fc.assert(fc.property(case_, ([shape, strides, base]) => {
      const bases = strides.map((_, j) => base + j);
      expect(rowOffsets(shape, strides, bases)).toEqual(elementOffsets(shape, strides, bases));
    }), { numRuns: 500 });
  });

  it('merges a dense operand and a scalar-broadcast one into a single row', () => {
    const rows: number[] = [];
    forEachRow([4, 8, 16], [[128, 16, 1], [0, 0, 0]], [0, 0], (_s, _o, n) => rows.push(n));
    expect(rows).toEqual([512]);
  });
});
