import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { batches, batchIndices, datasetSize } from './batching.js';
import { DataArgumentError } from './errors.js';

const arbOptions = fc.record({
  count: fc.nat({ max: 300 }),
  batchSize: fc.integer({ min: 1, max: 64 }),
  shuffle: fc.boolean(),
  seed: fc.nat(),
  epoch: fc.nat({ max: 1000 }),
  dropLast: fc.boolean(),
});

describe('batchIndices', () => {
  it('visits every example exactly once per epoch (all but the dropped tail with dropLast)', () => {
    fc.assert(
      fc.property(arbOptions, ({ count, ...options }) => {
        const all = [...batchIndices(count, options)];
        const visited = all.flatMap((b) => Array.from(b));
        const expectedCount = options.dropLast ? count - (count % options.batchSize) : count;
        expect(visited.length).toBe(expectedCount);
        expect(new Set(visited).size).toBe(expectedCount);
        for (const i of visited) expect(i >= 0 && i < count).toBe(true);
        for (const [k, b] of all.entries()) {
          if (k < all.length - 1 || options.dropLast) expect(b.length).toBe(options.batchSize);
          else expect(b.length).toBeGreaterThan(0);
        }
        if (!options.shuffle) expect(visited).toEqual(Array.from({ length: expectedCount }, (_, i) => i));
      }),
    );
  });

  it('is deterministic for the same seed and epoch', () => {
    fc.assert(
      fc.property(arbOptions, ({ count, ...options }) => {
        expect([...batchIndices(count, options)]).toEqual([...batchIndices(count, options)]);
      }),
    );
  });

  it('gives different epochs different orders', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat({ max: 1000 }), (seed, epoch) => {
        const order = (e: number) =>
          [...batchIndices(100, { batchSize: 10, shuffle: true, seed, epoch: e })].flatMap((b) => Array.from(b));
        expect(order(epoch)).not.toEqual(order(epoch + 1));
      }),
    );
  });

  it('rejects a batch size of 0 and a negative epoch, naming them', () => {
    expect(() => [...batchIndices(10, { batchSize: 0 })]).toThrow(/batchIndices: batchSize must be an integer >= 1, got 0/);
    expect(() => [...batchIndices(10, { batchSize: 2, epoch: -1 })]).toThrow(DataArgumentError);
  });
});

describe('batches', () => {
  it('gathers the rows of every field in batch order', () => {
    const x = { data: Float32Array.from({ length: 10 * 3 }, (_, i) => i), shape: [10, 3] };
    const y = { data: Int32Array.from({ length: 10 }, (_, i) => 100 + i), shape: [10] };
    const options = { batchSize: 4, shuffle: true, seed: 9, epoch: 2 };
    const indices = [...batchIndices(10, options)];
    const got = [...batches({ x, y }, options)];
    expect(got.length).toBe(3);
    got.forEach((batch, k) => {
      const rows = Array.from(indices[k] ?? []);
      expect(batch.x.shape).toEqual([rows.length, 3]);
      expect(batch.x.data).toBeInstanceOf(Float32Array);
      expect(Array.from(batch.x.data)).toEqual(rows.flatMap((r) => [3 * r, 3 * r + 1, 3 * r + 2]));
      expect(batch.y.data).toBeInstanceOf(Int32Array);
      expect(Array.from(batch.y.data)).toEqual(rows.map((r) => 100 + r));
    });
  });

  it('rejects fields of different lengths and data that does not match its shape', () => {
    const x = { data: new Float32Array(6), shape: [3, 2] };
    expect(() => datasetSize({ x, y: { data: new Int32Array(4), shape: [4] } })).toThrow(
      /field y has 4 rows, expected 3/,
    );
    expect(() => [...batches({ x: { data: new Float32Array(5), shape: [3, 2] } }, { batchSize: 1 })]).toThrow(
      /batches: x.data has 5 elements but shape \[3, 2\] needs 6/,
    );
  });
});
