import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SafetensorsError } from './errors.ts';
import {
  SAFETENSORS_DTYPES,
  decodeSafetensors,
  decodeSafetensorsHeader,
  encodeSafetensors,
  planSafetensors,
  safetensorsDTypeBits,
  safetensorsTypedArray,
  type SafetensorsDType,
  type SafetensorsEntry,
} from './safetensors.ts';

const fixtureDir = new URL('../../test/fixtures/safetensors/', import.meta.url);
const readFixture = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(name, fixtureDir)));

interface FixtureTensor {
  dtype: SafetensorsDType;
  shape: number[];
  hex: string;
  values: (number | string | boolean)[];
}
const fixture = JSON.parse(readFileSync(new URL('tensors.json', fixtureDir), 'utf8')) as {
  tensors: Record<string, FixtureTensor>;
  files: Record<string, { metadata: Record<string, string> | null; tensors: string[] }>;
};

const hexToBytes = (hex: string): Uint8Array => new Uint8Array((hex.match(/../g) ?? []).map((h) => Number.parseInt(h, 16)));
const bytesToHex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** IEEE half-precision bits to a number (independent of the code under test). */
function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** The fixture tensor as the typed array a nibble user would pass (F16/BF16 as raw uint16 bits). */
function entryFromFixture(t: FixtureTensor): SafetensorsEntry {
  const v = t.values;
  const data = (() => {
    switch (t.dtype) {
      case 'F32':
        return new Float32Array(v as number[]);
      case 'F64':
        return new Float64Array(v as number[]);
      case 'I32':
        return new Int32Array(v as number[]);
      case 'U32':
        return new Uint32Array(v as number[]);
      case 'I16':
        return new Int16Array(v as number[]);
      case 'U16':
        return new Uint16Array(v as number[]);
      case 'I8':
        return new Int8Array(v as number[]);
      case 'U8':
        return new Uint8Array(v as number[]);
      case 'BOOL':
        return new Uint8Array((v as boolean[]).map((b) => (b ? 1 : 0)));
      case 'I64':
        return new BigInt64Array((v as string[]).map((s) => BigInt(s)));
      case 'U64':
        return new BigUint64Array((v as string[]).map((s) => BigInt(s)));
      default: {
        const raw = hexToBytes(t.hex);
        return new Uint16Array(raw.buffer, 0, raw.length / 2);
      }
    }
  })();
  return { dtype: t.dtype, shape: t.shape, data };
}

function entriesOfFile(file: string): Record<string, SafetensorsEntry> {
  const entries: Record<string, SafetensorsEntry> = {};
  for (const name of fixture.files[file]!.tensors) entries[name] = entryFromFixture(fixture.tensors[name]!);
  return entries;
}

/** A file from a header (object or raw text) and a data region of `dataLength` bytes. */
function fileWith(header: unknown, dataLength = 0): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataLength);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  return out;
}

function expectSafetensorsError(fn: () => unknown, message?: RegExp | string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, 'expected a SafetensorsError').toBeInstanceOf(SafetensorsError);
  if (message !== undefined) expect((thrown as Error).message).toMatch(message);
}

