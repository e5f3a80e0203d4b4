import { DTypeError } from '../errors.ts';
import type { GradOp, KernelParams } from '../spi/ops.ts';
import type { Tensor } from '../tensor.ts';
import { fullLike } from '../ops/create.ts';
import {
  add, cast, cos, div, eq, exp, log, mul, neg, sign, sin, sub, where, withTemps, lt, square,
} from '../ops/elementwise.ts';
import { gather, matmul, scatterAdd } from '../ops/linalg.ts';
import { expand, pad, permute, reshape, slice, transpose } from '../ops/movement.ts';
import { sum } from '../ops/reduce.ts';
import { bind, bindMulti } from '../ops/bind.ts';

/** Parameters of the view ops, as recorded on the tape. */
export interface ViewParams {
  reshape: { readonly shape: readonly number[] };
  permute: { readonly perm: readonly number[] };
  slice: { readonly begin: readonly number[]; readonly size: readonly number[] };
  expand: { readonly shape: readonly number[] };
}
/** Parameters of any op autograd knows. */
export type GradParams = KernelParams & ViewParams;

/** What a VJP rule sees: retained handles on the op's inputs and output, and its parameters. */
export interface VjpContext<P extends GradOp> {
  readonly inputs: readonly Tensor[];
  readonly output: Tensor;
  readonly params: GradParams[P];
  /**
   * Which inputs the backward pass needs a gradient for (those that depend on a watched tensor); a rule may return
   * `null` for the others instead of computing a gradient nobody reads. Absent: every input.
   */
  readonly needsGrad?: readonly boolean[];
}

const wants = (ctx: { readonly needsGrad?: readonly boolean[] }, i: number): boolean => ctx.needsGrad?.[i] ?? true;

/** Gradients of the inputs given the output's gradient (`null` = no gradient flows to that input). */
export type VjpRule<P extends GradOp> = (ctx: VjpContext<P>, gradOutput: Tensor) => readonly (Tensor | null)[];

/** Every op must have a rule: a missing entry is a compile error (see vjp.typetest.ts). */
export type VjpTable = { readonly [P in GradOp]: VjpRule<P> };

/** Sums a broadcast gradient back to the shape of the input that was broadcast. */
export function unbroadcast(g: Tensor, shape: readonly number[]): Tensor {
  if (g.rank === shape.length && g.shape.every((d, i) => d === shape[i])) return reshape(g, shape);
  return withTemps((t) => {
    const lead = g.rank - shape.length;
    const axes: number[] = [];
    for (let i = 0; i < g.rank; i++) if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
    return reshape(t(sum(g, axes, true)), shape);
  });
}

/** Gradients of a·b (inputs 0 and 1 of a matmul or matmulBias) for the output gradient g. */
function matmulGrads(ctx: { readonly inputs: readonly Tensor[]; readonly needsGrad?: readonly boolean[] }, g: Tensor): (Tensor | null)[] {
  const [a, b] = ctx.inputs;
  return withTemps((t) => [
    wants(ctx, 0) ? unbroadcast(t(matmul(g, t(transpose(b!)))), a!.shape) : null,
    wants(ctx, 1) ? unbroadcast(t(matmul(t(transpose(a!)), g)), b!.shape) : null,
  ]);
}

const none = (): readonly null[] => [null];
const noGradient = (ctx: { inputs: readonly Tensor[] }): readonly null[] => ctx.inputs.map(() => null);

/** Splits a gradient equally among tied extrema: mask / count(mask). */
function tieShare(x: Tensor, extremum: Tensor, axes: readonly number[]): Tensor {
  return withTemps((t) => {
    const mask = t(cast(t(eq(x, extremum)), 'float32'));
    return div(mask, t(sum(mask, axes, true)));
  });
}

function elementwiseTieGrad(ctx: VjpContext<'maximum' | 'minimum'>, g: Tensor, aWins: (a: Tensor, b: Tensor) => Tensor): [Tensor | null, Tensor | null] {
  const [a, b] = ctx.inputs as [Tensor, Tensor];
  return withTemps((t) => {
    const tie = t(cast(t(eq(a, b)), 'float32'));
    const win = t(cast(t(aWins(a, b)), 'float32'));
    const wa = t(add(win, t(mul(tie, 0.5)))); // 1 where a wins, ½ at ties, 0 where b wins
    const ga = wants(ctx, 0) ? unbroadcast(t(mul(g, wa)), a.shape) : null;
    const gb = wants(ctx, 1) ? unbroadcast(t(mul(g, t(sub(t(fullLike(wa, 1, [])), wa)))), b.shape) : null;
    return [ga, gb];
  });
}

