// The CPU backend with native kernels (Node): the same buffers (JS typed arrays, handed to C++ without copies) and
// the same semantics as the TypeScript backend, with matmul, elementwise float32 ops, fake-quant and the fused LSTM
// sequence kernels running in the addon. Anything the native path does not cover falls through to the TS kernels.
import type { HostArray } from '@nibble/core';
import type { BackendFactory, BufferId, KernelCall, KernelOp, KernelParams, TensorView } from '@nibble/core/spi';
import { CpuBackend, type CpuBackendOptions } from './backend.ts';
import { loadNative, requireAddon } from './native/loader.ts';
import type { NativeAddon } from './native/addon-types.ts';
import { nextWeightKey } from './native/weight-keys.ts';
import { broadcastStrides, forEachStrided, isDense } from './strided.ts';

const BINARY: Partial<Record<KernelOp, number>> = { add: 0, sub: 1, mul: 2, div: 3, maximum: 4, minimum: 5, reluGrad: 6 };
// exp, log, tanh and sigmoid are polynomial approximations within a few ulp (the conformance suite's transcendental
// tolerance); neg, abs and sqrt are exact.
const COMPARE: Partial<Record<KernelOp, number>> = { lt: 0, le: 1, eq: 2, ne: 3 };
const UNARY: Partial<Record<KernelOp, number>> = { neg: 0, abs: 1, exp: 2, log: 3, tanh: 4, sigmoid: 5, relu: 6, sqrt: 7 };
/**
 * Below this many elements the TypeScript loop is as fast as the N-API call. Measured here (µs, TypeScript/native,
 * median of 2000 calls through the runtime): log of 256 floats 6.3/1.3, of 1024 30.8/2.2; add of 1024 10.8/4.1;
 * sum over rows of 16, 1024 floats 12.2/1.8; at 16 floats the two are within a microsecond of each other.
 */
const MIN_NATIVE_ELEMENTS = 64;

const f32 = (a: HostArray): a is Float32Array => a instanceof Float32Array;

/** The CPU backend whose hot kernels run in the native addon. Create it through {@link cpuNative}. */
export class NativeCpuBackend extends CpuBackend {
  private readonly addon: NativeAddon;
  /**
   * The activated gates of each live lstmSequence output, keyed by its buffer and freed with it, so that the
   * backward (which receives that output) reuses them instead of recomputing z = xProj + h·Wh for every step.
   */
  private readonly lstmGates = new Map<BufferId, { readonly inputs: string; readonly gates: Float32Array; readonly buffer: BufferId }>();
  /** The weight key of each whole-buffer Wh given to lstmSequence, dropped when the buffer is written or freed. */
  private readonly weightKeys = new Map<BufferId, number>();

  constructor(addon: NativeAddon, options: CpuBackendOptions = {}) {
    super({ ...options, name: options.name ?? 'cpu' });
    this.addon = addon;
  }

  override write(buffer: BufferId, data: HostArray, offset?: number): void {
    this.weightKeys.delete(buffer);
    super.write(buffer, data, offset);
  }

  override decRef(buffer: BufferId): void {
    super.decRef(buffer);
    if (!this.isLive(buffer)) this.weightKeys.delete(buffer);
    const kept = this.lstmGates.get(buffer);
    if (kept !== undefined && !this.isLive(buffer)) {
      this.lstmGates.delete(buffer);
      super.decRef(kept.buffer); // back to the reuse pool: the next step's forward gets it instead of a fresh array
    }
  }

  override run(call: KernelCall<KernelOp>): void {
    // the SPI gives kernels fresh outputs, so this never fires today; it keeps a kernel that writes a keyed buffer
    // (an in-place op, should one come) from being served the old packed copy
    if (this.weightKeys.size > 0) for (const o of call.outputs) this.weightKeys.delete(o.buffer);
    if (this.runNative(call)) return;
    super.run(call);
  }

