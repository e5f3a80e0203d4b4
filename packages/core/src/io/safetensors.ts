/**
 * The safetensors format (Hugging Face), as pure functions on bytes: no file system, so it runs in browsers too.
 *
 * Layout: an 8-byte little-endian u64 N, N bytes of UTF-8 JSON header, then the data region. The header maps each
 * tensor name to `{ "dtype", "shape", "data_offsets": [begin, end] }` (offsets relative to the data region) and may
 * hold `"__metadata__": { string: string }`. Tensors cover the data region contiguously, without gaps or overlaps.
 *
 * Writing follows the reference implementation (safetensors 0.8, Rust) byte for byte: tensors ordered by dtype
 * (widest first, the reference's enum order) then by name, header padded with spaces to a multiple of 8. Reading
 * validates the whole header against the file size before it creates a single view of the data.
 *
 * @module
 */

import { SafetensorsError } from './errors.ts';

/** Every dtype the format defines, in the reference implementation's order (which decides the tensor order). */
export const SAFETENSORS_DTYPES = [
  'BOOL',
  'F4',
  'F6_E2M3',
  'F6_E3M2',
  'U8',
  'I8',
  'F8_E5M2',
  'F8_E4M3',
  'F8_E8M0',
  'I16',
  'U16',
  'F16',
  'BF16',
  'I32',
  'U32',
  'F32',
  'C64',
  'F64',
  'I64',
  'U64',
] as const;

/** A safetensors dtype name as it appears in the header. */
export type SafetensorsDType = (typeof SAFETENSORS_DTYPES)[number];

/** Largest header the reader accepts (the reference's `MAX_HEADER_SIZE`): bounds memory spent on a hostile file. */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;

const DTYPE_BITS: { readonly [D in SafetensorsDType]: number } = {
  BOOL: 8,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
  U8: 8,
  I8: 8,
  F8_E5M2: 8,
  F8_E4M3: 8,
  F8_E8M0: 8,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  C64: 64,
  F64: 64,
  I64: 64,
  U64: 64,
};

const DTYPE_RANK = new Map<string, number>(SAFETENSORS_DTYPES.map((d, i) => [d, i]));

/**
 * Bits per element of a dtype (F4 = 4, F6_* = 6, BOOL = 8 since it is stored as one byte).
 *
 * @example
 * safetensorsDTypeBits('BF16') // 16
 */
export function safetensorsDTypeBits(dtype: SafetensorsDType): number {
  return DTYPE_BITS[dtype];
}

/** Host arrays accepted as tensor data. A `Uint8Array` is always raw little-endian bytes, whatever the dtype. */
export type SafetensorsData =
  | Uint8Array
  | Uint8ClampedArray
  | Int8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

/** One tensor to write. */
export interface SafetensorsEntry {
  readonly dtype: SafetensorsDType;
  readonly shape: readonly number[];
  readonly data: SafetensorsData;
}

/** Tensors to write, by name: a plain object or a Map (so a decoded file's `tensors` can be written back). */
export type SafetensorsEntries = Readonly<Record<string, SafetensorsEntry>> | ReadonlyMap<string, SafetensorsEntry>;

/** One tensor read from a file: `data` is a view into the decoded bytes (no copy), possibly unaligned. */
export interface SafetensorsTensor {
  readonly dtype: SafetensorsDType;
  readonly shape: readonly number[];
  readonly data: Uint8Array;
}

/** A decoded file: tensors in data order, and `__metadata__` (empty when the file has none). */
export interface DecodedSafetensors {
  readonly tensors: Map<string, SafetensorsTensor>;
  readonly metadata: Record<string, string>;
}