/** The VJP table over every primitive, capability and view. */
export const vjpRules: VjpTable = {
  neg: (_c, g) => [neg(g)],
  abs: ({ inputs: [x] }, g) => withTemps((t) => [mul(g, t(sign(x!)))]),
  sign: none,
  exp: ({ output }, g) => [mul(g, output)],
  log: ({ inputs: [x] }, g) => [div(g, x!)],
  sqrt: ({ output }, g) => withTemps((t) => [div(g, t(mul(output, 2)))]),
  tanh: ({ output }, g) => withTemps((t) => [mul(g, t(sub(t(fullLike(output, 1, [])), t(square(output)))))]),
  sigmoid: ({ output }, g) => withTemps((t) => [mul(g, t(mul(output, t(sub(t(fullLike(output, 1, [])), output)))))]),
  erf: ({ inputs: [x] }, g) => withTemps((t) => [mul(g, t(mul(t(exp(t(neg(t(square(x!)))))), 2 / Math.sqrt(Math.PI))))]),
  sin: ({ inputs: [x] }, g) => withTemps((t) => [mul(g, t(cos(x!)))]),
  cos: ({ inputs: [x] }, g) => withTemps((t) => [neg(t(mul(g, t(sin(x!)))))]),
  floor: none,
  round: none,
  not: none,
  add: (ctx, g) => {
    const [a, b] = ctx.inputs;
    return [wants(ctx, 0) ? unbroadcast(g, a!.shape) : null, wants(ctx, 1) ? unbroadcast(g, b!.shape) : null];
  },
  sub: (ctx, g) => {
    const [a, b] = ctx.inputs;
    return withTemps((t) => [wants(ctx, 0) ? unbroadcast(g, a!.shape) : null, wants(ctx, 1) ? unbroadcast(t(neg(g)), b!.shape) : null]);
  },
  mul: (ctx, g) => {
    const [a, b] = ctx.inputs;
    return withTemps((t) => [
      wants(ctx, 0) ? unbroadcast(t(mul(g, b!)), a!.shape) : null,
      wants(ctx, 1) ? unbroadcast(t(mul(g, a!)), b!.shape) : null,
    ]);
  },
  div: (ctx, g) => {
    const [a, b] = ctx.inputs;
    return withTemps((t) => {
      const ga = t(div(g, b!));
      return [wants(ctx, 0) ? unbroadcast(ga, a!.shape) : null, wants(ctx, 1) ? unbroadcast(t(neg(t(mul(ga, ctx.output)))), b!.shape) : null];
    });
  },
  pow: ({ inputs: [a, b], output }, g) =>
    withTemps((t) => {
      // d/da = b·a^(b−1) = b·out/a (guarded at a = 0 by recomputing the power); d/db = out·log(a) (0 where a ≤ 0).
      const aPowBm1 = t(exp(t(mul(t(sub(b!, 1)), t(log(a!))))));
      const safe = t(where(t(eq(a!, 0)), t(cast(t(eq(b!, 1)), 'float32')), aPowBm1));
      const ga = t(mul(g, t(mul(b!, safe))));
      const logA = t(where(t(lt(t(fullLike(a!, 0, [])), a!)), t(log(a!)), 0));
      return [unbroadcast(ga, a!.shape), unbroadcast(t(mul(g, t(mul(output, logA)))), b!.shape)];
    }),
  maximum: (ctx, g) => elementwiseTieGrad(ctx, g, (x, y) => lt(y, x)),
  minimum: (ctx, g) => elementwiseTieGrad(ctx, g, (x, y) => lt(x, y)),
  lt: noGradient,
  le: noGradient,
  eq: noGradient,
  ne: noGradient,
  where: ({ inputs: [c, a, b] }, g) =>
    withTemps((t) => [null, unbroadcast(t(where(c!, g, 0)), a!.shape), unbroadcast(t(where(c!, 0, g)), b!.shape)]),
  cast: ({ inputs: [x], params }, g) => {
    if (x!.dtype !== 'float32' || params.dtype !== 'float32') return [null];
    return [reshape(g, g.shape)];
  },
  sum: ({ inputs: [x] }, g) => [expand(g, x!.shape)],
  max: ({ inputs: [x], output, params }, g) => withTemps((t) => [mul(t(expand(g, x!.shape)), t(tieShare(x!, output, params.axes)))]),
  argmax: none,
  copy: (_c, g) => [reshape(g, g.shape)],
  pad: ({ inputs: [x], params }, g) => [slice(g, params.pads.map(([b]) => b), x!.shape)],
  concat: ({ inputs, params }, g) => {
    let start = 0;
    return inputs.map((x) => {
      const begin = g.shape.map((_, i) => (i === params.axis ? start : 0));
      start += x.shape[params.axis]!;
      return slice(g, begin, x.shape);
    });
  },
  matmul: (ctx, g) => matmulGrads(ctx, g),
  // the product's gradients, and the bias's: g summed over every row
  matmulBias: (ctx, g) => [...matmulGrads(ctx, g), wants(ctx, 2) ? unbroadcast(g, ctx.inputs[2]!.shape) : null],
  gather: ({ inputs: [x, idx], params }, g) => {
    if (x!.dtype !== 'float32') return [null, null];
    return [scatterAdd(idx!, g, x!.shape, params.axis), null];
  },
  scatterAdd: ({ inputs: [idx], params }, g) => [null, gather(g, idx!, params.axis)],
  randomBits: noGradient,
  fakeQuant: noGradient,
  packedMatmul: ({ inputs }) => {
    // Packed weights are frozen; training uses fake-quant on float weights. Only x could get a gradient.
    if (inputs[0]!.dtype !== 'float32') throw new DTypeError('packedMatmul: non-float input');
    return inputs.map(() => null);
  },
  lstmSequence: ({ inputs, output }, g) => bindMulti('lstmSequenceGrad', [...inputs, output, g], {}),
  lstmSequenceGrad: noGradient,
  // y = softmax(x): gX = y·(gY − Σ gY·y) along the axis, one fused kernel where the backend has it
  softmax: ({ output, params }, g) => [bind('softmaxGrad', [output, g], params)],
  // z = y·(g − s), s = Σ g·y: linear in g with the same (symmetric) Jacobian as softmax, so gG = softmaxGrad(y, gZ);
  // and gY = gZ·(g − s) − g·Σ gZ·y
  softmaxGrad: (ctx, gz) => {
    const [y, g] = ctx.inputs as [Tensor, Tensor];
    const axes = [ctx.params.axis];
    return withTemps((t) => [
      wants(ctx, 0) ? sub(t(mul(gz, t(sub(g, t(sum(t(mul(g, y)), axes, true)))))), t(mul(g, t(sum(t(mul(gz, y)), axes, true))))) : null,
      wants(ctx, 1) ? bind('softmaxGrad', [y, gz], ctx.params) : null,
    ]);
  },
  layerNorm: (ctx, g) => {
    const [x, gamma] = ctx.inputs as [Tensor, Tensor];
    const grads = bindMulti('layerNormGrad', [x, gamma, g], ctx.params);
    return grads.map((gi, i) => {
      if (wants(ctx, i)) return gi;
      gi.dispose();
      return null;
    });
  },
  layerNormGrad: noGradient,
  relu: ({ inputs: [x] }, g) => [bind('reluGrad', [x!, g], {})],
  // g·w(x) is linear in g (the same weights again) and piecewise constant in x
  reluGrad: ({ inputs: [x] }, g) => [null, bind('reluGrad', [x!, g], {})],
  reshape: ({ inputs: [x] }, g) => [reshape(g, x!.shape)],
  permute: ({ params }, g) => {
    const inverse = new Array<number>(params.perm.length);
    params.perm.forEach((p, i) => (inverse[p] = i));
    return [permute(g, inverse)];
  },
  slice: ({ inputs: [x], params }, g) => [pad(g, params.begin.map((b, i) => [b, x!.shape[i]! - b - params.size[i]!] as const), 0)],
  expand: ({ inputs: [x] }, g) => [unbroadcast(g, x!.shape)],
};
