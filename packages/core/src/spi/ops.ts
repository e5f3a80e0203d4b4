import type { DType } from '../dtype.ts';

/**
 * The closed set of primitive kernels every backend implements. Movement ops (reshape, permute, slice, expand) are
 * views handled by core and never reach a backend; they are still primitives for autograd (see {@link GradOp}).
 */
export type UnaryOp =
  | 'neg' | 'abs' | 'sign' | 'exp' | 'log' | 'sqrt' | 'tanh' | 'sigmoid' | 'erf' | 'sin' | 'cos' | 'floor' | 'round' | 'not';
/** Elementwise binary arithmetic; both inputs share the output's dtype. */
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum';
/** Elementwise comparisons; the output dtype is bool. */
export type CompareOp = 'lt' | 'le' | 'eq' | 'ne';
/** Reductions over a list of axes; the output keeps the reduced axes with size 1. */
export type ReduceOp = 'sum' | 'max';

/** Kernels a backend must implement. */
export type PrimitiveOp = UnaryOp | BinaryOp | CompareOp | ReduceOp | 'where' | 'cast' | 'argmax' | 'copy' | 'pad' | 'concat';

/**
 * Optional fast paths. Core has a reference lowering for each, built from primitives, used when a backend does not
 * list the capability in `Backend.capabilities`.
 */
export type Capability =
  | 'matmul' | 'matmulBias' | 'gather' | 'scatterAdd' | 'randomBits' | 'fakeQuant' | 'packedMatmul' | 'lstmSequence' | 'lstmSequenceGrad'
  | 'softmax' | 'softmaxGrad' | 'layerNorm' | 'layerNormGrad' | 'relu' | 'reluGrad';

/** Every capability, in a stable order (for validation and listings). */
export const CAPABILITY_LIST: readonly Capability[] = [
  'matmul', 'matmulBias', 'gather', 'scatterAdd', 'randomBits', 'fakeQuant', 'packedMatmul', 'lstmSequence', 'lstmSequenceGrad',
  'softmax', 'softmaxGrad', 'layerNorm', 'layerNormGrad', 'relu', 'reluGrad',
];

/** Everything a backend can be asked to run. */
export type KernelOp = PrimitiveOp | Capability;

/** View ops handled by core without running a kernel. */
export type ViewOp = 'reshape' | 'permute' | 'slice' | 'expand';

/** Every op autograd knows: kernels, capabilities and views. The VJP table is a mapped type over this union. */
export type GradOp = KernelOp | ViewOp;

/** Key of the counter-based random stream: the same key gives the same numbers on every backend. */
export interface RngKey {
  /** Seed, an integer in [0, 2^53). */
  readonly seed: number;
  /** Stream id, an unsigned 32-bit integer (e.g. a parameter id). */
  readonly stream: number;
  /** Offset in Philox blocks (4 words each) where this draw starts, an integer in [0, 2^53). */
  readonly counter: number;
}

/**
 * Low-bit weights in a layout every backend understands (see `packedMatmul`). Codes are packed little-endian along K,
 * the low bits first; `scales` hold one value per (row, group); `zeroPoints` are optional (symmetric when absent).
 */
export type PackedWeights =
  | {
      readonly kind: 'int';
      /** Bits per code: 1, 2, 4 or 8. */
      readonly bits: 1 | 2 | 4 | 8;
      /** Logical weight shape [N, K] (output rows, input columns). */
      readonly shape: readonly [number, number];
      /** Inputs per scale group along K (K for per-row scales). */
      readonly groupSize: number;
      /** Codes are signed two's-complement (true) or unsigned with zero-points (false). */
      readonly signed: boolean;
    }
  | {
      readonly kind: 'pq';
      /** Logical weight shape [N, K]. */
      readonly shape: readonly [number, number];
      /** Sub-vector length along K. */
      readonly blockSize: number;
      /** Number of centroids (≤ 256, one uint8 code each). */
      readonly centroids: number;
    };