/** An encoded file as pieces, so a writer can stream the tensors without concatenating them. */
export interface SafetensorsPlan {
  /** The 8-byte length prefix followed by the padded JSON header. */
  readonly header: Uint8Array;
  /** Each tensor's raw bytes, in file order (views of the callers' arrays, not copies). */
  readonly chunks: readonly Uint8Array[];
  /** Total file size: header plus all chunks. */
  readonly byteLength: number;
}

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Which dtypes each typed-array type may carry (Uint8Array is raw bytes and fits all). */
const TYPED_ARRAY_DTYPES: ReadonlyMap<string, readonly SafetensorsDType[]> = new Map<string, readonly SafetensorsDType[]>([
  ['Uint8ClampedArray', ['U8', 'BOOL']],
  ['Int8Array', ['I8']],
  ['Int16Array', ['I16']],
  ['Uint16Array', ['U16', 'F16', 'BF16']],
  ['Int32Array', ['I32']],
  ['Uint32Array', ['U32']],
  ['Float32Array', ['F32', 'C64']],
  ['Float64Array', ['F64']],
  ['BigInt64Array', ['I64']],
  ['BigUint64Array', ['U64']],
]);

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const utf8 = new TextEncoder();

function quote(name: string): string {
  return `'${name}'`;
}

function isDType(value: unknown): value is SafetensorsDType {
  return typeof value === 'string' && DTYPE_RANK.has(value);
}

/**
 * Bytes a tensor of this dtype and shape occupies, or an error text. Shared by the writer and the reader so both
 * apply the same rule: dimensions are non-negative safe integers, numel × bits is a whole number of bytes.
 */
function byteSizeOf(dtype: SafetensorsDType, shape: unknown): number | string {
  if (!Array.isArray(shape)) return `shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`;
  let numel = 1;
  for (const dim of shape as unknown[]) {
    if (typeof dim !== 'number' || !Number.isSafeInteger(dim) || dim < 0) {
      return `shape must be a list of non-negative safe integers, got ${JSON.stringify(shape)}`;
    }
    numel *= dim;
    if (numel > Number.MAX_SAFE_INTEGER) return `shape ${JSON.stringify(shape)} has more than 2^53 - 1 elements`;
  }
  const bits = numel * DTYPE_BITS[dtype];
  if (!Number.isSafeInteger(bits)) return `shape ${JSON.stringify(shape)} is too large for dtype ${dtype}`;
  if (bits % 8 !== 0) {
    return `dtype ${dtype} shape ${JSON.stringify(shape)} is ${numel} × ${DTYPE_BITS[dtype]} bits, not a whole number of bytes`;
  }
  return bits / 8;
}

