// The lcg32 generator of train-cases.json ("rng" section), bit for bit: every target of the bench must see exactly
// the data the float64 expect values were computed from.

const TWO_POW_32 = 4294967296;

/** One lcg32 step: s = (s * 1664525 + 1013904223) mod 2^32, all in uint32 arithmetic. */
export function lcg32Next(s: number): number {
  return (Math.imul(s, 1664525) + 1013904223) >>> 0;
}

/**
 * Fills `count` values u = float32(s / 2^32 - 0.5) of the stream started at `seed`, in row-major order.
 *
 * @example
 * const u = lcg32Uniforms(11, 4); // Float32Array of 4 values in [-0.5, 0.5)
 */
export function lcg32Uniforms(seed: number, count: number): Float32Array {
  const out = new Float32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = lcg32Next(s);
    out[i] = s / TWO_POW_32 - 0.5;
  }
  return out;
}

/**
 * uniformSym(seed, scale) = float32(2 * scale * u), uniform in [-scale, scale); scale is a float64.
 *
 * @example
 * const w = uniformSym(13, 32 * 512, Math.sqrt(6 / (32 + 512)));
 */
export function uniformSym(seed: number, count: number, scale: number): Float32Array {
  const out = lcg32Uniforms(seed, count);
  for (let i = 0; i < count; i++) out[i] = 2 * scale * (out[i] as number);
  return out;
}

/**
 * labels(seed, C) = min(C - 1, floor((u + 0.5) * C)): integer class ids in [0, C).
 *
 * @example
 * const y = labels(12, 32 * 50, 32);
 */
export function labels(seed: number, count: number, classes: number): Int32Array {
  const u = lcg32Uniforms(seed, count);
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) out[i] = Math.min(classes - 1, Math.floor(((u[i] as number) + 0.5) * classes));
  return out;
}

/**
 * Glorot-uniform weight of shape [fanIn, fanOut]: uniformSym(seed, sqrt(6 / (fanIn + fanOut))).
 *
 * @example
 * const wx = glorot(13, 32, 4 * 128); // Wx of lstm_train_h128
 */
export function glorot(seed: number, fanIn: number, fanOut: number): Float32Array {
  return uniformSym(seed, fanIn * fanOut, Math.sqrt(6 / (fanIn + fanOut)));
}