describe('files written by the Python safetensors package (fixtures)', () => {
  it.each(Object.keys(fixture.files))('%s decodes to the recorded dtypes, shapes, bytes, values and metadata', (file) => {
    const { tensors, metadata } = decodeSafetensors(readFixture(file));
    const expected = fixture.files[file]!;
    expect([...tensors.keys()].sort()).toEqual([...expected.tensors].sort());
    expect({ ...metadata }).toEqual(expected.metadata ?? {});
    for (const [name, t] of tensors) {
      const want = fixture.tensors[name]!;
      expect(t.dtype).toBe(want.dtype);
      expect(t.shape).toEqual(want.shape);
      expect(bytesToHex(t.data)).toBe(want.hex);
      const typed = safetensorsTypedArray(t);
      const got = Array.from(typed as ArrayLike<number | bigint>, (x) => x);
      switch (t.dtype) {
        case 'I64':
        case 'U64':
          expect(got.map(String)).toEqual(want.values);
          break;
        case 'BOOL':
          expect(got.map((x) => x === 1)).toEqual(want.values);
          break;
        case 'F16':
          expect(got.map((x) => halfToNumber(Number(x)))).toEqual((want.values as number[]).map(Math.fround));
          break;
        case 'BF16':
          expect(got.map((x) => new Float32Array(new Uint32Array([Number(x) << 16]).buffer)[0])).toEqual(want.values);
          break;
        case 'F32':
          expect(got).toEqual((want.values as number[]).map(Math.fround));
          break;
        default:
          expect(got).toEqual(want.values);
      }
    }
  });

  it.each(['one-metadata.safetensors', 'no-metadata.safetensors'])(
    'encoding the same tensors reproduces %s byte for byte',
    (file) => {
      const metadata = fixture.files[file]!.metadata;
      const ours = encodeSafetensors(entriesOfFile(file), metadata ?? undefined);
      expect(bytesToHex(ours)).toBe(bytesToHex(readFixture(file)));
    },
  );

  it('with several metadata keys (hash-ordered by the reference) the header parses equal and the data is identical', () => {
    const file = 'multi-metadata.safetensors';
    const theirs = readFixture(file);
    const ours = encodeSafetensors(entriesOfFile(file), fixture.files[file]!.metadata ?? undefined);
    expect(ours.length).toBe(theirs.length);
    const headerOf = (b: Uint8Array): unknown => {
      const n = new DataView(b.buffer, b.byteOffset).getUint32(0, true);
      return JSON.parse(new TextDecoder().decode(b.subarray(8, 8 + n)));
    };
    expect(headerOf(ours)).toEqual(headerOf(theirs));
    const n = new DataView(theirs.buffer, theirs.byteOffset).getUint32(0, true);
    expect(bytesToHex(ours.subarray(8 + n))).toBe(bytesToHex(theirs.subarray(8 + n)));
  });
});

// ---- generators for property tests ----

const nameArb = fc
  .string({ unit: fc.constantFrom('a', 'b', 'Z', '.', '_', '0', 'é', '权', '😀', '"', '\\', '\n', '\u2028'), maxLength: 8 })
  .filter((s) => s !== '__metadata__');

const entryArb: fc.Arbitrary<SafetensorsEntry> = fc
  .record({
    dtype: fc.constantFrom(...SAFETENSORS_DTYPES),
    shape: fc.array(fc.nat({ max: 4 }), { maxLength: 3 }),
  })
  .chain(({ dtype, shape }): fc.Arbitrary<SafetensorsEntry> => {
    // Sub-byte dtypes (F4, F6_*) need numel × bits to fill whole bytes: make the last dimension a multiple of 4.
    const bits = safetensorsDTypeBits(dtype);
    const fixed = bits % 8 === 0 ? shape : [...shape, 4];
    const bytes = (fixed.reduce((a, b) => a * b, 1) * bits) / 8;
    return fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((data) => ({ dtype, shape: fixed, data }));
  });

const fileArb = fc.record({
  entries: fc.dictionary(nameArb, entryArb, { maxKeys: 6 }),
  metadata: fc.option(fc.dictionary(nameArb, fc.string({ maxLength: 6 }), { maxKeys: 4 }), { nil: undefined }),
});

describe('round trip', () => {
  it('decode(encode(entries, metadata)) returns the same dtypes, shapes, bytes and metadata; re-encoding is identical', () => {
    fc.assert(
      fc.property(fileArb, ({ entries, metadata }) => {
        const bytes = encodeSafetensors(entries, metadata);
        const header = new DataView(bytes.buffer).getUint32(0, true);
        expect(header % 8).toBe(0);
        const decoded = decodeSafetensors(bytes);
        expect({ ...decoded.metadata }).toEqual(metadata ?? {});
        expect(decoded.tensors.size).toBe(Object.keys(entries).length);
        for (const [name, e] of Object.entries(entries)) {
          const t = decoded.tensors.get(name);
          expect(t?.dtype).toBe(e.dtype);
          expect(t?.shape).toEqual(e.shape);
          expect(bytesToHex(t!.data)).toBe(bytesToHex(new Uint8Array(e.data.buffer, e.data.byteOffset, e.data.byteLength)));
          expect(t!.data.buffer).toBe(bytes.buffer); // a view, not a copy
        }
        expect(encodeSafetensors(decoded.tensors, metadata)).toEqual(bytes);
      }),
      { numRuns: 300 },
    );
  });

  it('the order of the entries does not change the bytes', () => {
    fc.assert(
      fc.property(fileArb, ({ entries, metadata }) => {
        const reversed = Object.fromEntries(Object.entries(entries).reverse());
        const metaReversed = metadata && Object.fromEntries(Object.entries(metadata).reverse());
        expect(encodeSafetensors(reversed, metaReversed)).toEqual(encodeSafetensors(entries, metadata));
      }),
    );
  });

  it('plan pieces concatenate to the encoded file', () => {
    const entries = entriesOfFile('one-metadata.safetensors');
    const plan = planSafetensors(entries, { format: 'nibble-fixture' });
    const joined = new Uint8Array(plan.byteLength);
    let at = 0;
    for (const piece of [plan.header, ...plan.chunks]) {
      joined.set(piece, at);
      at += piece.length;
    }
    expect(at).toBe(plan.byteLength);
    expect(joined).toEqual(readFixture('one-metadata.safetensors'));
  });
});