function compareUtf8(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

function entriesOf(entries: SafetensorsEntries): [string, SafetensorsEntry][] {
  if (entries instanceof Map) return [...(entries as ReadonlyMap<string, SafetensorsEntry>)];
  return Object.entries(entries as Readonly<Record<string, SafetensorsEntry>>);
}

function bytesOf(name: string, entry: SafetensorsEntry): Uint8Array {
  const { dtype, data } = entry;
  if (!ArrayBuffer.isView(data) || data instanceof DataView) {
    throw new SafetensorsError(`encodeSafetensors: tensor ${quote(name)} data must be a typed array, got ${String(data)}`);
  }
  if (data instanceof Uint8Array) return data;
  const kind = data.constructor.name;
  if (kind === 'Uint8Array') return new Uint8Array(data.buffer, data.byteOffset, data.byteLength); // another realm's
  const allowed = TYPED_ARRAY_DTYPES.get(kind);
  if (allowed === undefined || !allowed.includes(dtype)) {
    throw new SafetensorsError(
      `encodeSafetensors: tensor ${quote(name)} has dtype ${dtype} but its data is a ${kind}; ` +
        `pass ${[...TYPED_ARRAY_DTYPES].filter(([, ds]) => ds.includes(dtype)).map(([k]) => k).concat('Uint8Array (raw bytes)').join(' or ')}`,
    );
  }
  if (!HOST_IS_LITTLE_ENDIAN && data.BYTES_PER_ELEMENT > 1) {
    throw new SafetensorsError(
      `encodeSafetensors: this host is big-endian; pass tensor ${quote(name)} as little-endian bytes in a Uint8Array`,
    );
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Validates the entries and lays out the file: the header bytes and each tensor's bytes in file order.
 * {@link encodeSafetensors} concatenates them; the Node writer streams them to disk.
 *
 * @throws {@link SafetensorsError} for an unknown dtype, a bad shape, data whose size or type does not match, a name
 * that is `__metadata__` or not valid Unicode, or metadata values that are not strings.
 *
 * @example
 * const plan = planSafetensors({ w: { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) } });
 * plan.byteLength // 8 + header + 8
 */
export function planSafetensors(entries: SafetensorsEntries, metadata?: Readonly<Record<string, string>>): SafetensorsPlan {
  const fn = 'encodeSafetensors';
  const items = entriesOf(entries).map(([name, entry]) => {
    if (name === '__metadata__') throw new SafetensorsError(`${fn}: '__metadata__' is reserved and cannot name a tensor`);
    if (LONE_SURROGATE.test(name)) {
      throw new SafetensorsError(`${fn}: tensor name ${JSON.stringify(name)} is not valid Unicode (lone surrogate)`);
    }
    if (typeof entry !== 'object' || entry === null) {
      throw new SafetensorsError(`${fn}: tensor ${quote(name)} must be { dtype, shape, data }, got ${String(entry)}`);
    }
    if (!isDType(entry.dtype)) {
      throw new SafetensorsError(
        `${fn}: tensor ${quote(name)} has unknown dtype ${JSON.stringify(entry.dtype)}; expected one of ${SAFETENSORS_DTYPES.join(', ')}`,
      );
    }
    const size = byteSizeOf(entry.dtype, entry.shape);
    if (typeof size === 'string') throw new SafetensorsError(`${fn}: tensor ${quote(name)} ${size}`);
    const bytes = bytesOf(name, entry);
    if (bytes.byteLength !== size) {
      throw new SafetensorsError(
        `${fn}: tensor ${quote(name)} has ${bytes.byteLength} bytes of data but dtype ${entry.dtype} shape ` +
          `${JSON.stringify(entry.shape)} needs ${size} bytes`,
      );
    }
    return { name, key: utf8.encode(name), dtype: entry.dtype, shape: [...entry.shape], bytes };
  });
  // The reference order: dtype descending (its enum order), then name ascending by UTF-8 bytes.
  items.sort(
    (a, b) => (DTYPE_RANK.get(b.dtype) as number) - (DTYPE_RANK.get(a.dtype) as number) || compareUtf8(a.key, b.key),
  );

  const parts: string[] = [];
  if (metadata !== undefined) {
    if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
      throw new SafetensorsError(`${fn}: metadata must be an object of strings, got ${JSON.stringify(metadata)}`);
    }
    const keys = Object.keys(metadata).map((k) => ({ k, key: utf8.encode(k) }));
    keys.sort((a, b) => compareUtf8(a.key, b.key));
    const fields = keys.map(({ k }) => {
      const v: unknown = metadata[k];
      if (typeof v !== 'string') {
        throw new SafetensorsError(`${fn}: metadata value of ${quote(k)} must be a string, got ${typeof v} ${String(v)}`);
      }
      if (LONE_SURROGATE.test(k) || LONE_SURROGATE.test(v)) {
        throw new SafetensorsError(`${fn}: metadata entry ${JSON.stringify(k)} is not valid Unicode (lone surrogate)`);
      }
      return `${JSON.stringify(k)}:${JSON.stringify(v)}`;
    });
    parts.push(`"__metadata__":{${fields.join(',')}}`);
  }
  let offset = 0;
  for (const item of items) {
    const end = offset + item.bytes.byteLength;
    parts.push(
      `${JSON.stringify(item.name)}:{"dtype":"${item.dtype}","shape":[${item.shape.join(',')}],"data_offsets":[${offset},${end}]}`,
    );
    offset = end;
  }
  const json = utf8.encode(`{${parts.join(',')}}`);
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded > SAFETENSORS_MAX_HEADER_BYTES) {
    throw new SafetensorsError(
      `${fn}: header would be ${padded} bytes, over the ${SAFETENSORS_MAX_HEADER_BYTES}-byte limit readers accept`,
    );
  }
  const header = new Uint8Array(8 + padded).fill(0x20, 8 + json.length);
  new DataView(header.buffer).setUint32(0, padded, true); // the high word stays 0: padded < 2^32
  header.set(json, 8);
  return { header, chunks: items.map((i) => i.bytes), byteLength: header.length + offset };
}

