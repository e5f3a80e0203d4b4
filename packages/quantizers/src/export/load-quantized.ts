import { decodeSafetensors, type DecodedSafetensors, keep, packedMatmul, type PackedWeights, scope, ShapeError, type Tensor, tensor } from '@nibble/core';
import { Linear, type Module } from '@nibble/layers';
import { QuantizedFileError, QuantizedModelMismatchError } from './errors.ts';
import { decodePacked, type DecodedPacked, type PackedWeightRecord, packedNames, parseRecord, QUANTIZED_FORMAT, QUANTIZED_FORMAT_VERSION } from './format.ts';
import { dequantizePacked, perRowGroups } from './dequantize.ts';
import { modulesWithPackedForward } from './packed-forwards.ts';

/** A decoded, validated quantized-model file (host arrays; nothing on a backend yet). */
export interface QuantizedFile {
  /** Packed weights by dotted name. */
  readonly packed: ReadonlyMap<string, DecodedPacked>;
  /** Every other tensor by dotted name: dtype, shape and a copy of its bytes. */
  readonly plain: ReadonlyMap<string, { readonly dtype: string; readonly shape: readonly number[]; readonly data: Uint8Array }>;
  readonly metadata: Readonly<Record<string, string>>;
  /** Σ payload bits of the packed weights (bytes × 8 of their tensors). */
  readonly payloadBits: number;
}

/**
 * Decodes and validates a file written by `exportQuantized`: safetensors structure (sizes, offsets), format name
 * and version, each weight's layout record, and that every packed tensor has the dtype and shape its layout needs.
 *
 * @throws {@link QuantizedFileError} naming what is wrong (truncated file, unknown version, bad layout, ...).
 *
 * @example
 * ```ts
 * const file = readQuantized(bytes);
 * file.packed.get('0.weight')?.layout; // { kind: 'int', bits: 4, shape: [64, 32], groupSize: 32, signed: true }
 * ```
 */
