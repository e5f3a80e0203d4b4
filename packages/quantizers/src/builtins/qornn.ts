import type { OrthogonalRNN, WeightTransform } from '@nibble/layers';
import { defaultRegistry } from './index.ts';
import { QuantizerConfigError } from '../errors.ts';
import type { QuantizerRegistry } from '../registry.ts';
import type { Quantizer } from '../spi.ts';

/** Options of {@link attachQornnQuantizers}. */
export interface QornnQuantizeOptions {
  /** Bit width k of W and U. */
  readonly bits: number;
  /** Quantizer id (default 'ste': uniform symmetric, min-max scale α, as in QORNN). */
  readonly quantizer?: string;
  /** Extra config merged over `{ bits }` (e.g. `{ granularity: 'channel' }`). */
  readonly config?: Readonly<Record<string, unknown>>;
  /** Quantize the input matrix U too (default true; QORNN quantizes W and U, never V). */
  readonly quantizeInput?: boolean;
  readonly registry?: QuantizerRegistry;
}

/** The quantizers attached by {@link attachQornnQuantizers}. */
export interface QornnQuantizers {
  readonly recurrent: Quantizer;
  readonly input?: Quantizer;
}

/** Adapts a quantizer to a layer's weight-transform hook. */
export function quantizerTransform(q: Quantizer): WeightTransform {
  return (w, ctx) => q.forward(w, ctx);
}

/**
 * QORNN (spec §7.3–7.4): attaches k-bit quantizers to an {@link OrthogonalRNN}'s recurrent matrix and input matrix.
 * With the 'bjorck' parametrization this is STE-Björck: the layer computes W = Björck₁₅(V) and passes it through the
 * transform, so the forward uses q(W), the STE passes the gradient to W and autodiff continues through the 15
 * iterations to V. With 'projunn-d'/'projunn-t' it is STE-projUNN: the forward uses q(W) of the stored W and the STE
 * gradient feeds `projunnStep`.
 *
 * @example
 * ```ts
 * const rnn = new OrthogonalRNN(1, 128, { parametrization: 'bjorck' });
 * const { recurrent } = attachQornnQuantizers(rnn, { bits: 4 });
 * ```
 */
export function attachQornnQuantizers(rnn: OrthogonalRNN, options: QornnQuantizeOptions): QornnQuantizers {
  const registry = options.registry ?? defaultRegistry;
  const id = options.quantizer ?? 'ste';
  const make = (name: 'recurrentWeight' | 'inputWeight') =>
    registry.create(id, { bits: options.bits, ...options.config }, { shape: rnn.rawParameter(name).shape, role: 'weight', runtime: rnn.rawParameter(name).runtime, name });
  const recurrent = make('recurrentWeight');
  rnn.setWeightTransform('recurrentWeight', quantizerTransform(recurrent));
  if (options.quantizeInput === false) return { recurrent };
  const input = make('inputWeight');
  rnn.setWeightTransform('inputWeight', quantizerTransform(input));
  return { recurrent, input };
}

/**
 * STE-Björck (spec §7.3): {@link attachQornnQuantizers} on an OrthogonalRNN that uses the Björck parametrization;
 * throws for projUNN layers (use attachQornnQuantizers for STE-projUNN).
 *
 * @example
 * ```ts
 * const { recurrent, input } = steBjorck(new OrthogonalRNN(28, 64, { parametrization: 'bjorck' }), { bits: 5 });
 * ```
 */
export function steBjorck(rnn: OrthogonalRNN, options: QornnQuantizeOptions): QornnQuantizers {
  if (rnn.parametrization !== 'bjorck') {
    throw new QuantizerConfigError(`steBjorck: the layer's parametrization is '${rnn.parametrization}'; expected 'bjorck' (use attachQornnQuantizers for STE-projUNN)`, 'parametrization');
  }
  return attachQornnQuantizers(rnn, options);
}
