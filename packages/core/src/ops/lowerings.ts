import { ShapeError, ValueError } from '../errors.ts';
import { fmt } from '../shape.ts';
import type { Capability, KernelParams } from '../spi/ops.ts';
import type { Tensor } from '../tensor.ts';
import type { Placement } from './bind.ts';
import { fromHost, fullLike } from './create.ts';
import { add, cast, div, eq, exp, floor, ge, lt, maximum, minimum, mul, roundHalfEven, rsqrt, sigmoid, square, sub, tanh, withTemps } from './elementwise.ts';
import { matmul, oneHot, gather } from './linalg.ts';
import { concat, expand, reshape, slice, split, stack, transpose, unsqueeze } from './movement.ts';
import { logSoftmax, mean, sum } from './reduce.ts';
import { philoxUniform, philoxWords } from '../rng/stream.ts';

type Lowering<C extends Capability> = (inputs: readonly Tensor[], params: KernelParams[C], placement: Placement) => Tensor;
/** Capabilities with one output (the multi-output ones are in {@link multiLowerings}). */
export type SingleOutputCapability = Exclude<Capability, 'lstmSequenceGrad' | 'layerNormGrad'>;

/**
 * One-hot lowerings would silently turn an out-of-range index into zeros; where the backend can read synchronously,
 * check the indices first so every backend reports the same error.
 */
function checkIndices(where: string, idx: Tensor, size: number): void {
  if (!idx.backend.readSync) return;
  const values = idx.hostValuesSync();
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < 0 || v >= size) throw new ValueError(`${where}: index ${v} at position ${i} is out of range; expected an integer in [0, ${size})`);
  }
}

/**
 * Reference lowerings of the capabilities, built from primitives. A backend that does not list a capability gets
 * these; they are also the definition a fast kernel must match.
 */
