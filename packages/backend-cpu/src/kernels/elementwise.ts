import type { HostArray } from '@nibble/core';
import type { KernelCall, TensorView } from '@nibble/core/spi';
import { erf, roundHalfEven, sigmoid, sign } from '../math.ts';
import { broadcastStrides, forEachStrided, isDense } from '../strided.ts';

/** Reads a buffer's host array by id. */
export type Lookup = (view: TensorView) => HostArray;

type Fn1 = (x: number) => number;
type Fn2 = (a: number, b: number) => number;

const unaryFns: Record<string, Fn1> = {
  neg: (x) => -x,
  abs: Math.abs,
  sign,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  tanh: Math.tanh,
  sigmoid,
  erf,
  sin: Math.sin,
  cos: Math.cos,
  floor: Math.floor,
  round: roundHalfEven,
  not: (x) => (x ? 0 : 1),
  copy: (x) => x,
};

const binaryFns: Record<string, Fn2> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: Math.pow,
  maximum: (a, b) => (a !== a || b !== b ? NaN : a > b ? a : b),
  minimum: (a, b) => (a !== a || b !== b ? NaN : a < b ? a : b),
  lt: (a, b) => (a < b ? 1 : 0),
  le: (a, b) => (a <= b ? 1 : 0),
  eq: (a, b) => (a === b ? 1 : 0),
  ne: (a, b) => (a !== b ? 1 : 0),
};

/** int32 multiply wraps like C (a double product would lose bits above 2^53). */
const int32Mul: Fn2 = (a, b) => Math.imul(a, b);

/** Elementwise map of one or more (broadcast, strided) inputs into a contiguous output. */
export function mapInto(out: HostArray, outShape: readonly number[], ins: readonly TensorView[], arrays: readonly HostArray[], f: (...v: number[]) => number): void {
  if (ins.every((v) => isDense(v, outShape))) {
    const n = out.length;
    if (ins.length === 1) {
      const a = arrays[0]!;
      const o = ins[0]!.offset;
      for (let i = 0; i < n; i++) out[i] = (f as Fn1)(a[o + i]!);
      return;
    }
    if (ins.length === 2) {
      const a = arrays[0]!;
      const b = arrays[1]!;
      const oa = ins[0]!.offset;
      const ob = ins[1]!.offset;
      for (let i = 0; i < n; i++) out[i] = (f as Fn2)(a[oa + i]!, b[ob + i]!);
      return;
    }
  }
  const strides = ins.map((v) => broadcastStrides(v, outShape));
  const vals = new Array<number>(ins.length);
  forEachStrided(outShape, strides, ins.map((v) => v.offset), (i, offs) => {
    for (let j = 0; j < ins.length; j++) vals[j] = arrays[j]![offs[j]!]!;
    out[i] = f(...vals);
  });
}

/** Runs unary, binary, compare, where and cast kernels. */
export function runElementwise(call: KernelCall, lookup: Lookup): void {
  const outView = call.outputs[0]!;
  const out = lookup(outView);
  const arrays = call.inputs.map(lookup);
  const op = call.op;
  if (op in unaryFns) return mapInto(out, outView.shape, call.inputs, arrays, unaryFns[op]!);
  if (op in binaryFns) {
    const f = op === 'mul' && call.inputs[0]!.dtype === 'int32' ? int32Mul : binaryFns[op]!;
    return mapInto(out, outView.shape, call.inputs, arrays, f);
  }
  if (op === 'where') return mapInto(out, outView.shape, call.inputs, arrays, (c, a, b) => (c ? a! : b!));
  if (op === 'cast') {
    const from = call.inputs[0]!.dtype;
    const to = outView.dtype;
    const f: Fn1 = to === 'bool' ? (x) => (x !== 0 ? 1 : 0) : from === 'float32' && to !== 'float32' ? (x) => (Number.isFinite(x) ? Math.trunc(x) : 0) : (x) => x;
    return mapInto(out, outView.shape, call.inputs, arrays, f);
  }
  throw new Error(`cpu: no elementwise kernel for ${op}`);
}

/** Ops handled by {@link runElementwise}. */
export const ELEMENTWISE_OPS: ReadonlySet<string> = new Set([...Object.keys(unaryFns), ...Object.keys(binaryFns), 'where', 'cast']);
