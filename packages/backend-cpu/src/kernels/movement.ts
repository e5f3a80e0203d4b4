import type { KernelCall, KernelParams, TensorView } from '@nibble/core/spi';
import { forEachStrided } from '../strided.ts';
import type { Lookup } from './elementwise.ts';

function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** Copies a strided view into a window of a contiguous output starting at element `base`. */
function copyWindow(src: ArrayLike<number>, view: TensorView, dst: { [i: number]: number }, dstStrides: readonly number[], base: number): void {
  forEachStrided(view.shape, [view.strides, dstStrides], [view.offset, base], (_i, offs) => {
    dst[offs[1]!] = src[offs[0]!]!;
  });
}

/** Constant padding. */
export function runPad(call: KernelCall<'pad'>, lookup: Lookup): void {
  const { pads, value } = call.params as KernelParams['pad'];
  const outView = call.outputs[0]!;
  const out = lookup(outView);
  out.fill(value);
  const strides = contiguousStrides(outView.shape);
  const base = pads.reduce((acc, [before], i) => acc + before * strides[i]!, 0);
  copyWindow(lookup(call.inputs[0]!), call.inputs[0]!, out, strides, base);
}

/** Concatenation along an axis. */
export function runConcat(call: KernelCall<'concat'>, lookup: Lookup): void {
  const { axis } = call.params as KernelParams['concat'];
  const outView = call.outputs[0]!;
  const out = lookup(outView);
  const strides = contiguousStrides(outView.shape);
  let start = 0;
  for (const input of call.inputs) {
    copyWindow(lookup(input), input, out, strides, start * strides[axis]!);
    start += input.shape[axis]!;
  }
}