  private runNative(call: KernelCall<KernelOp>): boolean {
    const out = this.lookup(call.outputs[0]!);
    const op = call.op;
    if (out instanceof Uint8Array || op === 'cast') return out.length >= MIN_NATIVE_ELEMENTS && this.toOrFromBytes(call, out);
    if (!f32(out)) return false;
    if (op === 'packedMatmul') return this.packedMatmul(call as KernelCall<'packedMatmul'>, out); // uint8 codes
    if (call.inputs.some((v) => v.dtype !== 'float32')) return false;
    if (op === 'matmul' || op === 'matmulBias') return this.matmul(call as KernelCall<'matmul' | 'matmulBias'>, out);
    if (op === 'lstmSequence' || op === 'lstmSequenceGrad') return this.lstm(call as KernelCall<'lstmSequence' | 'lstmSequenceGrad'>);
    if (op === 'softmax') return this.softmax(call as KernelCall<'softmax'>, out);
    if (op === 'softmaxGrad') return this.softmaxGrad(call as KernelCall<'softmaxGrad'>, out);
    if (op === 'layerNorm' || op === 'layerNormGrad') return this.layerNorm(call as KernelCall<'layerNorm' | 'layerNormGrad'>);
    const first = call.inputs[0];
    if (first === undefined || (numel(first) < MIN_NATIVE_ELEMENTS && out.length < MIN_NATIVE_ELEMENTS)) return false;
    if (op === 'sum' || op === 'max') return this.reduce(call as KernelCall<'sum' | 'max'>, out);
    if (op === 'copy') return this.copyInto(call.inputs[0]!, out, 0, denseStrides(call.outputs[0]!.shape));
    if (op === 'pad') return this.pad(call as KernelCall<'pad'>, out);
    if (out.length < MIN_NATIVE_ELEMENTS) return false;
    const bin = BINARY[op];
    if (bin !== undefined) return this.binary(bin, call, out);
    const un = UNARY[op];
    if (un !== undefined) return this.unary(un, call, out);
    if (op === 'fakeQuant') return this.fakeQuant(call as KernelCall<'fakeQuant'>, out);
    return false;
  }

  /**
   * Batched strided sgemm: transposed and broadcast operands are packed by the kernel, never copied here. matmulBias
   * passes its bias (made dense) to the kernel, which adds it as it stores each row.
   */
  private matmul(call: KernelCall<'matmul' | 'matmulBias'>, out: Float32Array): boolean {
    const [a, b, biasView] = call.inputs as [TensorView, TensorView, TensorView | undefined];
    const A = this.lookup(a);
    const B = this.lookup(b);
    if (!f32(A) || !f32(B)) return false;
    const m = a.shape.at(-2)!;
    const k = a.shape.at(-1)!;
    const n = b.shape.at(-1)!;
    const batchShape = call.outputs[0]!.shape.slice(0, -2);
    const ar = a.shape.length;
    const br = b.shape.length;
    const aBatch = batchOf(a, batchShape);
    const bBatch = batchOf(b, batchShape);
    if (m * n === 0) return true;
    const bias = biasView === undefined ? undefined : this.denseF32(biasView); // K = 0: the kernel writes zeros or the bias
    // All batch axes go to the kernel in one call, so its threads split every product (attention heads included).
    const batch = mergeAxes(batchShape, aBatch, bBatch);
    if (batch.dims.length > MAX_GEMM_BATCH_AXES) return false;
    this.addon.sgemm(
      batch.dims, m, n, k,
      A, a.offset, a.strides[ar - 2]!, a.strides[ar - 1]!, batch.a,
      B, b.offset, b.strides[br - 2]!, b.strides[br - 1]!, batch.b,
      out, 0, n, m * n, false, bias,
    );
    return true;
  }

  private binary(code: number, call: KernelCall<KernelOp>, out: Float32Array): boolean {
    const [a, b] = call.inputs as [TensorView, TensorView];
    const A = this.lookup(a);
    const B = this.lookup(b);
    if (!f32(A) || !f32(B)) return false;
    const shape = call.outputs[0]!.shape;
    const as = broadcastStrides(a, shape);
    const bs = broadcastStrides(b, shape);
    const merged = mergeAxes(shape, as, bs);
    if (!unitInnerStrides(merged)) return false;
    this.addon.binary(code, merged.dims, A.subarray(a.offset), merged.a, B.subarray(b.offset), merged.b, out);
    return true;
  }