describe('malformed input is refused with SafetensorsError, never another error', () => {
  it('every truncation of the reference fixture', () => {
    const full = readFixture('one-metadata.safetensors');
    for (let cut = 0; cut < full.length; cut++) expectSafetensorsError(() => decodeSafetensors(full.subarray(0, cut)));
  });

  it('every truncation point of random valid files (fast-check over the cut)', () => {
    fc.assert(
      fc.property(fileArb, fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), ({ entries, metadata }, r) => {
        const bytes = encodeSafetensors(entries, metadata);
        const cut = Math.floor(r * bytes.length);
        expectSafetensorsError(() => decodeSafetensors(bytes.slice(0, cut)));
      }),
      { numRuns: 500 },
    );
  });

  it('random corruption of header bytes either decodes consistently or throws SafetensorsError', () => {
    const full = readFixture('one-metadata.safetensors');
    const headerEnd = 8 + new DataView(full.buffer, full.byteOffset).getUint32(0, true);
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.nat({ max: headerEnd - 1 }), value: fc.nat({ max: 255 }) }), { minLength: 1, maxLength: 6 }),
        (edits) => {
          const bytes = full.slice();
          for (const { at, value } of edits) bytes[at] = value;
          try {
            const { tensors } = decodeSafetensors(bytes);
            let total = 0;
            for (const t of tensors.values()) total += t.data.length;
            expect(total).toBe(bytes.length - headerEnd);
          } catch (e) {
            expect(e).toBeInstanceOf(SafetensorsError);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('arbitrary bytes and arbitrary JSON headers never throw anything but SafetensorsError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          decodeSafetensors(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(SafetensorsError);
        }
      }),
    );
    fc.assert(
      fc.property(fc.jsonValue(), fc.nat({ max: 16 }), (header, dataLength) => {
        try {
          decodeSafetensors(fileWith({ t: header }, dataLength));
          decodeSafetensors(fileWith({ __metadata__: header }, dataLength));
        } catch (e) {
          expect(e).toBeInstanceOf(SafetensorsError);
        }
      }),
    );
  });

  it.each([
    ['a file shorter than 8 bytes', new Uint8Array(5), /file is 5 bytes, shorter than the 8-byte header length/],
    ['a header length past the end', fileWith('{}').subarray(0, 9), /header length 2 needs 10 bytes but the file has 9/],
    [
      'a header length over 100 MB',
      (() => {
        const b = fileWith('{}');
        new DataView(b.buffer).setUint32(0, 100_000_001, true);
        return b;
      })(),
      /header length is 100000001 bytes, over the 100000000-byte limit/,
    ],
    [
      'a header length over 2^32',
      (() => {
        const b = fileWith('{}');
        new DataView(b.buffer).setUint32(4, 1, true);
        return b;
      })(),
      /header length is 4294967298 bytes, over the/,
    ],
    [
      'invalid UTF-8',
      (() => {
        const b = fileWith('{"\u00e9":1}');
        b[10] = 0xff;
        return b;
      })(),
      /header \(\d+ bytes\) is not valid UTF-8/,
    ],
    ['a header not starting with {', fileWith(' {}'), /header must start with '\{', found " \{\}"/],
    ['a JSON array', fileWith('[]'), /header must start with '\{'/],
    ['invalid JSON', fileWith('{"a":'), /header is not valid JSON/],
    ['a byte-order mark', fileWith('\ufeff{}'), /header must start with '\{'/],
    ['an unknown dtype', fileWith({ w: { dtype: 'F8', shape: [1], data_offsets: [0, 1] } }, 1), /tensor 'w' has unknown dtype "F8"; expected one of BOOL, F4/],
    ['a negative dimension', fileWith({ w: { dtype: 'U8', shape: [-1], data_offsets: [0, 0] } }), /tensor 'w' shape must be a list of non-negative safe integers, got \[-1\]/],
    ['a fractional dimension', fileWith({ w: { dtype: 'U8', shape: [1.5], data_offsets: [0, 1] } }, 1), /non-negative safe integers, got \[1.5\]/],
    ['a string dimension', fileWith({ w: { dtype: 'U8', shape: ['2'], data_offsets: [0, 2] } }, 2), /got \["2"\]/],
    ['a shape that is not a list', fileWith({ w: { dtype: 'U8', shape: 4, data_offsets: [0, 4] } }, 4), /shape must be a list/],
    ['a huge shape', fileWith({ w: { dtype: 'F32', shape: [2 ** 30, 2 ** 30, 2 ** 30], data_offsets: [0, 4] } }, 4), /more than 2\^53 - 1 elements/],
    ['a sub-byte size', fileWith({ w: { dtype: 'F4', shape: [3], data_offsets: [0, 2] } }, 2), /3 × 4 bits, not a whole number of bytes/],
    [
      'offsets that do not match numel × itemsize',
      fileWith({ w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 12] } }, 12),
      "safetensors: tensor 'w' has data_offsets [0, 12] (12 bytes) but dtype F32 shape [2,2] needs 16 bytes",
    ],
    ['three offsets', fileWith({ w: { dtype: 'U8', shape: [1], data_offsets: [0, 1, 2] } }, 1), /data_offsets \[0,1,2\]; expected \[begin, end\]/],
    ['negative offsets', fileWith({ w: { dtype: 'U8', shape: [0], data_offsets: [-1, -1] } }), /expected \[begin, end\] with non-negative integers/],
    ['end before begin', fileWith({ w: { dtype: 'U8', shape: [0], data_offsets: [2, 1] } }, 2), /data_offsets \[2, 1\] with end before begin/],
    ['missing offsets', fileWith({ w: { dtype: 'U8', shape: [0] } }), /data_offsets undefined/],
    ['a tensor entry that is not an object', fileWith({ w: 3 }), /tensor 'w' must be an object \{ dtype, shape, data_offsets \}, got 3/],
    [
      'a gap between tensors',
      fileWith({ a: { dtype: 'U8', shape: [1], data_offsets: [0, 1] }, b: { dtype: 'U8', shape: [1], data_offsets: [2, 3] } }, 3),
      /gap in the data region: bytes \[1, 2\) belong to no tensor \(tensor 'b' starts at 2, expected 1\)/,
    ],
    [
      'overlapping tensors',
      fileWith({ a: { dtype: 'U8', shape: [2], data_offsets: [0, 2] }, b: { dtype: 'U8', shape: [2], data_offsets: [1, 3] } }, 3),
      /tensor 'b' data_offsets \[1, 3\] overlap tensor 'a' \[0, 2\]/,
    ],
    ['a data region that does not start at 0', fileWith({ a: { dtype: 'U8', shape: [1], data_offsets: [1, 2] } }, 2), /gap in the data region: bytes \[0, 1\)/],
    ['missing data (truncated)', fileWith({ a: { dtype: 'U8', shape: [4], data_offsets: [0, 4] } }, 3), /tensors need 4 bytes of data but the file has 3 after the header \(truncated\?\)/],
    ['trailing bytes', fileWith({ a: { dtype: 'U8', shape: [4], data_offsets: [0, 4] } }, 5), /the file has 5 bytes of data after the header but the tensors cover only 4/],
    ['a metadata value that is not a string', fileWith({ __metadata__: { step: 3 } }), /__metadata__ value of 'step' must be a string, got 3/],
    ['metadata that is a list', fileWith({ __metadata__: ['a'] }), /__metadata__ must be an object of strings, got \["a"\]/],
  ] as const)('%s', (_what, bytes, message) => {
    expectSafetensorsError(() => decodeSafetensors(bytes), message);
  });

  it('accepts what the reference accepts: null metadata, unknown fields, zero-size tensors, an empty file', () => {
    const file = fileWith(
      { __metadata__: null, z: { dtype: 'F32', shape: [0], data_offsets: [0, 0], extra: 1 }, a: { dtype: 'U8', shape: [2], data_offsets: [0, 2] } },
      2,
    );
    const { tensors, metadata } = decodeSafetensors(file);
    expect({ ...metadata }).toEqual({});
    expect(tensors.get('z')?.data.length).toBe(0);
    expect(Array.from(tensors.get('a')!.data)).toEqual([0, 0]);
    const empty = encodeSafetensors({});
    expect(new TextDecoder().decode(empty.subarray(8))).toBe('{}      ');
    expect(decodeSafetensors(empty).tensors.size).toBe(0);
  });

  it('a "__proto__" name or metadata key is an ordinary key', () => {
    const bytes = fileWith('{"__metadata__":{"__proto__":"x"},"__proto__":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', 1);
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect(Object.getOwnPropertyDescriptor(metadata, '__proto__')?.value).toBe('x');
    expect(tensors.get('__proto__')?.shape).toEqual([1]);
  });
});

