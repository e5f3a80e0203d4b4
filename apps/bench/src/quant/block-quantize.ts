// Symmetric per-block weight quantization of cases/quant-cases.json: for each output column n and each block of
// `blockSize` consecutive k, scale = max|W| / (2^(bits-1) - 1) and q = clamp(roundHalfEven(W / scale)).

/** Quantized weights in a layout independent of any library: codes[n, k] (one row per output), scales[n, kBlocks]. */
export interface BlockQuantized {
  readonly K: number;
  readonly N: number;
  readonly bits: 4 | 8;
  readonly blockSize: number;
  /** Signed codes in [-(2^(bits-1) - 1), 2^(bits-1) - 1], row n holds the K codes of output n. */
  readonly codes: Int8Array;
  /** float32 scales, [N, K / blockSize]. */
  readonly scales: Float32Array;
}

/** Round half to even (banker's rounding), the rounding of IEEE 754 and of most quantizers. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Quantizes W[K, N] (row-major) per output column and per block of k.
 *
 * @example
 * const q = blockQuantize(w, 4096, 4096, 4, 32);
 */
export function blockQuantize(w: Float32Array, K: number, N: number, bits: 4 | 8, blockSize: number): BlockQuantized {
  if (K % blockSize !== 0) throw new RangeError(`blockQuantize: K = ${K} is not a multiple of blockSize = ${blockSize}`);
  const qmax = 2 ** (bits - 1) - 1;
  const blocks = K / blockSize;
  const codes = new Int8Array(N * K);
  const scales = new Float32Array(N * blocks);
  for (let n = 0; n < N; n++) {
    for (let b = 0; b < blocks; b++) {
      let maxAbs = 0;
      for (let j = 0; j < blockSize; j++) maxAbs = Math.max(maxAbs, Math.abs(w[(b * blockSize + j) * N + n] as number));
      const scale = Math.fround(maxAbs === 0 ? 1 : maxAbs / qmax);
      scales[n * blocks + b] = scale;
      for (let j = 0; j < blockSize; j++) {
        const k = b * blockSize + j;
        codes[n * K + k] = Math.max(-qmax, Math.min(qmax, roundHalfEven((w[k * N + n] as number) / scale)));
      }
    }
  }
  return { K, N, bits, blockSize, codes, scales };
}

/** Dequantized weights as float32 W[K, N] (row-major), q * scale. */
export function dequantize(q: BlockQuantized): Float32Array {
  const { K, N, blockSize } = q;
  const blocks = K / blockSize;
  const w = new Float32Array(K * N);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) w[k * N + n] = (q.codes[n * K + k] as number) * (q.scales[n * blocks + Math.floor(k / blockSize)] as number);
  }
  return w;
}