/**
 * Encodes tensors (and optional `__metadata__`) as a safetensors file, byte-identical to what the reference
 * implementation writes for the same tensors (metadata keys are sorted; the reference writes them in hash order).
 *
 * @param entries - tensors by name; data is a typed array of the dtype's element type, or raw little-endian bytes.
 * @param metadata - string-to-string pairs stored as `__metadata__` (omitted from the file when undefined).
 * @throws {@link SafetensorsError} when an entry or the metadata is invalid (see {@link planSafetensors}).
 *
 * @example
 * const bytes = encodeSafetensors(
 *   { 'layer.weight': { dtype: 'F32', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) } },
 *   { format: 'nibble' },
 * );
 */
export function encodeSafetensors(entries: SafetensorsEntries, metadata?: Readonly<Record<string, string>>): Uint8Array {
  const plan = planSafetensors(entries, metadata);
  const out = new Uint8Array(plan.byteLength);
  out.set(plan.header, 0);
  let at = plan.header.length;
  for (const chunk of plan.chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

function describeValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

interface HeaderEntry {
  readonly name: string;
  readonly dtype: SafetensorsDType;
  readonly shape: readonly number[];
  readonly begin: number;
  readonly end: number;
}

function parseTensorInfo(name: string, info: unknown): HeaderEntry {
  const fail = (what: string): never => {
    throw new SafetensorsError(`safetensors: tensor ${quote(name)} ${what}`);
  };
  if (typeof info !== 'object' || info === null || Array.isArray(info)) {
    return fail(`must be an object { dtype, shape, data_offsets }, got ${describeValue(info)}`);
  }
  const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
  if (!isDType(dtype)) {
    return fail(`has unknown dtype ${describeValue(dtype)}; expected one of ${SAFETENSORS_DTYPES.join(', ')}`);
  }
  const size = byteSizeOf(dtype, shape);
  if (typeof size === 'string') return fail(size);
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o: unknown) => typeof o === 'number' && Number.isSafeInteger(o) && o >= 0)
  ) {
    return fail(`has data_offsets ${describeValue(offsets)}; expected [begin, end] with non-negative integers`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) return fail(`has data_offsets [${begin}, ${end}] with end before begin`);
  if (end - begin !== size) {
    return fail(
      `has data_offsets [${begin}, ${end}] (${end - begin} bytes) but dtype ${dtype} shape ${JSON.stringify(shape)} ` +
        `needs ${size} bytes`,
    );
  }
  return { name, dtype, shape: shape as number[], begin, end };
}

function parseMetadata(value: unknown): Record<string, string> {
  const metadata = Object.create(null) as Record<string, string>;
  if (value === null) return metadata; // the reference reads `null` as "no metadata"
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new SafetensorsError(`safetensors: __metadata__ must be an object of strings, got ${describeValue(value)}`);
  }
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v !== 'string') {
      throw new SafetensorsError(`safetensors: __metadata__ value of ${quote(k)} must be a string, got ${describeValue(v)}`);
    }
    metadata[k] = v;
  }
  return metadata;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** One tensor's place in a file, from its header. Offsets are relative to the data region. */
export interface SafetensorsTensorInfo {
  readonly dtype: SafetensorsDType;
  readonly shape: readonly number[];
  readonly dataOffsets: readonly [begin: number, end: number];
}

/** A validated header: where the data region starts, each tensor's place in it (in data order), the metadata. */
export interface SafetensorsHeader {
  /** Byte offset of the data region in the file: 8 + the header's length. */
  readonly dataStart: number;
  readonly tensors: Map<string, SafetensorsTensorInfo>;
  readonly metadata: Record<string, string>;
}

