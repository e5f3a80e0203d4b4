import type { HostArray } from '@nibble/core';
import type { KernelCall, KernelParams, TensorView } from '@nibble/core/spi';
import { forEachStrided } from '../strided.ts';
import type { Lookup } from './elementwise.ts';

/** Strides that map an input index to its output cell (0 on reduced axes). */
function reducedOutStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = outShape[i] === 1 && shape[i] !== 1 ? 0 : acc;
    acc *= outShape[i]!;
  }
  return strides;
}

/**
 * The sum of every element, in float64 over 8 lanes: element i (row-major) goes to lane i mod 8, each lane adds in
 * index order, and the lanes combine as ((0+1)+(2+3))+((4+5)+(6+7)). One output has no other outputs to run beside
 * it, and a single chain of adds waits on itself (131072 elements: 0.14 ms on one core); 8 lanes are one vector of
 * doubles. The native backend sums in exactly this order, so the two agree bit for bit.
 */
export function fullSum(x: TensorView, src: HostArray): number {
  const lanes = new Float64Array(8);
  forEachStrided(x.shape, [x.strides], [x.offset], (i, offs) => {
    lanes[i % 8] = lanes[i % 8]! + (src[offs[0]!] as number);
  });
  return ((lanes[0]! + lanes[1]!) + (lanes[2]! + lanes[3]!)) + ((lanes[4]! + lanes[5]!) + (lanes[6]! + lanes[7]!));
}

/** sum / max over axes (keeping them with size 1); sums accumulate in float64. */
export function runReduce(call: KernelCall<'sum' | 'max'>, lookup: Lookup): void {
  const x = call.inputs[0]!;
  const outView = call.outputs[0]!;
  const out = lookup(outView);
  const src = lookup(x);
  if (call.op === 'sum' && out.length === 1) {
    out[0] = fullSum(x, src);
    return;
  }
  const acc = new Float64Array(out.length).fill(call.op === 'sum' ? 0 : -Infinity);
  const isMax = call.op === 'max';
  forEachStrided(x.shape, [x.strides, reducedOutStrides(x.shape, outView.shape)], [x.offset, 0], (_i, offs) => {
    const v = src[offs[0]!]!;
    const o = offs[1]!;
    if (isMax) {
      if (v > acc[o]! || v !== v) acc[o] = v !== v || acc[o] !== acc[o] ? NaN : v;
    } else acc[o]! += v;
  });
  for (let i = 0; i < out.length; i++) out[i] = acc[i]!;
}

/** Index of the first maximum along an axis (NaN counts as the maximum, like NumPy). */
export function runArgmax(call: KernelCall<'argmax'>, lookup: Lookup): void {
  const x = call.inputs[0]!;
  const { axis } = call.params as KernelParams['argmax'];
  const out = lookup(call.outputs[0]!);
  const src = lookup(x);
  const outShape = call.outputs[0]!.shape;
  const len = x.shape[axis]!;
  const stride = x.strides[axis]!;
  const outer = x.strides.map((s, i) => (i === axis ? 0 : s));
  forEachStrided(outShape, [outer], [x.offset], (i, offs) => {
    let best = -Infinity;
    let at = 0;
    for (let k = 0; k < len; k++) {
      const v = src[offs[0]! + k * stride]!;
      if (v !== v) {
        at = k;
        break;
      }
      if (k === 0 || v > best) {
        best = v;
        at = k;
      }
    }
    out[i] = at;
  });
}
