/**
 * The nibble quantized-model file: a safetensors file whose `__metadata__` says `format = nibble-quantized`,
 * `format_version = 1`, and holds `weights`, a JSON object describing every packed weight. Tensors:
 *
 * - `<name>.codes` (U8): int codes [N, ceil(K·bits/8)], packed low bits first, or PQ codes [N, K/blockSize];
 * - `<name>.scales` (F32): [1] per tensor or [N, K/groupSize] (int codes);
 * - `<name>.codebook` (F16, or F32 when the quantizer keeps a float32 codebook): [centroids, blockSize] (PQ);
 * - `<name>.zero_points`: U8 holding the zero-points packed at the quantizer's zero-point width (affine codes), or
 *   F32; absent for symmetric codes, or implied by the layout (binary ±α codes, stored in the metadata as a value);
 * - `<name>` for every other parameter and buffer, in its own dtype (F32 for float parameters).
 *
 * The **payload** of a packed weight is the bytes of its `.codes`, `.scales`/`.codebook` and `.zero_points`
 * tensors: what the quantizer's `sizeBits` counts (spec §8). It excludes the safetensors header (JSON and metadata)
 * and the float tensors. payload × 8 equals `sizeBits` whenever the containers hold exactly the logical bits (1-, 2-,
 * 4- or 8-bit codes whose rows fill whole bytes; 256-centroid PQ); otherwise it is larger by the container padding.
 *
 * @module
 */
import type { PackedWeights } from '@nibble/core';
import { containerBits } from '../common/grid.ts';
import { packCodes, unpackCodes } from '../common/pack.ts';
import type { JsonValue, PackedTensor } from '../spi.ts';
import { QuantizedFileError } from './errors.ts';
import { float16BitsExact, float16Value } from './float16.ts';
import { QuantizerExportError } from '../errors.ts';

/** `__metadata__.format` of a nibble quantized-model file. */
export const QUANTIZED_FORMAT = 'nibble-quantized';
/** `__metadata__.format_version` this code writes and reads. */
export const QUANTIZED_FORMAT_VERSION = 1;

/** How a packed weight's zero-points are stored. */
export type ZeroPointStorage =
  | { readonly storage: 'packed'; readonly count: number; readonly bits: number }
  | { readonly storage: 'f32'; readonly count: number }
  | { readonly storage: 'implied'; readonly count: number; readonly value: number };

/** The per-weight record in `__metadata__.weights` (JSON). */
export interface PackedWeightRecord {
  readonly layout: PackedWeights;
  /** The parameter's original shape (the layout's [N, K] is it flattened). */
  readonly shape: readonly number[];
  /** Logical bits per code (≤ the container `layout.bits` for int codes). */
  readonly bits: number;
  /** Scales (int) or codebook entries (PQ): how many, and stored as F32 (32) or F16 (16). */
  readonly tables: { readonly count: number; readonly bits: 16 | 32 };
  readonly zeroPoints?: ZeroPointStorage;
  /** Registry id and raw config of the quantizer that produced it. */
  readonly quantizer: { readonly id: string; readonly config: JsonValue };
  /** The quantizer's `sizeBits` for this weight (spec §8). */
  readonly sizeBits: number;
  /** The quantizer's own export metadata (grid, qmin/qmax, ...). */
  readonly meta: { readonly [key: string]: JsonValue };
}

/** One tensor to write: dtype, shape and little-endian bytes. */
export interface RawEntry {
  readonly dtype: 'U8' | 'F16' | 'F32' | 'I32' | 'I8' | 'BOOL';
  readonly shape: readonly number[];
  readonly data: Uint8Array;
}

