import type { HostArray } from '@nibble/core';
import type { KernelCall, TensorView } from '@nibble/core/spi';
import { erf, roundHalfEven, sigmoid, sign } from '../math.ts';
import { broadcastStrides, forEachRow } from '../strided.ts';

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
  // the relu capability: maximum(x, 0) exactly (NaN stays NaN, −0 gives +0)
  relu: (x) => (x !== x ? NaN : x > 0 ? x : 0),
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
  // the reluGrad capability: g·w(x), w = 1 above 0, ½ at 0, 0 below and at NaN (the gradient of maximum(x, 0))
  reluGrad: (x, g) => g * (x > 0 ? 1 : x === 0 ? 0.5 : 0),
};

/** int32 multiply wraps like C (a double product would lose bits above 2^53). */
const int32Mul: Fn2 = (a, b) => Math.imul(a, b);

/** Elementwise map of one or more (broadcast, strided) inputs into a contiguous output. */
export function mapInto(out: HostArray, outShape: readonly number[], ins: readonly TensorView[], arrays: readonly HostArray[], f: (...v: number[]) => number): void {
  const strides = ins.map((v) => broadcastStrides(v, outShape));
  const bases = ins.map((v) => v.offset);
  if (ins.length === 1) {
    const a = arrays[0]!;
    const f1 = f as Fn1;
    forEachRow(outShape, strides, bases, (o, offs, n, inner) => {
      const sa = inner[0]!;
      for (let i = 0, pa = offs[0]!; i < n; i++, pa += sa) out[o + i] = f1(a[pa]!);
    });
  } else if (ins.length === 2) {
    const [a, b] = arrays as [HostArray, HostArray];
    const f2 = f as Fn2;
    forEachRow(outShape, strides, bases, (o, offs, n, inner) => {
      const sa = inner[0]!;
      const sb = inner[1]!;
      for (let i = 0, pa = offs[0]!, pb = offs[1]!; i < n; i++, pa += sa, pb += sb) out[o + i] = f2(a[pa]!, b[pb]!);
    });
  } else {
    const vals = new Array<number>(ins.length);
    forEachRow(outShape, strides, bases, (o, offs, n, inner) => {
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < ins.length; j++) vals[j] = arrays[j]![offs[j]! + i * inner[j]!]!;
        out[o + i] = f(...vals);
      }
    });
  }
}

/**
 * The hot binary ops with their own loops (a call through a shared function variable is megamorphic and costs
 * several times the arithmetic). Returns false for the other ops.
 */
function binaryFast(op: string, out: HostArray, outShape: readonly number[], ins: readonly TensorView[], arrays: readonly HostArray[]): boolean {
  const [a, b] = arrays as [HostArray, HostArray];
  const strides = ins.map((v) => broadcastStrides(v, outShape));
  const bases = ins.map((v) => v.offset);
  type Row = (o: number, pa: number, pb: number, n: number, sa: number, sb: number) => void;
  let row: Row;
  switch (op) {
    case 'add': row = (o, pa, pb, n, sa, sb) => { for (let i = 0; i < n; i++, pa += sa, pb += sb) out[o + i] = a[pa]! + b[pb]!; }; break;
    case 'sub': row = (o, pa, pb, n, sa, sb) => { for (let i = 0; i < n; i++, pa += sa, pb += sb) out[o + i] = a[pa]! - b[pb]!; }; break;
    case 'mul': row = (o, pa, pb, n, sa, sb) => { for (let i = 0; i < n; i++, pa += sa, pb += sb) out[o + i] = a[pa]! * b[pb]!; }; break;
    case 'div': row = (o, pa, pb, n, sa, sb) => { for (let i = 0; i < n; i++, pa += sa, pb += sb) out[o + i] = a[pa]! / b[pb]!; }; break;
    case 'lt': row = (o, pa, pb, n, sa, sb) => { for (let i = 0; i < n; i++, pa += sa, pb += sb) out[o + i] = a[pa]! < b[pb]! ? 1 : 0; }; break;
    case 'le': row = (o, pa, pb, n, sa, sb) => { for (let i = 0; i < n; i++, pa += sa, pb += sb) out[o + i] = a[pa]! <= b[pb]! ? 1 : 0; }; break;
    case 'eq': row = (o, pa, pb, n, sa, sb) => { for (let i = 0; i < n; i++, pa += sa, pb += sb) out[o + i] = a[pa]! === b[pb]! ? 1 : 0; }; break;
    case 'ne': row = (o, pa, pb, n, sa, sb) => { for (let i = 0; i < n; i++, pa += sa, pb += sb) out[o + i] = a[pa]! !== b[pb]! ? 1 : 0; }; break;
    default: return false;
  }
  forEachRow(outShape, strides, bases, (o, offs, n, inner) => row(o, offs[0]!, offs[1]!, n, inner[0]!, inner[1]!));
  return true;
}