  /** Comparisons of float32 operands into bool, and the casts bool/uint8 → float32 and float32 → bool (dense). */
  private toOrFromBytes(call: KernelCall<KernelOp>, out: HostArray): boolean {
    const x = call.inputs[0]!;
    const X = this.lookup(x);
    const code = COMPARE[call.op];
    if (code !== undefined) {
      const b = call.inputs[1]!;
      const B = this.lookup(b);
      if (!f32(X) || !f32(B) || !(out instanceof Uint8Array)) return false;
      const shape = call.outputs[0]!.shape;
      const as = broadcastStrides(x, shape);
      const bs = broadcastStrides(b, shape);
      const merged = mergeAxes(shape, as, bs);
      if (!unitInnerStrides(merged)) return false;
      this.addon.compare(code, merged.dims, X.subarray(x.offset), merged.a, B.subarray(b.offset), merged.b, out);
      return true;
    }
    if (call.op !== 'cast' || !isDense(x, call.outputs[0]!.shape)) return false;
    const to = call.outputs[0]!.dtype;
    if (X instanceof Uint8Array && (x.dtype === 'bool' || x.dtype === 'uint8') && f32(out)) {
      this.addon.castBytesToF32(X.subarray(x.offset, x.offset + out.length), out);
      return true;
    }
    if (f32(X) && to === 'bool' && out instanceof Uint8Array) {
      this.addon.castF32ToBool(X.subarray(x.offset, x.offset + out.length), out);
      return true;
    }
    return false;
  }

  private unary(code: number, call: KernelCall<KernelOp>, out: Float32Array): boolean {
    const x = call.inputs[0]!;
    const X = this.lookup(x);
    if (!f32(X) || !isDense(x, call.outputs[0]!.shape)) return false;
    this.addon.unary(code, X.subarray(x.offset, x.offset + out.length), out);
    return true;
  }

  /**
   * The whole-sequence LSTM capabilities. xProj is read in place through its batch and time strides (it is often a
   * view); the other operands are made dense first when they are views.
   */
  private lstm(call: KernelCall<'lstmSequence' | 'lstmSequenceGrad'>): boolean {
    const [xp, wh, h0, c0, y, gy] = call.inputs as TensorView[];
    const [b, steps, h4] = xp!.shape as [number, number, number];
    if (xp!.strides[2] !== 1 || xp!.strides[0]! < 0 || xp!.strides[1]! < 0) return false;
    const XP = this.lookup(xp!);
    if (!f32(XP)) return false;
    const dense = (v: TensorView) => this.denseF32(v);
    const args = [b, steps, h4 / 4, XP.subarray(xp!.offset), xp!.strides[0]!, xp!.strides[1]!, dense(wh!), dense(h0!), dense(c0!)] as const;
    const outs = call.outputs.map((v) => this.lookup(v));
    if (!outs.every(f32)) return false;
    const inputs = [xp, wh, h0, c0].map((v) => `${v!.buffer}@${v!.offset}:${v!.strides.join(',')}`).join(' ');
    if (call.op === 'lstmSequence') {
      // a buffer of this backend, so that it is counted by memory() and reused like any other (the kernel writes
      // every gate, so a reused array's old contents never show)
      const buffer = this.alloc('float32', b * steps * h4);
      const gates = this.hostArray(buffer);
      if (!f32(gates)) {
        super.decRef(buffer);
        return false;
      }
      this.addon.lstmSequence(...args, outs[0]!, gates, this.weightKey(wh!));
      this.lstmGates.set(call.outputs[0]!.buffer, { inputs, gates, buffer });
    } else {
      const saved = y!.offset === 0 && isDense(y!, y!.shape) ? this.lstmGates.get(y!.buffer) : undefined;
      const gates = saved?.inputs === inputs ? saved.gates : null;
      this.addon.lstmSequenceGrad(...args, dense(y!), dense(gy!), gates, outs[0]!, outs[1]!, outs[2]!, outs[3]!);
    }
    return true;
  }

