import { scope, ShapeError, type Tensor } from '@nibble/core';
import { checkSize, Initializer, type LayerOptions } from './init.ts';
import { Module } from './module.ts';

/** Options of the positional encodings. */
export interface PositionalEncodingOptions extends LayerOptions {
  /** Inputs are [B, T, E] instead of [T, B, E] (default false). */
  batchFirst?: boolean;
}

function addPositions(x: Tensor, table: Tensor, dModel: number, maxLen: number, batchFirst: boolean, where: string): Tensor {
  const T = batchFirst ? x.shape[1] : x.shape[0];
  if (x.rank !== 3 || x.shape[2] !== dModel || T === undefined || T > maxLen) {
    throw new ShapeError(`${where}: input has shape [${x.shape.join(',')}]; expected [${batchFirst ? 'B, T' : 'T, B'}, ${dModel}] with T ≤ ${maxLen}`);
  }
  return scope(() => {
    const pe = table.slice([0, 0], [T, dModel]);
    return x.add(batchFirst ? pe : pe.unsqueeze(1));
  });
}

/**
 * Adds the fixed sinusoidal encoding of "Attention Is All You Need": PE[p, 2i] = sin(p / 10000^(2i/d)),
 * PE[p, 2i+1] = cos(p / 10000^(2i/d)), computed in float64 and stored as the buffer `pe` [maxLen, d].
 *
 * @example
 * ```ts
 * const pos = new SinusoidalPositionalEncoding(16, 512, { batchFirst: true });
 * const y = pos.forward(zeros([2, 10, 16])); // [B, T, 16], T ≤ 512
 * ```
 */
export class SinusoidalPositionalEncoding extends Module {
  readonly batchFirst: boolean;

  constructor(
    readonly dModel: number,
    readonly maxLen = 5000,
    options: PositionalEncodingOptions = {},
  ) {
    super();
    checkSize('SinusoidalPositionalEncoding', 'dModel', dModel);
    checkSize('SinusoidalPositionalEncoding', 'maxLen', maxLen);
    this.batchFirst = options.batchFirst ?? false;
    const data = new Float64Array(maxLen * dModel);
    for (let p = 0; p < maxLen; p++) {
      for (let j = 0; j < dModel; j++) {
        const angle = p / Math.pow(10000, (2 * Math.floor(j / 2)) / dModel);
        data[p * dModel + j] = j % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
      }
    }
    this.addBuffer('pe', new Initializer('SinusoidalPositionalEncoding', options).values([maxLen, dModel], data));
  }

  forward(x: Tensor): Tensor {
    return addPositions(x, this.buffer('pe'), this.dModel, this.maxLen, this.batchFirst, 'SinusoidalPositionalEncoding.forward');
  }
}

/**
 * Adds a learned position embedding `weight` [maxLen, d] (initialized N(0, 0.02²)).
 *
 * @example
 * ```ts
 * const pos = new LearnedPositionalEncoding(16, 128, { batchFirst: true, seed: 0 });
 * const y = pos.forward(zeros([2, 10, 16]));
 * ```
 */
export class LearnedPositionalEncoding extends Module {
  readonly batchFirst: boolean;

  constructor(
    readonly dModel: number,
    readonly maxLen: number,
    options: PositionalEncodingOptions = {},
  ) {
    super();
    checkSize('LearnedPositionalEncoding', 'dModel', dModel);
    checkSize('LearnedPositionalEncoding', 'maxLen', maxLen);
    this.batchFirst = options.batchFirst ?? false;
    this.addParameter('weight', new Initializer('LearnedPositionalEncoding', options).normal('weight', [maxLen, dModel], 0.02));
  }

  forward(x: Tensor): Tensor {
    return addPositions(x, this.weight('weight'), this.dModel, this.maxLen, this.batchFirst, 'LearnedPositionalEncoding.forward');
  }
}