describe('encodeSafetensors refuses invalid entries with SafetensorsError', () => {
  const f32 = (n: number): Float32Array => new Float32Array(n);
  it.each([
    ['a size mismatch', { w: { dtype: 'F32', shape: [2, 2], data: f32(3) } }, undefined, /tensor 'w' has 12 bytes of data but dtype F32 shape \[2,2\] needs 16 bytes/],
    ['an unknown dtype', { w: { dtype: 'F8', shape: [1], data: new Uint8Array(1) } }, undefined, /unknown dtype "F8"/],
    ['a typed array of another type', { w: { dtype: 'I32', shape: [2], data: f32(2) } }, undefined, /tensor 'w' has dtype I32 but its data is a Float32Array; pass Int32Array or Uint8Array \(raw bytes\)/],
    ['a bad shape', { w: { dtype: 'U8', shape: [-1], data: new Uint8Array(0) } }, undefined, /shape must be a list of non-negative safe integers, got \[-1\]/],
    ['data that is not a typed array', { w: { dtype: 'U8', shape: [1], data: [1] } }, undefined, /data must be a typed array/],
    ['the reserved name', { __metadata__: { dtype: 'U8', shape: [0], data: new Uint8Array(0) } }, undefined, /'__metadata__' is reserved/],
    ['a lone surrogate in a name', { ['a\ud800']: { dtype: 'U8', shape: [0], data: new Uint8Array(0) } }, undefined, /not valid Unicode/],
    ['a metadata value that is not a string', {}, { step: 3 }, /metadata value of 'step' must be a string, got number 3/],
  ])('%s', (_what, entries, metadata, message) => {
    expectSafetensorsError(
      () => encodeSafetensors(entries as unknown as Record<string, SafetensorsEntry>, metadata as unknown as Record<string, string>),
      message,
    );
  });

  it('accepts a Uint8Array of raw bytes for any dtype and a Map of entries', () => {
    const raw = new Uint8Array(new Float32Array([1.5, -2]).buffer);
    const a = encodeSafetensors(new Map([['w', { dtype: 'F32' as const, shape: [2], data: raw }]]));
    const b = encodeSafetensors({ w: { dtype: 'F32', shape: [2], data: new Float32Array([1.5, -2]) } });
    expect(a).toEqual(b);
  });
});