  /**
   * A key for a view that is its whole (dense) buffer: buffers change only through write(), so until the next
   * write or free the same key means the same values. Views of part of a buffer get none (0).
   */
  private weightKey(v: TensorView): number {
    if (v.offset !== 0 || !isDense(v, v.shape) || this.lookup(v).length !== numel(v)) return 0;
    let key = this.weightKeys.get(v.buffer);
    if (key === undefined) {
      key = nextWeightKey();
      this.weightKeys.set(v.buffer, key);
    }
    return key;
  }

  /** The input's dense float32 data, or a dense copy of a strided view. */
  private denseF32(v: TensorView): Float32Array {
    const data = this.lookup(v);
    return isDense(v, v.shape) && f32(data) ? data.subarray(v.offset, v.offset + numel(v)) : denseCopy(v, data);
  }

  /** softmax over the last axis (other axes take the TypeScript kernel); a strided input is made dense first. */
  private softmax(call: KernelCall<'softmax'>, out: Float32Array): boolean {
    const x = call.inputs[0]!;
    const n = x.shape.at(-1)!;
    if ((call.params as KernelParams['softmax']).axis !== x.shape.length - 1 || n === 0) return false;
    this.addon.softmaxRows(this.denseF32(x), out.length / n, n, out);
    return true;
  }

  /** The softmax gradient over the last axis (other axes take the TypeScript kernel); views are made dense first. */
  private softmaxGrad(call: KernelCall<'softmaxGrad'>, out: Float32Array): boolean {
    const [y, g] = call.inputs as [TensorView, TensorView];
    const n = y.shape.at(-1)!;
    if ((call.params as KernelParams['softmaxGrad']).axis !== y.shape.length - 1 || n === 0) return false;
    this.addon.softmaxGradRows(this.denseF32(y), this.denseF32(g), out.length / n, n, out);
    return true;
  }

  /** Layer normalization over the last axis and its backward (gX, gGamma, gBeta); views are made dense first. */
  private layerNorm(call: KernelCall<'layerNorm' | 'layerNormGrad'>): boolean {
    const [x, gamma, third] = call.inputs.map((v) => this.denseF32(v)) as [Float32Array, Float32Array, Float32Array];
    const outs = call.outputs.map((v) => this.lookup(v));
    if (!outs.every(f32)) return false;
    const d = gamma.length;
    const rows = d === 0 ? 0 : x.length / d;
    const { eps } = call.params as KernelParams['layerNorm'];
    if (call.op === 'layerNorm') this.addon.layerNormRows(x, rows, d, gamma, third, eps, outs[0]!);
    else this.addon.layerNormGradRows(x, rows, d, gamma, third, eps, outs[0]!, outs[1]!, outs[2]!);
    return true;
  }

  /**
   * Packed weights dequantized in registers: signed int8, int4 (groups of a multiple of 32, or per row) and PQ.
   * Other layouts (1- and 2-bit codes, unsigned 8-bit, fractional zero-points) take the TypeScript kernel.
   */
  private packedMatmul(call: KernelCall<'packedMatmul'>, out: Float32Array): boolean {
    const { weights } = call.params as KernelParams['packedMatmul'];
    const [x, codes, tables, zeros] = call.inputs as [TensorView, TensorView, TensorView, TensorView | undefined];
    const [n, k] = weights.shape;
    const X = this.lookup(x);
    const C = this.lookup(codes);
    if (!f32(X) || !(C instanceof Uint8Array) || !isDense(x, x.shape) || !isDense(codes, codes.shape) || k === 0) return false;
    const m = numel(x) / k;
    const xs = X.subarray(x.offset, x.offset + m * k);
    const cs = C.subarray(codes.offset, codes.offset + numel(codes));
    const table = denseCopy(tables, this.lookup(tables));
    if (weights.kind === 'pq') {
      this.addon.pqMatmul(xs, m, k, table, weights.centroids, weights.blockSize, cs, n, out);
      return true;
    }
    const group = weights.groupSize === k ? 0 : weights.groupSize;
    const zero = zeros === undefined ? null : denseCopy(zeros, this.lookup(zeros));
    if (weights.bits === 8 && weights.signed && zero === null) {
      this.addon.int8Matmul(xs, m, k, new Int8Array(cs.buffer, cs.byteOffset, cs.length), n, table, null, group, out);
      return true;
    }
    if (weights.bits !== 4 || group % 32 !== 0 || (zero !== null && !zero.every(Number.isInteger))) return false;
    this.addon.int4Matmul(xs, m, k, cs, n, weights.signed, table, zero, group, out);
    return true;
  }