const bytesOf = (a: Float32Array | Uint16Array | Int32Array | Int8Array | Uint8Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** Tensor names of a packed weight. */
export const packedNames = (name: string) => ({
  codes: `${name}.codes`,
  scales: `${name}.scales`,
  codebook: `${name}.codebook`,
  zeroPoints: `${name}.zero_points`,
});

/** Shape of the stored scales / codebook. */
function tableShape(layout: PackedWeights, count: number): number[] {
  if (layout.kind === 'pq') return [layout.centroids, layout.blockSize];
  return count === 1 ? [1] : [layout.shape[0], layout.shape[1] / layout.groupSize];
}

/** Shape of the stored codes. */
export function codesShape(layout: PackedWeights): [number, number] {
  const [n, k] = layout.shape;
  return layout.kind === 'pq' ? [n, k / layout.blockSize] : [n, Math.ceil((k * layout.bits) / 8)];
}

/**
 * Turns one quantizer export into file tensors and its metadata record; throws a {@link QuantizerExportError} when
 * the export contradicts its own layout (wrong code or table sizes, fp16 tables that are not on the fp16 grid).
 */
export function encodePacked(
  name: string,
  p: PackedTensor,
  quantizer: { id: string; config: JsonValue; sizeBits: number },
): { entries: Record<string, RawEntry>; record: PackedWeightRecord; payloadBytes: number } {
  const fail = (what: string): never => {
    throw new QuantizerExportError(`exportQuantized: weight '${name}' (quantizer '${quantizer.id}'): ${what}`);
  };
  const layout = p.layout;
  const [n, k] = layout.shape;
  const numel = p.shape.reduce((a, d) => a * d, 1);
  if (n * k !== numel) fail(`layout shape [${n},${k}] does not flatten shape [${p.shape.join(',')}]`);
  const [cr, cc] = codesShape(layout);
  if (p.codes.length !== cr * cc) fail(`has ${p.codes.length} code bytes; layout [${n},${k}] needs ${cr * cc}`);
  const names = packedNames(name);
  const entries: Record<string, RawEntry> = { [names.codes]: { dtype: 'U8', shape: [cr, cc], data: p.codes } };

  const tableCount = p.tables.length;
  if (layout.kind === 'pq') {
    if (tableCount !== layout.centroids * layout.blockSize) fail(`codebook has ${tableCount} values; expected ${layout.centroids}×${layout.blockSize}`);
  } else if (tableCount !== 1 && tableCount !== n * (k / layout.groupSize)) {
    fail(`has ${tableCount} scales; expected 1 or ${n * (k / layout.groupSize)} (rows × groups)`);
  }
  let tableData: Uint8Array;
  if (p.tableBits === 16) {
    const halves = new Uint16Array(tableCount);
    for (let i = 0; i < tableCount; i++) {
      const h = float16BitsExact(p.tables[i]!);
      if (h === undefined) fail(`declares 16-bit tables but value ${p.tables[i]} at index ${i} is not exactly representable in float16`);
      halves[i] = h!;
    }
    tableData = bytesOf(halves);
  } else {
    tableData = bytesOf(p.tables);
  }
  entries[layout.kind === 'pq' ? names.codebook : names.scales] = { dtype: p.tableBits === 16 ? 'F16' : 'F32', shape: tableShape(layout, tableCount), data: tableData };

  let zeroPoints: ZeroPointStorage | undefined;
  if (p.zeroPoints) {
    const zp = p.zeroPoints;
    const count = zp.length;
    if (count !== tableCount) fail(`has ${count} zero-points for ${tableCount} scales; expected one per scale`);
    const zb = p.zeroPointBits ?? 32;
    if (zb === 0) {
      if (!zp.every((v) => v === zp[0])) fail('declares implied (0-bit) zero-points that are not all equal');
      zeroPoints = { storage: 'implied', count, value: zp[0]! };
    } else if (zb >= 1 && zb <= 8 && Number.isInteger(zb)) {
      if (!zp.every((v) => Number.isInteger(v) && v >= 0 && v < 2 ** zb)) fail(`has ${zb}-bit zero-points outside the integers 0..${2 ** zb - 1}`);
      const cb = containerBits(zb);
      entries[names.zeroPoints] = { dtype: 'U8', shape: [Math.ceil((count * cb) / 8)], data: packCodes(zp, 1, count, cb) };
      zeroPoints = { storage: 'packed', count, bits: zb };
    } else {
      entries[names.zeroPoints] = { dtype: 'F32', shape: [count], data: bytesOf(zp) };
      zeroPoints = { storage: 'f32', count };
    }
  }
  const record: PackedWeightRecord = {
    layout,
    shape: [...p.shape],
    bits: p.bits,
    tables: { count: tableCount, bits: p.tableBits },
    ...(zeroPoints ? { zeroPoints } : {}),
    quantizer: { id: quantizer.id, config: quantizer.config },
    sizeBits: quantizer.sizeBits,
    meta: p.meta,
  };
  const payloadBytes = Object.values(entries).reduce((a, e) => a + e.data.byteLength, 0);
  return { entries, record, payloadBytes };
}

/** A packed weight read back from a file (host arrays, validated against its record). */
export interface DecodedPacked {
  readonly record: PackedWeightRecord;
  readonly layout: PackedWeights;
  readonly codes: Uint8Array;
  readonly tables: Float32Array;
  readonly zeroPoints?: Float32Array;
  /** Bytes of its tensors in the file (its payload). */
  readonly payloadBytes: number;
}

const isPosInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;

/** Validates one `weights[name]` record; throws a {@link QuantizedFileError} naming the field. */
export function parseRecord(name: string, raw: unknown): PackedWeightRecord {
  const fail = (what: string): never => {
    throw new QuantizedFileError(`loadQuantized: weight '${name}' has invalid layout metadata: ${what}`);
  };
  if (typeof raw !== 'object' || raw === null) return fail(`expected an object, got ${JSON.stringify(raw)}`);
  const r = raw as Record<string, unknown>;
  const layout = r['layout'] as Record<string, unknown> | undefined;
  if (typeof layout !== 'object' || layout === null) return fail('missing layout');
  const shape2 = layout['shape'];
  if (!Array.isArray(shape2) || shape2.length !== 2 || !shape2.every(isPosInt)) fail(`layout.shape ${JSON.stringify(shape2)}; expected [N, K] positive integers`);
  const [n, k] = shape2 as [number, number];
  let parsed: PackedWeights;
  if (layout['kind'] === 'int') {
    const bits = layout['bits'];
    if (bits !== 1 && bits !== 2 && bits !== 4 && bits !== 8) return fail(`layout.bits ${JSON.stringify(bits)}; expected 1, 2, 4 or 8`);
    const groupSize = layout['groupSize'];
    if (!isPosInt(groupSize) || k % groupSize !== 0) return fail(`layout.groupSize ${JSON.stringify(groupSize)}; expected a positive divisor of K = ${k}`);
    if (typeof layout['signed'] !== 'boolean') return fail(`layout.signed ${JSON.stringify(layout['signed'])}; expected true or false`);
    parsed = { kind: 'int', bits, shape: [n, k], groupSize, signed: layout['signed'] };
  } else if (layout['kind'] === 'pq') {
    const d = layout['blockSize'];
    const c = layout['centroids'];
    if (!isPosInt(d) || k % d !== 0) return fail(`layout.blockSize ${JSON.stringify(d)}; expected a positive divisor of K = ${k}`);
    if (!isPosInt(c) || c > 256) return fail(`layout.centroids ${JSON.stringify(c)}; expected 1..256`);
    parsed = { kind: 'pq', shape: [n, k], blockSize: d, centroids: c };
  } else {
    return fail(`layout.kind ${JSON.stringify(layout['kind'])}; expected 'int' or 'pq'`);
  }
  const shape = r['shape'];
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0) || shape.reduce((a: number, d: number) => a * d, 1) !== n * k) {
    fail(`shape ${JSON.stringify(shape)}; expected a shape of ${n * k} elements`);
  }
  const tables = r['tables'] as { count?: unknown; bits?: unknown } | undefined;
  if (!tables || !isPosInt(tables.count) || (tables.bits !== 16 && tables.bits !== 32)) fail(`tables ${JSON.stringify(tables)}; expected { count, bits: 16 | 32 }`);
  const zp = r['zeroPoints'] as Record<string, unknown> | undefined;
  if (zp !== undefined) {
    if (parsed.kind === 'pq') fail('PQ weights have no zero-points');
    if (zp['count'] !== tables!.count) fail(`zeroPoints.count ${JSON.stringify(zp['count'])}; expected ${String(tables!.count)} (one per scale)`);
    const st = zp['storage'];
    if (st === 'packed' && !(isPosInt(zp['bits']) && (zp['bits'] as number) <= 8)) fail(`zeroPoints.bits ${JSON.stringify(zp['bits'])}; expected 1..8`);
    if (st === 'implied' && typeof zp['value'] !== 'number') fail(`zeroPoints.value ${JSON.stringify(zp['value'])}; expected a number`);
    if (st !== 'packed' && st !== 'f32' && st !== 'implied') fail(`zeroPoints.storage ${JSON.stringify(st)}; expected 'packed', 'f32' or 'implied'`);
  }
  const q = r['quantizer'] as { id?: unknown } | undefined;
  if (!q || typeof q.id !== 'string') fail(`quantizer ${JSON.stringify(q)}; expected { id, config }`);
  if (typeof r['bits'] !== 'number' || typeof r['sizeBits'] !== 'number') fail('bits and sizeBits must be numbers');
  return { ...(r as unknown as PackedWeightRecord), layout: parsed };
}

