import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { batchify, languageModelWindows } from './language-model-batching.js';
import { DataArgumentError } from './errors.js';

const arbStream = fc.record({
  n: fc.integer({ min: 2, max: 400 }),
  batchSize: fc.integer({ min: 1, max: 8 }),
  sequenceLength: fc.integer({ min: 1, max: 40 }),
  dropLast: fc.boolean(),
}).filter(({ n, batchSize }) => Math.floor(n / batchSize) >= 2);

describe('batchify', () => {
  it('row b is the b-th contiguous chunk of the stream, trailing remainder dropped', () => {
    fc.assert(
      fc.property(arbStream, ({ n, batchSize }) => {
        const ids = Int32Array.from({ length: n }, (_, i) => i);
        const { data, shape } = batchify(ids, batchSize);
        const length = Math.floor(n / batchSize);
        expect(shape).toEqual([batchSize, length]);
        expect(Array.from(data)).toEqual(Array.from({ length: batchSize * length }, (_, i) => i));
      }),
    );
  });

  it('rejects streams too short for one input and target per column', () => {
    expect(() => batchify(Int32Array.of(1, 2, 3), 2)).toThrow(DataArgumentError);
  });
});

describe('languageModelWindows', () => {
  it('targets are inputs shifted by one, and windows tile every column position exactly once', () => {
    fc.assert(
      fc.property(arbStream, ({ n, batchSize, sequenceLength, dropLast }) => {
        // ids encode (position) so we can check where each value came from
        const ids = Int32Array.from({ length: n }, (_, i) => i);
        const columns = batchify(ids, batchSize);
        const length = columns.shape[1] ?? 0;
        const windows = [...languageModelWindows(columns, { sequenceLength, dropLast })];
        const covered: number[] = [];
        for (const { x, y, offset } of windows) {
          const steps = x.shape[1] ?? 0;
          expect(x.shape).toEqual([batchSize, steps]);
          expect(y.shape).toEqual([batchSize, steps]);
          if (dropLast) expect(steps).toBe(sequenceLength);
          for (let b = 0; b < batchSize; b++) {
            for (let t = 0; t < steps; t++) {
              expect(x.data[b * steps + t]).toBe(b * length + offset + t);
              expect(y.data[b * steps + t]).toBe((x.data[b * steps + t] as number) + 1);
            }
          }
          for (let t = 0; t < steps; t++) covered.push(offset + t);
        }
        const expected = dropLast ? Math.floor((length - 1) / sequenceLength) * sequenceLength : length - 1;
        expect(covered).toEqual(Array.from({ length: expected }, (_, i) => i));
      }),
    );
  });

  it('rejects columns that are not [B, L]', () => {
    const flat = { data: new Int32Array(6), shape: [6] };
    expect(() => [...languageModelWindows(flat, { sequenceLength: 2 })]).toThrow(/columns must have shape \[B, L\], got \[6\]/);
  });
});