  /**
   * sum / max over one run of consecutive axes of a dense input ([outer, reduced, inner]); the native kernel keeps
   * the TypeScript kernel's order and float64 sums, so results are identical.
   */
  private reduce(call: KernelCall<'sum' | 'max'>, out: Float32Array): boolean {
    const x = call.inputs[0]!;
    const axes = [...(call.params as KernelParams['sum']).axes].sort((a, b) => a - b);
    const X = this.lookup(x);
    if (!f32(X) || !isDense(x, x.shape) || axes.length === 0 || axes.some((a, i) => i > 0 && a !== axes[i - 1]! + 1)) return false;
    const prod = (from: number, to: number) => x.shape.slice(from, to).reduce((a, d) => a * d, 1);
    const [first, last] = [axes[0]!, axes.at(-1)! + 1];
    const outer = prod(0, first);
    const reduced = prod(first, last);
    const inner = prod(last, x.shape.length);
    this.addon.reduceBlock(call.op === 'sum' ? 0 : 1, X.subarray(x.offset, x.offset + outer * reduced * inner), outer, reduced, inner, out);
    return true;
  }

  /** Writes view `v` into `out` at `offset` with `strides` (a dense copy, or the interior of a pad). */
  private copyInto(v: TensorView, out: Float32Array, offset: number, strides: readonly number[]): boolean {
    const src = this.lookup(v);
    if (!f32(src) || v.strides.some((s) => s < 0)) return false;
    this.addon.copyStrided([...v.shape], src.subarray(v.offset), [...v.strides], out.subarray(offset), [...strides]);
    return true;
  }

  private pad(call: KernelCall<'pad'>, out: Float32Array): boolean {
    const x = call.inputs[0]!;
    const { pads, value } = call.params as KernelParams['pad'];
    const strides = denseStrides(call.outputs[0]!.shape);
    const offset = pads.reduce((a, [before], d) => a + before * strides[d]!, 0);
    if (!f32(this.lookup(x)) || x.strides.some((s) => s < 0)) return false;
    out.fill(value);
    return this.copyInto(x, out, offset, strides);
  }

  /** Per tensor, or per channel along axis 0, on a dense input. */
  private fakeQuant(call: KernelCall<'fakeQuant'>, out: Float32Array): boolean {
    const [x, s, z] = call.inputs as [TensorView, TensorView, TensorView];
    const { qmin, qmax, axis } = call.params as KernelParams['fakeQuant'];
    if (!isDense(x, x.shape) || !(axis === null || axis === 0) || !Number.isInteger(qmin) || !Number.isInteger(qmax)) return false;
    const X = this.lookup(x);
    if (!f32(X)) return false;
    const rows = axis === null ? 1 : x.shape[0]!;
    const scale = denseCopy(s, this.lookup(s));
    const zero = denseCopy(z, this.lookup(z));
    if (zero.some((v) => !Number.isInteger(v))) return false;
    this.addon.fakeQuant(X.subarray(x.offset, x.offset + out.length), out, rows, out.length / Math.max(rows, 1), scale, zero, qmin, qmax);
    return true;
  }
}

