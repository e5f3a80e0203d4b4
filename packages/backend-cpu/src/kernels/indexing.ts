import { ValueError } from '@nibble/core';
import type { KernelCall, KernelParams, TensorView } from '@nibble/core/spi';
import { forEachStrided } from '../strided.ts';
import type { Lookup } from './elementwise.ts';

function readIndices(view: TensorView, lookup: Lookup, size: number, where: string): Int32Array {
  const src = lookup(view);
  const out = new Int32Array(view.shape.reduce((a, d) => a * d, 1));
  forEachStrided(view.shape, [view.strides], [view.offset], (i, offs) => {
    const v = src[offs[0]!]!;
    if (v < 0 || v >= size) throw new ValueError(`${where}: index ${v} at position ${i} is out of range; expected an integer in [0, ${size})`);
    out[i] = v;
  });
  return out;
}

/** `tf.gather` along an axis. */
export function runGather(call: KernelCall<'gather'>, lookup: Lookup): void {
  const [x, idxView] = call.inputs as [TensorView, TensorView];
  const { axis } = call.params as KernelParams['gather'];
  const size = x.shape[axis]!;
  const idx = readIndices(idxView, lookup, size, 'gather');
  const src = lookup(x);
  const out = lookup(call.outputs[0]!);
  const postShape = x.shape.slice(axis + 1);
  const postStrides = x.strides.slice(axis + 1);
  const preShape = x.shape.slice(0, axis);
  const preStrides = x.strides.slice(0, axis);
  let o = 0;
  forEachStrided(preShape, [preStrides], [x.offset], (_p, preOff) => {
    for (let j = 0; j < idx.length; j++) {
      const base = preOff[0]! + idx[j]! * x.strides[axis]!;
      forEachStrided(postShape, [postStrides], [base], (_q, off) => {
        out[o++] = src[off[0]!]!;
      });
    }
  });
}

/** Sums updates into zeros at indices along an axis. */
export function runScatterAdd(call: KernelCall<'scatterAdd'>, lookup: Lookup): void {
  const [idxView, upd] = call.inputs as [TensorView, TensorView];
  const { axis, size, shape } = call.params as KernelParams['scatterAdd'];
  const idx = readIndices(idxView, lookup, size, 'scatterAdd');
  const out = lookup(call.outputs[0]!);
  const acc = new Float64Array(out.length);
  const post = shape.slice(axis + 1).reduce((a, d) => a * d, 1);
  const src = lookup(upd);
  const nIdx = idx.length;
  forEachStrided(upd.shape, [upd.strides], [upd.offset], (i, offs) => {
    const q = i % post;
    const j = Math.floor(i / post) % nIdx;
    const p = Math.floor(i / (post * nIdx));
    acc[(p * size + idx[j]!) * post + q]! += src[offs[0]!]!;
  });
  for (let i = 0; i < out.length; i++) out[i] = acc[i]!;
}