/** Reads the 8-byte little-endian u64 header length (exact below 2^53; anything that large fails the limit). */
function headerLengthOf(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, 8);
  return view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
}

/**
 * Validates a safetensors header against the file size without touching the data region, so a reader can check a
 * file (e.g. from disk or an HTTP range request) before loading its tensors. Checks: length prefix present, within
 * the file and the 100 MB limit; header valid UTF-8 JSON object starting with `{`; every dtype known; every shape a
 * list of non-negative safe integers; every `data_offsets` pair matching numel × itemsize; tensors covering the data
 * region exactly (no gap, overlap, truncation or trailing bytes); metadata values strings. Unknown fields inside a
 * tensor entry are ignored, and `"__metadata__": null` means no metadata, as in the reference reader.
 *
 * @param prefix - the start of the file: at least its first `8 + N` bytes (N = header length), or the whole file.
 * @param fileLength - the size of the whole file in bytes (defaults to `prefix.length`).
 * @throws {@link SafetensorsError} for any malformed header (and never another error type).
 *
 * @example
 * const header = decodeSafetensorsHeader(firstBytes, fileSize);
 * header.tensors.get('w')?.dataOffsets // [0, 16]
 */
export function decodeSafetensorsHeader(prefix: Uint8Array, fileLength: number = prefix.length): SafetensorsHeader {
  if (!(prefix instanceof Uint8Array)) {
    throw new SafetensorsError(`decodeSafetensorsHeader: expected a Uint8Array, got ${describeValue(prefix)}`);
  }
  if (fileLength < 8 || prefix.length < 8) {
    throw new SafetensorsError(`safetensors: file is ${fileLength} bytes, shorter than the 8-byte header length`);
  }
  const headerLength = headerLengthOf(prefix);
  if (headerLength > SAFETENSORS_MAX_HEADER_BYTES) {
    throw new SafetensorsError(
      `safetensors: header length is ${headerLength} bytes, over the ${SAFETENSORS_MAX_HEADER_BYTES}-byte limit`,
    );
  }
  if (8 + headerLength > fileLength) {
    throw new SafetensorsError(
      `safetensors: header length ${headerLength} needs ${8 + headerLength} bytes but the file has ${fileLength}`,
    );
  }
  if (8 + headerLength > prefix.length) {
    throw new SafetensorsError(
      `decodeSafetensorsHeader: got the first ${prefix.length} bytes of the file, need ${8 + headerLength} to read the header`,
    );
  }
  let text: string;
  try {
    text = strictUtf8.decode(prefix.subarray(8, 8 + headerLength));
  } catch {
    throw new SafetensorsError(`safetensors: header (${headerLength} bytes) is not valid UTF-8`);
  }
  if (!text.startsWith('{')) {
    throw new SafetensorsError(`safetensors: header must start with '{', found ${describeValue(text.slice(0, 16))}`);
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError(`safetensors: header is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new SafetensorsError(`safetensors: header must be a JSON object, got ${describeValue(header)}`);
  }

  let metadata = Object.create(null) as Record<string, string>;
  const entries: HeaderEntry[] = [];
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') metadata = parseMetadata(info);
    else entries.push(parseTensorInfo(name, info));
  }

  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  const dataLength = fileLength - 8 - headerLength;
  let covered = 0;
  let previous: HeaderEntry | undefined;
  for (const e of entries) {
    if (e.begin > covered) {
      throw new SafetensorsError(
        `safetensors: gap in the data region: bytes [${covered}, ${e.begin}) belong to no tensor ` +
          `(tensor ${quote(e.name)} starts at ${e.begin}, expected ${covered})`,
      );
    }
    if (e.begin < covered && previous !== undefined) {
      throw new SafetensorsError(
        `safetensors: tensor ${quote(e.name)} data_offsets [${e.begin}, ${e.end}] overlap tensor ` +
          `${quote(previous.name)} [${previous.begin}, ${previous.end}]`,
      );
    }
    covered = e.end;
    previous = e;
  }
  if (covered > dataLength) {
    throw new SafetensorsError(
      `safetensors: tensors need ${covered} bytes of data but the file has ${dataLength} after the header (truncated?)`,
    );
  }
  if (covered < dataLength) {
    throw new SafetensorsError(
      `safetensors: the file has ${dataLength} bytes of data after the header but the tensors cover only ${covered}`,
    );
  }
  const tensors = new Map<string, SafetensorsTensorInfo>();
  for (const e of entries) tensors.set(e.name, { dtype: e.dtype, shape: e.shape, dataOffsets: [e.begin, e.end] });
  return { dataStart: 8 + headerLength, tensors, metadata };
}

/**
 * Decodes a safetensors file. The whole header is validated against the file size (see
 * {@link decodeSafetensorsHeader}) before a single tensor view is made.
 *
 * @param bytes - the whole file. The returned tensors' `data` are views into it (no copy).
 * @returns tensors in data order, and metadata (an empty object when the file has none).
 * @throws {@link SafetensorsError} for any malformed input (and never another error type).
 *
 * @example
 * const { tensors, metadata } = decodeSafetensors(bytes);
 * const w = tensors.get('layer.weight'); // { dtype: 'F32', shape: [2, 2], data: Uint8Array(16) }
 */
export function decodeSafetensors(bytes: Uint8Array): DecodedSafetensors {
  if (!(bytes instanceof Uint8Array)) {
    throw new SafetensorsError(`decodeSafetensors: expected a Uint8Array, got ${describeValue(bytes)}`);
  }
  const header = decodeSafetensorsHeader(bytes, bytes.length);
  const tensors = new Map<string, SafetensorsTensor>();
  for (const [name, { dtype, shape, dataOffsets }] of header.tensors) {
    const data = bytes.subarray(header.dataStart + dataOffsets[0], header.dataStart + dataOffsets[1]);
    tensors.set(name, { dtype, shape, data });
  }
  return { tensors, metadata: header.metadata };
}

/** Host array type returned by {@link safetensorsTypedArray} for each dtype. */
export type SafetensorsTypedArray =
  | Uint8Array
  | Int8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

/**
 * A tensor's data as a typed array of its element type: F32/C64 → Float32Array (C64 interleaved re, im),
 * F64 → Float64Array, I32 → Int32Array, U32 → Uint32Array, I16 → Int16Array, U16/F16/BF16 → Uint16Array (raw bits),
 * I64 → BigInt64Array, U64 → BigUint64Array, I8 → Int8Array, others → Uint8Array. A view when the bytes are aligned
 * (and the host little-endian), otherwise a copy.
 *
 * @example
 * const w = safetensorsTypedArray(decodeSafetensors(bytes).tensors.get('w')!); // Float32Array for an F32 tensor
 */
export function safetensorsTypedArray(tensor: SafetensorsTensor): SafetensorsTypedArray {
  const { dtype, data } = tensor;
  const ctor = (() => {
    switch (dtype) {
      case 'F32':
      case 'C64':
        return Float32Array;
      case 'F64':
        return Float64Array;
      case 'I32':
        return Int32Array;
      case 'U32':
        return Uint32Array;
      case 'I16':
        return Int16Array;
      case 'U16':
      case 'F16':
      case 'BF16':
        return Uint16Array;
      case 'I64':
        return BigInt64Array;
      case 'U64':
        return BigUint64Array;
      case 'I8':
        return Int8Array;
      default:
        return Uint8Array;
    }
  })();
  const size = ctor.BYTES_PER_ELEMENT;
  if (size > 1 && !HOST_IS_LITTLE_ENDIAN) {
    throw new SafetensorsError(`safetensorsTypedArray: dtype ${dtype} needs a little-endian host`);
  }
  const bytes = data.byteOffset % size === 0 ? data : data.slice();
  return new ctor(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength / size);
}
