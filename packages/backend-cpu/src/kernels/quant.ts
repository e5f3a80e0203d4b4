import { philoxUniform, philoxWords } from '@nibble/core';
import type { KernelCall, KernelParams, TensorView } from '@nibble/core/spi';
import { roundHalfEven } from '../math.ts';
import { forEachStrided } from '../strided.ts';
import type { Lookup } from './elementwise.ts';

/**
 * Fake quantization with float32 rounding after each step (divide, add zero-point, subtract, multiply), so it is
 * bit-identical to the primitive lowering in core and to float32 kernels on other backends.
 */
export function runFakeQuant(call: KernelCall<'fakeQuant'>, lookup: Lookup, round32: (x: number) => number): void {
  const [x, s, z] = call.inputs as [TensorView, TensorView, TensorView];
  const { qmin, qmax, axis } = call.params as KernelParams['fakeQuant'];
  const out = lookup(call.outputs[0]!);
  const src = lookup(x);
  const S = lookup(s);
  const Z = lookup(z);
  const axisLen = axis === null ? 1 : x.shape[axis]!;
  const inner = axis === null ? 1 : x.shape.slice(axis + 1).reduce((a, d) => a * d, 1);
  const sAt = (g: number) => S[s.offset + (s.shape.length ? g * (s.strides.at(-1) ?? 1) : 0)]!;
  const zAt = (g: number) => Z[z.offset + (z.shape.length ? g * (z.strides.at(-1) ?? 1) : 0)]!;
  forEachStrided(x.shape, [x.strides], [x.offset], (i, offs) => {
    const g = axis === null ? 0 : Math.floor(i / inner) % axisLen;
    const scale = sAt(g);
    const zp = zAt(g);
    let q = roundHalfEven(round32(src[offs[0]!]! / scale)) + zp;
    q = q < qmin ? qmin : q > qmax ? qmax : q;
    out[i] = round32((q - zp) * scale);
  });
}

/** Philox-4x32-10 words or uniforms, laid out as core's `philoxWords` defines. */
export function runRandomBits(call: KernelCall<'randomBits'>, lookup: Lookup): void {
  const { key, as } = call.params as KernelParams['randomBits'];
  const out = lookup(call.outputs[0]!);
  if (as === 'bits') out.set(new Int32Array(philoxWords(key, out.length).buffer));
  else out.set(philoxUniform(key, out.length));
}