export const lowerings: { [C in SingleOutputCapability]: Lowering<C> } = {
  matmulBias: ([a, b, bias]) => withTemps((t) => add(t(matmul(a!, b!)), bias!)),

  matmul: ([a, b]) =>
    withTemps((t) => {
      // a[..., M, K, 1] * b[..., 1, K, N] summed over K.
      const prod = t(mul(t(unsqueeze(a!, -1)), t(unsqueeze(b!, -3))));
      return sum(prod, -2);
    }),

  gather: ([x, idx], { axis }) =>
    withTemps((t) => {
      checkIndices('gather', idx!, x!.shape[axis]!);
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
      checkIndices('scatterAdd', idx!, size);
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

  softmax: ([x], { axis }) => withTemps((t) => exp(t(logSoftmax(x!, axis)))),

  // y·(g − Σ g·y) along the axis: the gradient of softmax at its output y
  softmaxGrad: ([y, g], { axis }) => withTemps((t) => mul(y!, t(sub(g!, t(sum(t(mul(g!, y!)), [axis], true)))))),

  relu: ([x]) => maximum(x!, 0),

  // the gradient maximum(x, 0) has (see vjp.ts): g·([x > 0] + ½·[x = 0])
  reluGrad: ([x, g]) =>
    withTemps((t) => mul(g!, t(add(t(cast(t(lt(t(fullLike(x!, 0, [])), x!)), 'float32')), t(mul(t(cast(t(eq(x!, 0)), 'float32')), 0.5)))))),

  layerNorm: ([x, gamma, beta], { eps }) =>
    withTemps((t) => {
      const centred = t(sub(x!, t(mean(x!, -1, true))));
      const rstd = t(rsqrt(t(add(t(mean(t(square(centred)), -1, true)), eps)))); // population variance
      return add(t(mul(t(mul(centred, rstd)), gamma!)), beta!);
    }),

  lstmSequence: ([xp, wh, h0, c0]) =>
    withTemps((t) => {
      const [b, steps, h4] = xp!.shape as [number, number, number];
      let h = h0!;
      let c = c0!;
      const outs: Tensor[] = [];
      for (let s = 0; s < steps; s++) {
        const z = t(add(t(reshape(t(slice(xp!, [0, s, 0], [b, 1, h4])), [b, h4])), t(matmul(h, wh!))));
        const [zi, zf, zg, zo] = split(z, 4, 1).map(t) as [Tensor, Tensor, Tensor, Tensor];
        c = t(add(t(mul(t(sigmoid(zf)), c)), t(mul(t(sigmoid(zi)), t(tanh(zg))))));
        h = t(mul(t(sigmoid(zo)), t(tanh(c))));
        outs.push(t(stack([h, c], 1)));
      }
      return stack(outs, 1);
    }),
};

/**
 * Reference lowerings of multi-output capabilities (backward kernels), in primitives. They run inside backward
 * passes, where nothing is taped.
 */
export const multiLowerings = {
  /**
   * Backward of {@link lowerings.layerNorm}: with x̂ = (x − mean)·r and r = 1/√(var + eps),
   * gX = r·(gX̂ − mean(gX̂) − x̂·mean(gX̂·x̂)) where gX̂ = gY·gamma; gGamma = Σ gY·x̂ and gBeta = Σ gY over all rows.
   */
  layerNormGrad: (inputs: readonly Tensor[], { eps }: KernelParams['layerNormGrad']): Tensor[] => {
    const [x, gamma, gy] = inputs as [Tensor, Tensor, Tensor];
    const d = x.shape[x.rank - 1]!;
    const rows = Array.from({ length: x.rank - 1 }, (_, i) => i);
    return withTemps((t) => {
      const centred = t(sub(x, t(mean(x, -1, true))));
      const rstd = t(rsqrt(t(add(t(mean(t(square(centred)), -1, true)), eps))));
      const xhat = t(mul(centred, rstd));
      const gxhat = t(mul(gy, gamma));
      const inner = t(sub(t(sub(gxhat, t(mean(gxhat, -1, true)))), t(mul(xhat, t(mean(t(mul(gxhat, xhat)), -1, true))))));
      const gx = mul(inner, rstd);
      const perFeature = (v: Tensor) => (rows.length === 0 ? reshape(v, [d]) : reshape(t(sum(v, rows)), [d]));
      return [gx, perFeature(t(mul(gy, xhat))), perFeature(gy)];
    });
  },

  /** Backpropagation through time of {@link lowerings.lstmSequence}, recomputing the gates from Y. */
  lstmSequenceGrad: (inputs: readonly Tensor[]): Tensor[] => {
    const [xp, wh, h0, c0, y, gy] = inputs as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor];
    const [b, steps, h4] = xp.shape as [number, number, number];
    const hid = h4 / 4;
    return withTemps((t) => {
      const at = (v: Tensor, s: number, k: 0 | 1) => t(reshape(t(slice(v, [0, s, k, 0], [b, 1, 1, hid])), [b, hid]));
      let dhNext = t(mul(h0, 0));
      let dcNext = t(mul(c0, 0));
      const dzs: Tensor[] = new Array<Tensor>(steps);
      const hPrevs: Tensor[] = new Array<Tensor>(steps);
      for (let s = steps - 1; s >= 0; s--) {
        const hPrev = s === 0 ? h0 : at(y, s - 1, 0);
        const cPrev = s === 0 ? c0 : at(y, s - 1, 1);
        const c = at(y, s, 1);
        const z = t(add(t(reshape(t(slice(xp, [0, s, 0], [b, 1, h4])), [b, h4])), t(matmul(hPrev, wh))));
        const [zi, zf, zg, zo] = split(z, 4, 1).map(t) as [Tensor, Tensor, Tensor, Tensor];
        const i = t(sigmoid(zi));
        const f = t(sigmoid(zf));
        const g = t(tanh(zg));
        const o = t(sigmoid(zo));
        const tc = t(tanh(c));
        const dh = t(add(at(gy, s, 0), dhNext));
        const one = 1;
        const dc = t(add(t(add(at(gy, s, 1), dcNext)), t(mul(t(mul(dh, o)), t(sub(one, t(mul(tc, tc))))))));
        const dzi = t(mul(t(mul(dc, g)), t(mul(i, t(sub(one, i))))));
        const dzf = t(mul(t(mul(dc, cPrev)), t(mul(f, t(sub(one, f))))));
        const dzg = t(mul(t(mul(dc, i)), t(sub(one, t(mul(g, g))))));
        const dzo = t(mul(t(mul(dh, tc)), t(mul(o, t(sub(one, o))))));
        const dz = t(concat([dzi, dzf, dzg, dzo], 1));
        dzs[s] = dz;
        hPrevs[s] = hPrev;
        dhNext = t(matmul(dz, t(transpose(wh))));
        dcNext = t(mul(dc, f));
      }
      const dZ = t(stack(dzs, 1)); // [B, T, 4H]
      const hP = t(reshape(t(stack(hPrevs, 1)), [b * steps, hid]));
      const gWh = matmul(t(transpose(hP)), t(reshape(dZ, [b * steps, h4])));
      return [dZ.clone(), gWh, dhNext.clone(), dcNext.clone()];
    });
  },
};
