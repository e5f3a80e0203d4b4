import { createQuantizerRegistry, markBuiltin, type QuantizerRegistry } from '../registry.ts';
import type { QuantizerPlugin } from '../spi.ts';
import { lsq, lsqPlus } from './lsq.ts';
import { ste } from './ste.ts';
import { quantNoise } from './quant-noise.ts';
import { quantNoisier } from './quant-noisier.ts';
import { rand } from './rand.ts';
import { pq } from '../pq/pq.ts';

/** The built-in plugins, in registration order. */
export const builtinQuantizers: readonly QuantizerPlugin<unknown>[] = [ste, lsq, lsqPlus, quantNoise, quantNoisier, rand, pq].map((p) => markBuiltin(p as QuantizerPlugin<unknown>));

/**
 * A registry holding the built-ins: `ste`, `lsq`, `lsq+`, `quant-noise`, `quant-noisier`, `rand`, `pq`.
 *
 * @example
 * ```ts
 * const q = defaultRegistry.create('lsq', { bits: 4 }, { shape: [16, 16], role: 'weight', runtime: defaultRuntime });
 * ```
 */
export const defaultRegistry: QuantizerRegistry = createQuantizerRegistry({ plugins: builtinQuantizers });
