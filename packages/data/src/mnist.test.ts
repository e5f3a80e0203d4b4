import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  loadMnist,
  MNIST_PIXELS,
  mnistPixelPermutation,
  sequentialMnist,
  type MnistData,
} from './mnist.js';
import { DataArgumentError } from './errors.js';
import { SPLIT_NAMES, type SplitName } from './splits.js';

// The package's own reader, used as the independent reference for what the digits are.
interface MnistDigit {
  readonly id: number;
  readonly length: number;
  get(which: number): number[];
}
const mnistPackage = createRequire(import.meta.url)('mnist') as readonly MnistDigit[];

/** Bitwise equality of two typed arrays; vitest's deep equality is slow on arrays of 800 000 elements. */
const sameBytes = (a: ArrayBufferView, b: ArrayBufferView): boolean =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

const splits = new Map<SplitName, MnistData>();
const load = async (split: SplitName): Promise<MnistData> => {
  const cached = splits.get(split);
  if (cached) return cached;
  const data = await loadMnist(split);
  splits.set(split, data);
  return data;
};

describe('loadMnist', () => {
  it('has fixed split sizes 8000/1000/1000 with [N, 784] float images in [0, 1] and labels 0..9', async () => {
    const expectedSizes = { train: 8000, valid: 1000, test: 1000 };
    for (const split of SPLIT_NAMES) {
      const { images, labels } = await load(split);
      expect(images.shape).toEqual([expectedSizes[split], MNIST_PIXELS]);
      expect(labels.shape).toEqual([expectedSizes[split]]);
      let min = Infinity;
      let max = -Infinity;
      for (const v of images.data) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
      expect(min).toBe(0);
      expect(max).toBe(1);
      for (const label of labels.data) expect(label >= 0 && label <= 9).toBe(true);
    }
  });

  it('splits are disjoint, cover all 10 000 digits and have every class in proportion', async () => {
    const seen = new Set<number>();
    const packageCounts = mnistPackage.map((d) => d.length);
    expect(packageCounts.reduce((a, b) => a + b, 0)).toBe(10_000);
    for (const split of SPLIT_NAMES) {
      const { labels, sourceIndices } = await load(split);
      for (const i of sourceIndices) seen.add(i);
      const counts = new Array<number>(10).fill(0);
      for (const label of labels.data) counts[label] = (counts[label] ?? 0) + 1;
      const n = labels.data.length;
      counts.forEach((c, d) => {
        // Hypergeometric spread: 5 sigma around the class's share of the package.
        const p = (packageCounts[d] ?? 0) / 10_000;
        expect(Math.abs(c - n * p)).toBeLessThan(5 * Math.sqrt(n * p * (1 - p)) + 1);
      });
    }
    expect(seen.size).toBe(10_000);
  });

  it('each image and label equals what the mnist package itself returns for that digit', async () => {
    const { images, labels, sourceIndices } = await load('valid');
    const starts = [0];
    for (const d of mnistPackage) starts.push((starts.at(-1) ?? 0) + d.length);
    for (let j = 0; j < 1000; j += 37) {
      const source = sourceIndices[j] as number;
      const digit = starts.findIndex((s, d) => source >= s && source < (starts[d + 1] ?? Infinity));
      expect(labels.data[j]).toBe(digit);
      const reference = mnistPackage[digit]?.get(source - (starts[digit] ?? 0)) ?? [];
      expect(Array.from(images.data.subarray(j * 784, (j + 1) * 784))).toEqual(reference.map((v) => Math.fround(v)));
    }
  });

  it('is the same on every call (fixed split)', async () => {
    const again = await loadMnist('test');
    const first = await load('test');
    expect(again.sourceIndices).toEqual(first.sourceIndices);
    expect(again.labels.data).toEqual(first.labels.data);
  });
});

describe('sequentialMnist', () => {
  it('row-wise is [N, 28, 28]: step r holds image row r', async () => {
    const { x, y } = await sequentialMnist({ split: 'valid', layout: 'rows' });
    const { images, labels } = await load('valid');
    expect(x.shape).toEqual([1000, 28, 28]);
    expect(sameBytes(x.data, images.data)).toBe(true);
    expect(sameBytes(y.data, labels.data)).toBe(true);
  });

  it('pixel-wise is [N, 784, 1], and permuted step t reads pixel perm[t] with a fixed permutation', async () => {
    const plain = await sequentialMnist({ split: 'test', layout: 'pixels' });
    const permuted = await sequentialMnist({ split: 'test', layout: 'pixels', permuted: true });
    expect(plain.x.shape).toEqual([1000, 784, 1]);
    expect(permuted.x.shape).toEqual([1000, 784, 1]);
    const perm = mnistPixelPermutation();
    expect(mnistPixelPermutation()).toEqual(perm);
    expect(new Set(perm).size).toBe(784);
    for (const n of [0, 1, 999]) {
      for (let t = 0; t < 784; t++) {
        expect(permuted.x.data[n * 784 + t]).toBe(plain.x.data[n * 784 + (perm[t] as number)]);
      }
    }
    expect(sameBytes(permuted.y.data, plain.y.data)).toBe(true);
    const other = await sequentialMnist({ split: 'test', layout: 'pixels', permuted: true, permutationSeed: 1 });
    expect(sameBytes(other.x.data, permuted.x.data)).toBe(false);
  });

  it('rejects a permuted row-wise layout', async () => {
    await expect(sequentialMnist({ split: 'test', layout: 'rows', permuted: true })).rejects.toThrow(DataArgumentError);
  });
});