describe('safetensorsTypedArray', () => {
  it('returns a view when aligned and a copy when not, with the same values', () => {
    const bytes = encodeSafetensors({ w: { dtype: 'F32', shape: [3], data: new Float32Array([1, 2, 3]) } });
    const t = decodeSafetensors(bytes).tensors.get('w')!;
    const view = safetensorsTypedArray(t);
    expect(view).toEqual(new Float32Array([1, 2, 3]));
    expect(view.buffer).toBe(bytes.buffer);
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    const copy = safetensorsTypedArray(decodeSafetensors(shifted.subarray(1)).tensors.get('w')!);
    expect(copy).toEqual(new Float32Array([1, 2, 3]));
    expect(copy.buffer).not.toBe(shifted.buffer);
  });
});

describe('decodeSafetensorsHeader', () => {
  it('validates a file from its first 8 + N bytes and its size, without the data region', () => {
    const full = readFixture('one-metadata.safetensors');
    const n = new DataView(full.buffer, full.byteOffset).getUint32(0, true);
    const header = decodeSafetensorsHeader(full.slice(0, 8 + n), full.length);
    expect(header.dataStart).toBe(8 + n);
    expect({ ...header.metadata }).toEqual({ format: 'nibble-fixture' });
    const decoded = decodeSafetensors(full);
    for (const [name, info] of header.tensors) {
      const [begin, end] = info.dataOffsets;
      expect(full.subarray(8 + n + begin, 8 + n + end)).toEqual(decoded.tensors.get(name)!.data);
    }
    expectSafetensorsError(() => decodeSafetensorsHeader(full.slice(0, 8 + n), full.length - 1), /truncated/);
    expectSafetensorsError(() => decodeSafetensorsHeader(full.slice(0, 20), full.length), /got the first 20 bytes of the file, need/);
  });
});