/** The addon's limit on batch axes (GemmBatch::kMaxRank); products with more unmergeable axes run in TypeScript. */
const MAX_GEMM_BATCH_AXES = 8;

/**
 * Drops size-1 axes and merges neighbours that both operands step through as one (stride[d] = stride[d+1]·size[d+1],
 * a broadcast 0 next to a 0 included; the dense output always merges). A contiguous [B, heads] batch becomes one
 * axis of B·heads, and a dense [16, 4, 64, 64] times a scalar one row of 262144 elements instead of 4096 rows of 64,
 * each a separate call of the vector kernel.
 */
function mergeAxes(dims: readonly number[], a: readonly number[], b: readonly number[]): { dims: number[]; a: number[]; b: number[] } {
  const out = { dims: [] as number[], a: [] as number[], b: [] as number[] };
  dims.forEach((d, i) => {
    if (d === 1) return;
    const last = out.dims.length - 1;
    if (last >= 0 && out.a[last] === a[i]! * d && out.b[last] === b[i]! * d) {
      out.dims[last]! *= d;
      out.a[last] = a[i]!;
      out.b[last] = b[i]!;
      return;
    }
    out.dims.push(d);
    out.a.push(a[i]!);
    out.b.push(b[i]!);
  });
  return out;
}

/** The vector kernels walk the last axis with stride 0 (broadcast) or 1 (checked after merging: a dropped size-1
 * last axis can leave a strided one last). */
function unitInnerStrides(m: { a: readonly number[]; b: readonly number[] }): boolean {
  return (m.a.at(-1) ?? 0) <= 1 && (m.b.at(-1) ?? 0) <= 1;
}

function batchOf(v: TensorView, batchShape: readonly number[]): number[] {
  const lead = batchShape.length - (v.shape.length - 2);
  return batchShape.map((d, i) => (i < lead ? 0 : v.shape[i - lead] === 1 && d !== 1 ? 0 : v.strides[i - lead]!));
}

const numel = (v: TensorView) => v.shape.reduce((a, d) => a * d, 1);

function denseStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = acc;
    acc *= shape[i]!;
  }
  return strides;
}

function denseCopy(v: TensorView, src: HostArray): Float32Array {
  const out = new Float32Array(v.shape.reduce((a, d) => a * d, 1));
  forEachStrided(v.shape, [v.strides], [v.offset], (i, offs) => {
    out[i] = src[offs[0]!]!;
  });
  return out;
}

/**
 * The CPU backend with native kernels when the addon is built, named `cpu` like the TypeScript one so code does not
 * change; `isAvailable` reports why the native path is off (and `create` then falls back to the TypeScript kernels).
 *
 * @example
 * ```ts
 * import { defaultRuntime } from '@nibble/core';
 * import { cpuNative } from '@nibble/backend-cpu';
 * defaultRuntime.register(cpuNative);
 * ```
 */
export const cpuNative: BackendFactory = nativeFactory();

/** A native CPU backend factory with options. */
export function nativeFactory(options: Omit<CpuBackendOptions, 'precision'> = {}): BackendFactory {
  const name = options.name ?? 'cpu';
  const create = () => {
    const loaded = loadNative();
    if (!loaded.ok) {
      warnOnce(loaded.reason);
      return new CpuBackend({ ...options, name });
    }
    return new NativeCpuBackend(requireAddon('cpu'), { ...options, name });
  };
  return {
    name,
    priority: 20,
    isAvailable: () => Promise.resolve({ ok: true }),
    create: () => Promise.resolve(create()),
    createSync: create,
  };
}

/** Why the native kernels are off, or undefined when they are on. */
export function nativeUnavailableReason(): string | undefined {
  const loaded = loadNative();
  return loaded.ok ? undefined : loaded.reason;
}

let warned = false;
function warnOnce(reason: string): void {
  if (warned) return;
  warned = true;
  console.warn(`nibble: native CPU kernels are off (${reason}); using the TypeScript kernels`);
}