export function readQuantized(bytes: Uint8Array): QuantizedFile {
  let decoded: DecodedSafetensors;
  try {
    decoded = decodeSafetensors(bytes);
  } catch (e) {
    throw new QuantizedFileError(`loadQuantized: not a readable safetensors file (${bytes.length} bytes): ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  const md = decoded.metadata;
  if (md['format'] !== QUANTIZED_FORMAT) throw new QuantizedFileError(`loadQuantized: __metadata__.format is ${JSON.stringify(md['format'])}; expected '${QUANTIZED_FORMAT}'`);
  if (md['format_version'] !== String(QUANTIZED_FORMAT_VERSION)) {
    throw new QuantizedFileError(`loadQuantized: __metadata__.format_version is ${JSON.stringify(md['format_version'])}; this reader supports '${QUANTIZED_FORMAT_VERSION}'`);
  }
  let weights: unknown;
  try {
    weights = JSON.parse(md['weights'] ?? '');
  } catch {
    throw new QuantizedFileError(`loadQuantized: __metadata__.weights is not JSON: ${JSON.stringify((md['weights'] ?? '').slice(0, 80))}`);
  }
  if (typeof weights !== 'object' || weights === null || Array.isArray(weights)) throw new QuantizedFileError('loadQuantized: __metadata__.weights must be an object of per-weight layouts');

  const unused = new Set(decoded.tensors.keys());
  const take = (name: string, dtype: string, shape: readonly number[]): Uint8Array => {
    const t = decoded.tensors.get(name);
    if (!t) throw new QuantizedFileError(`loadQuantized: tensor '${name}' is missing from the file`);
    if (t.dtype !== dtype || t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new QuantizedFileError(`loadQuantized: tensor '${name}' is ${t.dtype}[${t.shape.join(',')}]; its layout needs ${dtype}[${shape.join(',')}]`);
    }
    unused.delete(name);
    return t.data;
  };
  const packed = new Map<string, DecodedPacked>();
  let payloadBits = 0;
  for (const [name, raw] of Object.entries(weights as Record<string, unknown>)) {
    const record: PackedWeightRecord = parseRecord(name, raw);
    const p = decodePacked(name, record, take);
    packed.set(name, p);
    payloadBits += p.payloadBytes * 8;
  }
  const plain = new Map<string, { dtype: string; shape: readonly number[]; data: Uint8Array }>();
  for (const name of unused) {
    const t = decoded.tensors.get(name)!;
    plain.set(name, { dtype: t.dtype, shape: t.shape, data: t.data.slice() });
  }
  return { packed, plain, metadata: md, payloadBits };
}

/** How a loaded packed weight is computed with. */
export type PackedExecution =
  /** The layer's matmul is replaced by `packedMatmul` on the codes (Linear weights). */
  | 'packedMatmul'
  /** The weight is dequantized from its codes at each forward, only for that forward (LSTM, Embedding, ...). */
  | 'dequantize-per-forward';

/** One packed weight of a {@link QuantizedModel}. */
export interface LoadedPackedWeight {
  readonly name: string;
  readonly layout: PackedWeights;
  readonly record: PackedWeightRecord;
  readonly execution: PackedExecution;
}

/**
 * A model running on packed weights, returned by {@link loadQuantized}. `unload()` (or dispose) restores the layers'
 * own forward passes and frees the packed tensors.
 */
export interface QuantizedModel<M extends Module> extends Disposable {
  readonly model: M;
  readonly weights: ReadonlyMap<string, LoadedPackedWeight>;
  /** Σ payload bits of the packed weights. */
  readonly payloadBits: number;
  unload(): void;
}

const DTYPES: Record<string, Tensor['dtype']> = { F32: 'float32', I32: 'int32', U8: 'uint8', I8: 'int8', BOOL: 'bool' };

function typedFrom(dtype: Tensor['dtype'], bytes: Uint8Array): Float32Array | Int32Array | Uint8Array | Int8Array {
  const b = bytes.slice();
  return dtype === 'float32' ? new Float32Array(b.buffer) : dtype === 'int32' ? new Int32Array(b.buffer) : dtype === 'int8' ? new Int8Array(b.buffer) : b;
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Loads a file written by `exportQuantized` into `model` (same architecture) and runs inference directly on the
 * packed weights: every quantized `Linear` weight is multiplied with `packedMatmul(x, codes, scales, layout,
 * zeroPoints)` (its float weight is never materialized); other quantized weights (LSTM, Embedding, attention
 * projections read through the weight hook) are dequantized from their codes at each forward, only for that forward.
 * Unquantized parameters and buffers are loaded as usual. The file is validated entirely (format, layouts, every
 * tensor's dtype and shape, every model parameter present with its shape, no leftovers) before the model is touched;
 * on any error the model is unchanged.
 *
 * The float parameters of packed weights stay in the model but are not read while loaded.
 *
 * @throws {@link QuantizedFileError} for a malformed file, {@link QuantizedModelMismatchError} when it does not fit.
 *
 * @example
 * ```ts
 * const model = new Sequential(new Linear(32, 64), new ReLU(), new Linear(64, 10));
 * using loaded = loadQuantized(bytes, model.eval());
 * const logits = model.forward(x);   // packedMatmul on 4-bit codes
 * ```
 */
export function loadQuantized<M extends Module>(bytes: Uint8Array | QuantizedFile, model: M): QuantizedModel<M> {
  const file = bytes instanceof Uint8Array ? readQuantized(bytes) : bytes;
  const state = model.stateDict();
  const params = model.namedParameters();
  const modules = model.namedModules();
  const mismatch = (what: string): never => {
    throw new QuantizedModelMismatchError(`loadQuantized: ${what}`);
  };

  // 1. Every model tensor is in the file with its shape; nothing is left over.
  const expected = new Set<string>();
  for (const [name, t] of state) {
    const p = file.packed.get(name);
    if (p) {
      if (!params.has(name)) mismatch(`'${name}' is packed in the file but is a buffer in the model; only parameters can be packed`);
      if (!sameShape(p.record.shape, t.shape)) mismatch(`'${name}' is [${t.shape.join(',')}] in the model; the file packs [${p.record.shape.join(',')}]`);
      if (model.weightTransform(name)) mismatch(`'${name}' already has a weight transform (a QAT handle or another load); detach it first`);
      const cut = name.lastIndexOf('.');
      const owner = modules.get(cut < 0 ? '' : name.slice(0, cut));
      if (owner && modulesWithPackedForward.has(owner)) mismatch(`'${name}' belongs to a layer that already runs packed weights; unload() the previous load first`);
      expected.add(name);
      continue;
    }
    const f = file.plain.get(name);
    if (!f) {
      const packedLike = file.plain.has(packedNames(name).codes);
      mismatch(`'${name}' [${t.shape.join(',')}] is missing from the file${packedLike ? ' (its packed tensors are there but its layout metadata is not)' : ''}`);
    }
    const dtype = DTYPES[f!.dtype];
    if (dtype !== t.dtype) mismatch(`'${name}' is ${t.dtype} in the model; the file stores ${f!.dtype}`);
    if (!sameShape(f!.shape, t.shape)) mismatch(`'${name}' is [${t.shape.join(',')}] in the model; the file has [${f!.shape.join(',')}]`);
    expected.add(name);
  }
  const extra = [...file.packed.keys(), ...file.plain.keys()].filter((n) => !expected.has(n));
  if (extra.length) mismatch(`the file has tensors the model does not: ${extra.slice(0, 10).join(', ')}${extra.length > 10 ? ', ...' : ''}`);

  // 2. Plan each packed weight's execution; Linear weights whose forward nobody replaced get packedMatmul.
  const plans = [...file.packed].map(([name, p]) => {
    const cut = name.lastIndexOf('.');
    const owner = modules.get(cut < 0 ? '' : name.slice(0, cut))!;
    const local = name.slice(cut + 1);
    const swappable = owner instanceof Linear && local === 'weight' && !Object.prototype.hasOwnProperty.call(owner, 'forward');
    return { name, p, owner, local, execution: (swappable ? 'packedMatmul' : 'dequantize-per-forward') as PackedExecution };
  });

  // 3. Backend tensors, then apply (nothing above changed the model).
  const created: Tensor[] = [];
  const make = (like: Tensor, data: Float32Array | Int32Array | Uint8Array | Int8Array, shape: readonly number[], dtype: Tensor['dtype']) => {
    // kept: they live until unload(), even when loadQuantized runs inside a caller's scope()
    const t = keep(tensor(data, { shape, dtype, runtime: like.runtime, backend: like.backend.name }));
    created.push(t);
    return t;
  };
  const restore: (() => void)[] = [];
  try {
    const floats = new Map<string, Tensor>();
    for (const [name, f] of file.plain) {
      const like = state.get(name)!;
      floats.set(name, make(like, typedFrom(like.dtype, f.data), f.shape, like.dtype));
    }
    const swaps = plans.map((plan) => {
      if (plan.execution !== 'packedMatmul') return { plan };
      const like = params.get(plan.name)!;
      const { layout, codes } = plan.p;
      const [n, k] = layout.shape;
      const codesT = make(like, codes, layout.kind === 'pq' ? [n, k / layout.blockSize] : [n, Math.ceil((k * layout.bits) / 8)], 'uint8');
      const tablesT =
        layout.kind === 'pq'
          ? make(like, plan.p.tables, [layout.centroids, layout.blockSize], 'float32')
          : make(like, perRowGroups(plan.p.tables, layout), [n, k / layout.groupSize], 'float32');
      const zpT = layout.kind === 'int' && plan.p.zeroPoints ? make(like, perRowGroups(plan.p.zeroPoints, layout), [n, k / layout.groupSize], 'float32') : undefined;
      return { plan, codesT, tablesT, zpT };
    });
    model.loadStateDict(floats, { strict: false });
    for (const t of floats.values()) t.dispose();

    for (const s of swaps) {
      const { name, owner, p } = s.plan;
      if (s.plan.execution === 'packedMatmul' && 'codesT' in s) {
        const linear = owner as Linear;
        const denseBias = file.packed.get(name.replace(/weight$/, 'bias'));
        linear.forward = (x: Tensor) => packedLinearForward(linear, x, s.codesT!, s.tablesT!, p.layout, s.zpT, denseBias);
        modulesWithPackedForward.add(linear);
        restore.push(() => {
          Reflect.deleteProperty(linear, 'forward');
          modulesWithPackedForward.delete(linear);
        });
      } else {
        model.setWeightTransform(name, (w) => tensor(dequantizePacked(p), { shape: p.record.shape, runtime: w.runtime, backend: w.backend.name }));
        restore.push(() => model.setWeightTransform(name, undefined));
      }
    }
  } catch (e) {
    for (const r of restore) r();
    for (const t of created) if (!t.isDisposed) t.dispose();
    throw e;
  }

  const weights = new Map<string, LoadedPackedWeight>(plans.map((pl) => [pl.name, { name: pl.name, layout: pl.p.layout, record: pl.p.record, execution: pl.execution }]));
  let loaded = true;
  const unload = () => {
    if (!loaded) return;
    loaded = false;
    for (const r of restore) r();
    for (const t of created) if (!t.isDisposed) t.dispose();
  };
  return { model, weights, payloadBits: file.payloadBits, unload, [Symbol.dispose]: unload };
}

/** `Linear.forward` with W packed: same checks and reshapes as the layer, `packedMatmul` instead of `matmul`. */
function packedLinearForward(
  linear: Linear,
  x: Tensor,
  codes: Tensor,
  tables: Tensor,
  layout: PackedWeights,
  zeroPoints: Tensor | undefined,
  packedBias: DecodedPacked | undefined,
): Tensor {
  if (x.shape.at(-1) !== linear.inFeatures) {
    throw new ShapeError(`Linear.forward: input has shape [${x.shape.join(',')}]; expected last axis ${linear.inFeatures}`);
  }
  return scope(() => {
    const flat = x.rank === 2 ? x : x.reshape([-1, linear.inFeatures]);
    let y = packedMatmul(flat, codes, tables, layout, zeroPoints);
    if (linear.hasBias) {
      const b = packedBias ? tensor(dequantizePacked(packedBias), { shape: [linear.outFeatures], runtime: x.runtime, backend: x.backend.name }) : linear.rawParameter('bias');
      y = y.add(b);
    }
    return x.rank === 2 ? y : y.reshape([...x.shape.slice(0, -1), linear.outFeatures]);
  });
}
