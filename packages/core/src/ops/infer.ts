import type { DType } from '../dtype.ts';
import { DTypeError, ShapeError, ValueError } from '../errors.ts';
import { broadcastShapes, fmt, numel } from '../shape.ts';
import type { KernelOp, KernelParams } from '../spi/ops.ts';
import type { Tensor } from '../tensor.ts';

/** Shape and dtype of one kernel output. */
export interface OutputSpec {
  shape: number[];
  dtype: DType;
}

const FLOAT_ONLY = new Set(['exp', 'log', 'sqrt', 'tanh', 'sigmoid', 'erf', 'sin', 'cos', 'floor', 'round', 'div', 'pow']);

function sameDType(op: string, inputs: readonly Tensor[]): DType {
  const d = inputs[0]!.dtype;
  for (const t of inputs) {
    if (t.dtype !== d) {
      throw new DTypeError(`${op}: dtypes differ: ${inputs.map((x) => x.dtype).join(' vs ')}; cast one input first (x.cast('${d}'))`);
    }
  }
  if (FLOAT_ONLY.has(op) && d !== 'float32') throw new DTypeError(`${op}: got dtype ${d}; expected float32`);
  if (d === 'bool' && op !== 'not' && op !== 'eq' && op !== 'ne' && op !== 'maximum' && op !== 'minimum') {
    throw new DTypeError(`${op}: got dtype bool; expected a numeric dtype (cast with x.cast('float32'))`);
  }
  return d;
}

function arity(op: string, inputs: readonly Tensor[], n: number): void {
  if (inputs.length !== n) throw new ValueError(`${op}: got ${inputs.length} inputs; expected ${n}`);
}

/** The output of a batched product a[..., M, K] · b[..., K, N] (matmul and matmulBias), errors named after `op`. */
function productOutput(op: string, a: Tensor, b: Tensor): OutputSpec {
  if (a.rank < 2 || b.rank < 2) throw new ShapeError(`${op}: got shapes ${fmt(a.shape)} x ${fmt(b.shape)}; expected rank ≥ 2 on both`);
  if (a.dtype !== 'float32' || b.dtype !== 'float32') throw new DTypeError(`${op}: got dtypes ${a.dtype} x ${b.dtype}; expected float32`);
  const [m, k] = a.shape.slice(-2) as [number, number];
  const [k2, n] = b.shape.slice(-2) as [number, number];
  if (k !== k2) throw new ShapeError(`${op}: inner dimensions differ: ${fmt(a.shape)} x ${fmt(b.shape)} (${k} ≠ ${k2})`);
  const batch = broadcastShapes(op, a.shape.slice(0, -2), b.shape.slice(0, -2));
  return { shape: [...batch, m, n], dtype: 'float32' };
}

