import { DTypeError, ShapeError, ValueError } from '../errors.ts';
import { fmt, normalizeAxis } from '../shape.ts';
import type { PackedWeights } from '../spi/ops.ts';
import type { Tensor } from '../tensor.ts';
import { bind } from './bind.ts';
import { arange } from './create.ts';
import { cast, eq, withTemps } from './elementwise.ts';
import { reshape, unsqueeze } from './movement.ts';

/**
 * Batched matrix product `a[..., M, K] · b[..., K, N]` with broadcast batch axes. Pass transposed views
 * (`b.transpose()`) for transposed operands: backends pack them, no copy is made here.
 *
 * @example
 * ```ts
 * matmul(ones([2, 3]), ones([3, 4])); // [2,4] of 3s
 * ```
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  return bind('matmul', [a, b], {});
}

/**
 * `a·b + bias` with `bias` [N] added to every row: the dense-layer product with its bias add fused into the
 * product where the backend has the `matmulBias` capability (one pass over the output instead of two), and
 * `matmul(a, b).add(bias)` elsewhere. Shapes and batch broadcasting are those of {@link matmul}; the gradient of
 * `bias` is the output gradient summed over all rows.
 *
 * @example
 * ```ts
 * const y = matmulBias(x, w, b); // x [B, in], w [in, out], b [out] → [B, out]
 * ```
 */
export function matmulBias(a: Tensor, b: Tensor, bias: Tensor): Tensor {
  return bind('matmulBias', [a, b, bias], {});
}

/** Gathers slices along `axis` (TensorFlow `gather`): out shape = x[:axis] + indices + x[axis+1:]. */
export function gather(x: Tensor, indices: Tensor, axis = 0): Tensor {
  const a = normalizeAxis('gather', axis, x.rank);
  return bind('gather', [x, indices], { axis: a });
}

/** Sums `updates` into zeros of `shape` at `indices` along `axis` (the inverse of {@link gather}). */
export function scatterAdd(indices: Tensor, updates: Tensor, shape: readonly number[], axis = 0): Tensor {
  const a = normalizeAxis('scatterAdd', axis, shape.length);
  const expected = [...shape.slice(0, a), ...indices.shape, ...shape.slice(a + 1)];
  if (updates.rank !== expected.length || updates.shape.some((d, i) => d !== expected[i])) {
    throw new ShapeError(`scatterAdd: updates have shape ${fmt(updates.shape)}; expected ${fmt(expected)} for indices ${fmt(indices.shape)} into ${fmt(shape)} along axis ${a}`);
  }
  return bind('scatterAdd', [indices, updates], { axis: a, size: shape[a]!, shape });
}

/** One-hot float32 encoding: out[..., j] = 1 where indices[...] = j. Indices outside [0, depth) give all zeros. */
export function oneHot(indices: Tensor, depth: number): Tensor {
  if (indices.dtype !== 'int32') throw new DTypeError(`oneHot: indices have dtype ${indices.dtype}; expected int32`);
  if (!Number.isInteger(depth) || depth <= 0) throw new ValueError(`oneHot: depth ${depth}; expected a positive integer`);
  return withTemps((t) => {
    const classes = t(arange(0, depth, 1, { dtype: 'int32', runtime: indices.runtime, backend: indices.backend.name }));
    return cast(t(eq(t(unsqueeze(indices, -1)), classes)), 'float32');
  });
}

/**
 * Fused fake quantization `(clamp(roundHalfEven(x / s) + z, qmin, qmax) − z) · s`, per tensor (`axis` null, scale
 * and zeroPoint with one element) or per channel along `axis`. Not differentiable: quantizers choose their own
 * straight-through gradient.
 */
export function fakeQuant(x: Tensor, scale: Tensor, zeroPoint: Tensor, opts: { qmin: number; qmax: number; axis?: number | null }): Tensor {
  const axis = opts.axis === undefined || opts.axis === null ? null : normalizeAxis('fakeQuant', opts.axis, x.rank);
  return bind('fakeQuant', [x, scale, zeroPoint], { qmin: opts.qmin, qmax: opts.qmax, axis });
}

/**
 * `x[..., K] · Wᵀ` with W given as packed low-bit codes (see {@link PackedWeights}). `tables` are the scales
 * (int codes) or the codebook (PQ); `zeroPoints` are needed for unsigned int codes.
 */
export function packedMatmul(x: Tensor, codes: Tensor, tables: Tensor, weights: PackedWeights, zeroPoints?: Tensor): Tensor {
  return bind('packedMatmul', zeroPoints ? [x, codes, tables, zeroPoints] : [x, codes, tables], { weights });
}

/** Reshape helper re-exported for composites. */
export { reshape };

/**
 * A whole LSTM layer over time (gates i, f, g, o; see the `lstmSequence` capability). `xProj` is x·Wx + b for all
 * steps [B, T, 4H]; returns Y [B, T, 2, H] holding h_t (Y[:, :, 0]) and c_t (Y[:, :, 1]). Differentiable; backends
 * with the capability run it as one fused kernel forward and backward.
 *
 * @example
 * ```ts
 * const y = lstmSequence(x.matmul(wx).add(b), wh, h0, c0);
 * const hs = y.slice([0, 0, 0, 0], [B, T, 1, H]).reshape([B, T, H]);
 * ```
 */
export function lstmSequence(xProj: Tensor, wh: Tensor, h0: Tensor, c0: Tensor): Tensor {
  return bind('lstmSequence', [xProj, wh, h0, c0], {});
}