/** Reads and checks the tensors of one packed weight from decoded safetensors data. */
export function decodePacked(
  name: string,
  record: PackedWeightRecord,
  take: (tensorName: string, dtype: string, shape: readonly number[]) => Uint8Array,
): DecodedPacked {
  const names = packedNames(name);
  const { layout, tables } = record;
  const [n, k] = layout.shape;
  const fail = (what: string): never => {
    throw new QuantizedFileError(`loadQuantized: weight '${name}': ${what}`);
  };
  const codes = take(names.codes, 'U8', codesShape(layout)).slice();
  let payload = codes.byteLength;
  if (layout.kind === 'pq') {
    if (tables.count !== layout.centroids * layout.blockSize) fail(`tables.count ${tables.count}; expected ${layout.centroids}×${layout.blockSize}`);
    for (let i = 0; i < codes.length; i++) if (codes[i]! >= layout.centroids) fail(`PQ code ${codes[i]} at index ${i} is not below ${layout.centroids} centroids`);
  } else if (tables.count !== 1 && tables.count !== n * (k / layout.groupSize)) {
    fail(`tables.count ${tables.count}; expected 1 or ${n * (k / layout.groupSize)} (rows × groups)`);
  }
  const tableBytes = take(layout.kind === 'pq' ? names.codebook : names.scales, tables.bits === 16 ? 'F16' : 'F32', tableShape(layout, tables.count));
  payload += tableBytes.byteLength;
  const tableValues = new Float32Array(tables.count);
  const view = new DataView(tableBytes.buffer, tableBytes.byteOffset, tableBytes.byteLength);
  for (let i = 0; i < tables.count; i++) tableValues[i] = tables.bits === 16 ? float16Value(view.getUint16(2 * i, true)) : view.getFloat32(4 * i, true);
  let zeroPoints: Float32Array | undefined;
  const zp = record.zeroPoints;
  if (zp?.storage === 'implied') zeroPoints = new Float32Array(zp.count).fill(zp.value);
  else if (zp?.storage === 'f32') {
    const b = take(names.zeroPoints, 'F32', [zp.count]);
    payload += b.byteLength;
    zeroPoints = new Float32Array(b.slice().buffer);
  } else if (zp?.storage === 'packed') {
    const cb = containerBits(zp.bits);
    const b = take(names.zeroPoints, 'U8', [Math.ceil((zp.count * cb) / 8)]).slice();
    payload += b.byteLength;
    zeroPoints = Float32Array.from(unpackCodes(b, 1, zp.count, cb, false));
  }
  return { record, layout, codes, tables: tableValues, ...(zeroPoints ? { zeroPoints } : {}), payloadBytes: payload };
}
