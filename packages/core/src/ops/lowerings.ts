import { ShapeError, ValueError } from '../errors.ts';
import { fmt } from '../shape.ts';
import type { Capability, KernelParams } from '../spi/ops.ts';
import type { Tensor } from '../tensor.ts';
import type { Placement } from './bind.ts';
import { fromHost } from './create.ts';
import { add, cast, div, floor, ge, maximum, minimum, mul, roundHalfEven, sub, withTemps } from './elementwise.ts';
import { matmul, oneHot, gather } from './linalg.ts';
import { concat, expand, reshape, slice, transpose, unsqueeze } from './movement.ts';
import { sum } from './reduce.ts';
import { philoxUniform, philoxWords } from '../rng/stream.ts';

type Lowering<C extends Capability> = (inputs: readonly Tensor[], params: KernelParams[C], placement: Placement) => Tensor;

/**
 * Reference lowerings of the capabilities, built from primitives. A backend that does not list a capability gets
 * these; they are also the definition a fast kernel must match.
 */
export const lowerings: { [C in Capability]: Lowering<C> } = {
  matmul: ([a, b]) =>
    withTemps((t) => {
      // a[..., M, K, 1] * b[..., 1, K, N] summed over K.
      const prod = t(mul(t(unsqueeze(a!, -1)), t(unsqueeze(b!, -3))));
      return sum(prod, -2);
    }),

  gather: ([x, idx], { axis }) =>
    withTemps((t) => {
      const pre = x!.shape.slice(0, axis);
      const post = x!.shape.slice(axis + 1);
      const size = x!.shape[axis]!;
      const p = pre.reduce((n, d) => n * d, 1);
      const q = post.reduce((n, d) => n * d, 1);
      const xf = x!.dtype === 'float32' ? x! : t(cast(x!, 'float32'));
      const x3 = t(reshape(xf, [p, size, q]));
      const oh = t(oneHot(t(reshape(idx!, [idx!.size])), size)); // [I, S]
      const out = t(matmul(t(unsqueeze(oh, 0)), x3)); // [P, I, Q]
      const shaped = t(reshape(out, [...pre, ...idx!.shape, ...post]));
      return x!.dtype === 'float32' ? shaped.clone() : cast(t(roundHalfEven(shaped)), x!.dtype);
    }),

  scatterAdd: ([idx, upd], { axis, size, shape }) =>
    withTemps((t) => {
      const p = shape.slice(0, axis).reduce((n, d) => n * d, 1);
      const q = shape.slice(axis + 1).reduce((n, d) => n * d, 1);
      const u3 = t(reshape(upd!, [p, idx!.size, q]));
      const ohT = t(transpose(t(oneHot(t(reshape(idx!, [idx!.size])), size)))); // [S, I]
      return reshape(t(matmul(t(unsqueeze(ohT, 0)), u3)), shape);
    }),

  randomBits: (_inputs, { key, shape, as }, { runtime, backend }) => {
    const n = shape.reduce((a, d) => a * d, 1);
    const host = as === 'bits' ? new Int32Array(philoxWords(key, n).buffer) : philoxUniform(key, n);
    return fromHost(runtime, backend, as === 'bits' ? 'int32' : 'float32', shape, host);
  },

  fakeQuant: ([x, s, z], { qmin, qmax, axis }) =>
    withTemps((t) => {
      const bshape = x!.shape.map((d, i) => (i === axis ? d : 1));
      const sb = t(reshape(s!, axis === null ? [] : bshape));
      const zb = t(reshape(z!, axis === null ? [] : bshape));
      const q = t(minimum(t(maximum(t(add(t(roundHalfEven(t(div(x!, sb)))), zb)), qmin)), qmax));
      return mul(t(sub(q, zb)), sb);
    }),

  packedMatmul: (inputs, { weights }) =>
    withTemps((t) => {
      const [x, codes, tables, zeroPoints] = inputs as [Tensor, Tensor, Tensor, Tensor | undefined];
      const [n, k] = weights.shape;
      let w: Tensor;
      if (weights.kind === 'pq') {
        const blocks = k / weights.blockSize;
        if (!Number.isInteger(blocks)) throw new ShapeError(`packedMatmul: K = ${k} is not a multiple of the PQ block size ${weights.blockSize}`);
        if (codes.shape[0] !== n || codes.shape[1] !== blocks) throw new ShapeError(`packedMatmul: PQ codes have shape ${fmt(codes.shape)}; expected [${n},${blocks}]`);
        const sub3 = t(gather(tables, t(cast(codes, 'int32')), 0)); // [N, K/d, d]
        w = t(reshape(sub3, [n, k]));
      } else {
        const { bits, groupSize, signed } = weights;
        const per = 8 / bits;
        const bytesPerRow = Math.ceil(k / per);
        if (codes.shape[0] !== n || codes.shape[1] !== bytesPerRow) throw new ShapeError(`packedMatmul: codes have shape ${fmt(codes.shape)}; expected [${n},${bytesPerRow}] for ${bits}-bit codes of [${n},${k}]`);
        if (k % groupSize !== 0) throw new ValueError(`packedMatmul: group size ${groupSize} does not divide K = ${k}`);
        const c = t(cast(codes, 'float32'));
        const levels = 2 ** bits;
        const fields: Tensor[] = [];
        for (let j = 0; j < per; j++) {
          const hi = t(floor(t(div(c, 2 ** (bits * (j + 1))))));
          const lo = t(floor(t(div(c, 2 ** (bits * j)))));
          fields.push(t(unsqueeze(t(sub(lo, t(mul(hi, levels)))), -1)));
        }
        let v = t(slice(t(reshape(t(concat(fields, -1)), [n, bytesPerRow * per])), [0, 0], [n, k]));
        if (signed) v = t(sub(v, t(mul(t(cast(t(ge(v, levels / 2)), 'float32')), levels))));
        const groups = k / groupSize;
        const spread = (g: Tensor) => t(reshape(t(expand(t(reshape(g, [n, groups, 1])), [n, groups, groupSize])), [n, k]));
        if (zeroPoints) v = t(sub(v, spread(zeroPoints)));
        w = t(mul(v, spread(tables)));
      }
      return matmul(x, t(transpose(w)));
    }),
};
