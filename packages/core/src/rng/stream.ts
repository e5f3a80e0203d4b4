import type { RngKey } from '../spi/ops.ts';
import { bitsToUniform, randomBits } from './philox.ts';

/** `n` Philox-4x32-10 words of the stream `key` (see philox.ts for the counter layout every backend reproduces). */
export function philoxWords(key: RngKey, n: number): Uint32Array {
  return randomBits({ seed: key.seed, stream: key.stream }, key.counter, n);
}

/** `n` uniforms in [0, 1) of the stream `key`: `(word >>> 8) · 2^-24`, exact in float32. */
export function philoxUniform(key: RngKey, n: number): Float32Array {
  const words = philoxWords(key, n);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = bitsToUniform(words[i]!);
  return out;
}