/** Output shapes and dtypes of a kernel call; throws before anything is allocated when the call is invalid. */
export function inferOutputs<O extends KernelOp>(op: O, inputs: readonly Tensor[], p: KernelParams[O]): OutputSpec[] {
  const params = p as KernelParams[KernelOp] & Record<string, unknown>;
  switch (op) {
    case 'neg': case 'abs': case 'sign': case 'exp': case 'log': case 'sqrt': case 'tanh': case 'sigmoid':
    case 'erf': case 'sin': case 'cos': case 'floor': case 'round': case 'copy': {
      arity(op, inputs, 1);
      return [{ shape: [...inputs[0]!.shape], dtype: sameDType(op, inputs) }];
    }
    case 'not': {
      arity(op, inputs, 1);
      if (inputs[0]!.dtype !== 'bool') throw new DTypeError(`not: got dtype ${inputs[0]!.dtype}; expected bool`);
      return [{ shape: [...inputs[0]!.shape], dtype: 'bool' }];
    }
    case 'add': case 'sub': case 'mul': case 'div': case 'pow': case 'maximum': case 'minimum': {
      arity(op, inputs, 2);
      return [{ shape: broadcastShapes(op, inputs[0]!.shape, inputs[1]!.shape), dtype: sameDType(op, inputs) }];
    }
    case 'lt': case 'le': case 'eq': case 'ne': {
      arity(op, inputs, 2);
      sameDType(op === 'eq' || op === 'ne' ? op : `${op}`, inputs);
      return [{ shape: broadcastShapes(op, inputs[0]!.shape, inputs[1]!.shape), dtype: 'bool' }];
    }
    case 'where': {
      arity(op, inputs, 3);
      const [c, a, b] = inputs as [Tensor, Tensor, Tensor];
      if (c.dtype !== 'bool') throw new DTypeError(`where: condition has dtype ${c.dtype}; expected bool`);
      if (a.dtype !== b.dtype) throw new DTypeError(`where: branches have dtypes ${a.dtype} and ${b.dtype}; expected the same`);
      return [{ shape: broadcastShapes('where', broadcastShapes('where', c.shape, a.shape), b.shape), dtype: a.dtype }];
    }
    case 'cast': {
      arity(op, inputs, 1);
      return [{ shape: [...inputs[0]!.shape], dtype: (params as KernelParams['cast']).dtype }];
    }
    case 'sum': case 'max': {
      arity(op, inputs, 1);
      const x = inputs[0]!;
      if (x.dtype === 'bool') throw new DTypeError(`${op}: got dtype bool; expected a numeric dtype`);
      const axes = (params as KernelParams['sum']).axes;
      return [{ shape: x.shape.map((d, i) => (axes.includes(i) ? 1 : d)), dtype: x.dtype }];
    }
    case 'argmax': {
      arity(op, inputs, 1);
      const x = inputs[0]!;
      const axis = (params as KernelParams['argmax']).axis;
      if (x.shape[axis] === 0) throw new ShapeError(`argmax: axis ${axis} of shape ${fmt(x.shape)} is empty`);
      return [{ shape: x.shape.map((d, i) => (i === axis ? 1 : d)), dtype: 'int32' }];
    }
    case 'pad': {
      arity(op, inputs, 1);
      const x = inputs[0]!;
      const pads = (params as KernelParams['pad']).pads;
      if (pads.length !== x.rank) throw new ShapeError(`pad: got ${pads.length} [before, after] pairs for shape ${fmt(x.shape)}; expected ${x.rank}`);
      return [{ shape: x.shape.map((d, i) => d + pads[i]![0] + pads[i]![1]), dtype: x.dtype }];
    }
    case 'concat': {
      const axis = (params as KernelParams['concat']).axis;
      const first = inputs[0]!;
      let total = 0;
      for (const t of inputs) {
        if (t.dtype !== first.dtype) throw new DTypeError(`concat: dtypes differ: ${inputs.map((x) => x.dtype).join(', ')}`);
        if (t.rank !== first.rank || t.shape.some((d, i) => i !== axis && d !== first.shape[i])) {
          throw new ShapeError(`concat: shapes ${inputs.map((x) => fmt(x.shape)).join(', ')} differ outside axis ${axis}`);
        }
        total += t.shape[axis]!;
      }
      return [{ shape: first.shape.map((d, i) => (i === axis ? total : d)), dtype: first.dtype }];
    }
    case 'matmul': {
      arity(op, inputs, 2);
      return [productOutput(op, inputs[0]!, inputs[1]!)];
    }
    case 'matmulBias': {
      arity(op, inputs, 3);
      const [a, b, bias] = inputs as [Tensor, Tensor, Tensor];
      const out = productOutput(op, a, b);
      const n = out.shape[out.shape.length - 1]!;
      if (bias.dtype !== 'float32') throw new DTypeError(`matmulBias: bias has dtype ${bias.dtype}; expected float32`);
      if (bias.rank !== 1 || bias.shape[0] !== n) throw new ShapeError(`matmulBias: bias has shape ${fmt(bias.shape)}; expected [${n}] (the columns of ${fmt(a.shape)} x ${fmt(b.shape)})`);
      return [out];
    }
    case 'gather': {
      arity(op, inputs, 2);
      const [x, idx] = inputs as [Tensor, Tensor];
      if (idx.dtype !== 'int32') throw new DTypeError(`gather: indices have dtype ${idx.dtype}; expected int32`);
      const axis = (params as KernelParams['gather']).axis;
      return [{ shape: [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)], dtype: x.dtype }];
    }
    case 'scatterAdd': {
      arity(op, inputs, 2);
      const [idx, upd] = inputs as [Tensor, Tensor];
      if (idx.dtype !== 'int32') throw new DTypeError(`scatterAdd: indices have dtype ${idx.dtype}; expected int32`);
      const { shape } = params as KernelParams['scatterAdd'];
      return [{ shape: [...shape], dtype: upd.dtype }];
    }
    case 'randomBits': {
      const { shape, as } = params as KernelParams['randomBits'];
      return [{ shape: [...shape], dtype: as === 'bits' ? 'int32' : 'float32' }];
    }
    case 'fakeQuant': {
      arity(op, inputs, 3);
      const [x, s, z] = inputs as [Tensor, Tensor, Tensor];
      const { qmin, qmax, axis } = params as KernelParams['fakeQuant'];
      if ([x, s, z].some((t) => t.dtype !== 'float32')) throw new DTypeError(`fakeQuant: expected float32 x, scale and zeroPoint; got ${x.dtype}, ${s.dtype}, ${z.dtype}`);
      if (!(qmin < qmax)) throw new ValueError(`fakeQuant: qmin ${qmin} must be below qmax ${qmax}`);
      const groups = axis === null ? 1 : x.shape[axis]!;
      if (s.size !== groups || z.size !== groups) {
        throw new ShapeError(`fakeQuant: scale has ${s.size} and zeroPoint ${z.size} elements; expected ${groups} (${axis === null ? 'per tensor' : `axis ${axis} of ${fmt(x.shape)}`})`);
      }
      return [{ shape: [...x.shape], dtype: 'float32' }];
    }
    case 'packedMatmul': {
      const x = inputs[0]!;
      const w = (params as KernelParams['packedMatmul']).weights;
      const [n, k] = w.shape;
      if (x.shape.at(-1) !== k) throw new ShapeError(`packedMatmul: input ${fmt(x.shape)} has ${x.shape.at(-1)} features; packed weight ${fmt(w.shape)} expects ${k}`);
      return [{ shape: [...x.shape.slice(0, -1), n], dtype: 'float32' }];
    }
    case 'lstmSequence': {
      arity(op, inputs, 4);
      const [xp, wh, h0, c0] = inputs as [Tensor, Tensor, Tensor, Tensor];
      if (inputs.some((t) => t.dtype !== 'float32')) throw new DTypeError(`lstmSequence: expected float32 inputs; got ${inputs.map((t) => t.dtype).join(', ')}`);
      if (xp.rank !== 3 || xp.shape[2]! % 4 !== 0) throw new ShapeError(`lstmSequence: xProj has shape ${fmt(xp.shape)}; expected [B, T, 4H]`);
      const [b, t, h4] = xp.shape as [number, number, number];
      const h = h4 / 4;
      const want = (x: Tensor, name: string, shape: number[]) => {
        if (x.rank !== shape.length || x.shape.some((d, i) => d !== shape[i])) throw new ShapeError(`lstmSequence: ${name} has shape ${fmt(x.shape)}; expected ${fmt(shape)}`);
      };
      want(wh, 'wh', [h, h4]);
      want(h0, 'h0', [b, h]);
      want(c0, 'c0', [b, h]);
      return [{ shape: [b, t, 2, h], dtype: 'float32' }];
    }
    case 'lstmSequenceGrad': {
      arity(op, inputs, 6);
      const [xp, wh, h0, c0] = inputs as [Tensor, Tensor, Tensor, Tensor];
      return [
        { shape: [...xp.shape], dtype: 'float32' },
        { shape: [...wh.shape], dtype: 'float32' },
        { shape: [...h0.shape], dtype: 'float32' },
        { shape: [...c0.shape], dtype: 'float32' },
      ];
    }
    case 'softmax': {
      arity(op, inputs, 1);
      const x = inputs[0]!;
      if (x.dtype !== 'float32') throw new DTypeError(`softmax: got dtype ${x.dtype}; expected float32`);
      const { axis } = params as KernelParams['softmax'];
      if (!Number.isInteger(axis) || axis < 0 || axis >= x.rank) throw new ShapeError(`softmax: axis ${axis} is out of range for shape ${fmt(x.shape)}; expected an integer in [0, ${x.rank})`);
      return [{ shape: [...x.shape], dtype: 'float32' }];
    }
    case 'softmaxGrad': {
      arity(op, inputs, 2);
      const [y, g] = inputs as [Tensor, Tensor];
      if (inputs.some((t) => t.dtype !== 'float32')) throw new DTypeError(`softmaxGrad: expected float32 y and g; got ${inputs.map((t) => t.dtype).join(', ')}`);
      if (g.rank !== y.rank || g.shape.some((d, i) => d !== y.shape[i])) throw new ShapeError(`softmaxGrad: g has shape ${fmt(g.shape)}; expected the shape of y ${fmt(y.shape)}`);
      const { axis } = params as KernelParams['softmaxGrad'];
      if (!Number.isInteger(axis) || axis < 0 || axis >= y.rank) throw new ShapeError(`softmaxGrad: axis ${axis} is out of range for shape ${fmt(y.shape)}; expected an integer in [0, ${y.rank})`);
      return [{ shape: [...y.shape], dtype: 'float32' }];
    }
    case 'relu': case 'reluGrad': {
      arity(op, inputs, op === 'relu' ? 1 : 2);
      const x = inputs[0]!;
      if (inputs.some((t) => t.dtype !== 'float32')) throw new DTypeError(`${op}: expected float32 inputs; got ${inputs.map((t) => t.dtype).join(', ')}`);
      if (op === 'reluGrad' && (inputs[1]!.rank !== x.rank || inputs[1]!.shape.some((d, i) => d !== x.shape[i]))) {
        throw new ShapeError(`reluGrad: g has shape ${fmt(inputs[1]!.shape)}; expected the shape of x ${fmt(x.shape)}`);
      }
      return [{ shape: [...x.shape], dtype: 'float32' }];
    }
    case 'layerNorm': case 'layerNormGrad': {
      arity(op, inputs, 3);
      const [x, gamma, third] = inputs as [Tensor, Tensor, Tensor];
      const thirdName = op === 'layerNorm' ? 'beta' : 'gY';
      if (inputs.some((t) => t.dtype !== 'float32')) throw new DTypeError(`${op}: expected float32 x, gamma and ${thirdName}; got ${inputs.map((t) => t.dtype).join(', ')}`);
      if (x.rank < 1) throw new ShapeError(`${op}: x is a scalar; expected shape [..., D]`);
      const d = x.shape[x.rank - 1]!;
      if (gamma.rank !== 1 || gamma.shape[0] !== d) throw new ShapeError(`${op}: gamma has shape ${fmt(gamma.shape)}; expected [${d}] (the last axis of x ${fmt(x.shape)})`);
      const thirdShape = op === 'layerNorm' ? [d] : x.shape;
      if (third.rank !== thirdShape.length || third.shape.some((v, i) => v !== thirdShape[i])) throw new ShapeError(`${op}: ${thirdName} has shape ${fmt(third.shape)}; expected ${fmt(thirdShape)}`);
      const { eps } = params as KernelParams['layerNorm'];
      if (!(eps >= 0) || !Number.isFinite(eps)) throw new ValueError(`${op}: eps ${eps}; expected a finite number ≥ 0`);
      if (op === 'layerNorm') return [{ shape: [...x.shape], dtype: 'float32' }];
      return [{ shape: [...x.shape], dtype: 'float32' }, { shape: [d], dtype: 'float32' }, { shape: [d], dtype: 'float32' }];
    }
    default: {
      const never: never = op as never;
      throw new ValueError(`unknown op ${String(never)}`);
    }
  }
}

/** Elements of all outputs, to guard against absurd allocations. */
export function totalElements(specs: readonly OutputSpec[]): number {
  return specs.reduce((s, o) => s + numel(o.shape), 0);
}