/** Parameters of each kernel op. */
export interface KernelParams {
  neg: object; abs: object; sign: object; exp: object; log: object; sqrt: object; tanh: object; sigmoid: object;
  erf: object; sin: object; cos: object; floor: object; round: object; not: object;
  add: object; sub: object; mul: object; div: object; pow: object; maximum: object; minimum: object;
  lt: object; le: object; eq: object; ne: object;
  sum: { readonly axes: readonly number[] };
  max: { readonly axes: readonly number[] };
  argmax: { readonly axis: number };
  where: object;
  cast: { readonly dtype: DType };
  copy: object;
  /** One `[before, after]` pair per axis, all ≥ 0; new cells hold `value`. */
  pad: { readonly pads: readonly (readonly [number, number])[]; readonly value: number };
  concat: { readonly axis: number };
  /** `a[..., M, K] · b[..., K, N]` with broadcast batch axes; transposes arrive as strided views. */
  matmul: object;
  /**
   * `a·b + bias`: a {@link matmul} (same shapes and batch broadcasting) whose rows get `bias` [N] added, the bias add
   * of a dense layer in the product's epilogue instead of a pass of its own. Inputs: a, b, bias (float32).
   */
  matmulBias: object;
  /** `tf.gather`: out = x.shape[:axis] + indices.shape + x.shape[axis+1:]. Inputs: x, indices (int32). */
  gather: { readonly axis: number };
  /** Inverse of gather: inputs indices (int32), updates; output has `size` along `axis`, zeros elsewhere summed into. */
  scatterAdd: { readonly axis: number; readonly size: number; readonly shape: readonly number[] };
  /** Philox-4x32-10 words (`int32` output holding the uint32 bits) or uniforms in [0,1) (`float32`). */
  randomBits: { readonly key: RngKey; readonly shape: readonly number[]; readonly as: 'bits' | 'uniform' };
  /**
   * `(clamp(roundHalfEven(x / s) + z, qmin, qmax) − z) · s`. Inputs: x, scale, zeroPoint (float32, holding
   * integers); scale and zeroPoint have one element, or one per index of `axis`.
   */
  fakeQuant: { readonly qmin: number; readonly qmax: number; readonly axis: number | null };
  /**
   * `x[..., K] · Wᵀ` with W packed. Inputs: x (float32), codes (uint8), scales (float32 [N, K/groupSize]) or the PQ
   * codebook (float32 [centroids, blockSize]); codes are uint8 [N, ceil(K·bits/8)] (int) or [N, K/blockSize] (PQ), and for unsigned int codes zeroPoints (float32 like scales).
   */
  packedMatmul: { readonly weights: PackedWeights };
  /**
   * A whole LSTM layer over time. Inputs: xProj [B, T, 4H] (x·Wx + b, hoisted out of the loop), wh [H, 4H],
   * h0 [B, H], c0 [B, H]. Gates in the order i, f, g, o: z = xProj_t + h_{t−1}·wh; c_t = σ(f)·c_{t−1} + σ(i)·tanh(g);
   * h_t = σ(o)·tanh(c_t). One output Y [B, T, 2, H] with Y[:, t, 0] = h_t and Y[:, t, 1] = c_t.
   */
  lstmSequence: object;
  /**
   * Backward of {@link lstmSequence}. Inputs: xProj, wh, h0, c0, Y, gY (gradient of Y). Four outputs:
   * gXProj [B, T, 4H], gWh [H, 4H], gh0 [B, H], gc0 [B, H]. Only called inside backward passes (never taped).
   */
  lstmSequenceGrad: object;
  /** `exp(x − max) / Σ exp(x − max)` along `axis` (an index in [0, rank)). One float32 input, same-shape output. */
  softmax: { readonly axis: number };
  /**
   * Backward of {@link softmax}: inputs y (the softmax output) and g (the gradient of y), same shape; output
   * `y·(g − Σ g·y)` with the sum along `axis`, in one pass instead of four kernels and three temporaries.
   */
  softmaxGrad: { readonly axis: number };
  /**
   * Layer normalization over the last axis: `(x − mean) / √(var + eps) · gamma + beta`, population variance.
   * Inputs: x [..., D], gamma [D], beta [D] (float32).
   */
  layerNorm: { readonly eps: number };
  /**
   * Backward of {@link layerNorm}. Inputs: x, gamma, gY (gradient of the output). Three outputs: gX [..., D],
   * gGamma [D], gBeta [D]. Only called inside backward passes (never taped).
   */
  layerNormGrad: { readonly eps: number };
  /** `maximum(x, 0)` of a float32 x (NaN stays NaN, −0 gives +0). */
  relu: object;
  /**
   * Gradient of {@link relu} (the one `maximum(x, 0)` has): inputs x and g, output `g·w(x)` with w = 1 where x > 0,
   * ½ where x = 0 (a tie), 0 where x < 0 or x is NaN. x and g have the same shape.
   */
  reluGrad: object;
}

/** A strided view of a backend buffer, as a kernel receives it. Strides and offset count elements. */
export interface TensorView<B = BufferId> {
  readonly buffer: B;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}

/** Opaque handle of a backend buffer. */
export type BufferId = number & { readonly __brand: 'BufferId' };

/** One kernel invocation. Outputs are freshly allocated, contiguous, offset 0. */
export interface KernelCall<O extends KernelOp = KernelOp> {
  readonly op: O;
  readonly inputs: readonly TensorView[];
  readonly outputs: readonly TensorView[];
  readonly params: KernelParams[O];
}