/** Runs unary, binary, compare, where and cast kernels. */
export function runElementwise(call: KernelCall, lookup: Lookup): void {
  const outView = call.outputs[0]!;
  const out = lookup(outView);
  const arrays = call.inputs.map(lookup);
  const op = call.op;
  if (op in unaryFns) return mapInto(out, outView.shape, call.inputs, arrays, unaryFns[op]!);
  if (op in binaryFns) {
    const int32 = call.inputs[0]!.dtype === 'int32';
    if (!(int32 && op === 'mul') && binaryFast(op, out, outView.shape, call.inputs, arrays)) return;
    const f = op === 'mul' && int32 ? int32Mul : binaryFns[op]!;
    return mapInto(out, outView.shape, call.inputs, arrays, f);
  }
  if (op === 'where') {
    const [c, a, b] = arrays as [HostArray, HostArray, HostArray];
    const strides = call.inputs.map((v) => broadcastStrides(v, outView.shape));
    forEachRow(outView.shape, strides, call.inputs.map((v) => v.offset), (o, offs, n, inner) => {
      const [sc, sa, sb] = [inner[0]!, inner[1]!, inner[2]!];
      for (let i = 0, pc = offs[0]!, pa = offs[1]!, pb = offs[2]!; i < n; i++, pc += sc, pa += sa, pb += sb) out[o + i] = c[pc] ? a[pa]! : b[pb]!;
    });
    return;
  }
  if (op === 'cast') {
    const from = call.inputs[0]!.dtype;
    const to = outView.dtype;
    const a = arrays[0]!;
    const x = call.inputs[0]!;
    const strides = [broadcastStrides(x, outView.shape)];
    if (to === 'bool') {
      forEachRow(outView.shape, strides, [x.offset], (o, offs, n, inner) => {
        const sa = inner[0]!;
        for (let i = 0, p = offs[0]!; i < n; i++, p += sa) out[o + i] = a[p] !== 0 ? 1 : 0;
      });
    } else if (from === 'float32' && to !== 'float32') {
      forEachRow(outView.shape, strides, [x.offset], (o, offs, n, inner) => {
        const sa = inner[0]!;
        for (let i = 0, p = offs[0]!; i < n; i++, p += sa) {
          const v = a[p]!;
          out[o + i] = Number.isFinite(v) ? Math.trunc(v) : 0;
        }
      });
    } else {
      forEachRow(outView.shape, strides, [x.offset], (o, offs, n, inner) => {
        const sa = inner[0]!;
        for (let i = 0, p = offs[0]!; i < n; i++, p += sa) out[o + i] = a[p]!;
      });
    }
    return;
  }
  throw new Error(`cpu: no elementwise kernel for ${op}`);
}

/** Ops handled by {@link runElementwise}. */
export const ELEMENTWISE_OPS: ReadonlySet<string> = new Set([...Object.keys(unaryFns), ...Object.keys(binaryFns), 'where', 'cast']);
