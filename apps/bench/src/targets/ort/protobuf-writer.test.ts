import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ProtoWriter } from './protobuf-writer.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Independent varint decoder (the textbook loop) to round-trip against. */
function readVarint(b: Uint8Array, start: number): { value: bigint; next: number } {
  let value = 0n;
  let shift = 0n;
  let i = start;
  for (;;) {
    const byte = b[i++] as number;
    value |= BigInt(byte & 0x7f) << shift;
    shift += 7n;
    if ((byte & 0x80) === 0) return { value, next: i };
  }
}

describe('ProtoWriter (protobuf wire format)', () => {
  it('matches the encoding examples of the protobuf documentation', () => {
    // developers.google.com/protocol-buffers/docs/encoding: field 1 = 150 → 08 96 01; field 2 = "testing" → 12 07 74 65 73 74 69 6e 67
    expect(hex(new ProtoWriter().int(1, 150).finish())).toBe('089601');
    expect(hex(new ProtoWriter().string(2, 'testing').finish())).toBe('120774657374696e67');
    // a nested message: field 3 = { field 1 = 150 } → 1a 03 08 96 01
    expect(hex(new ProtoWriter().message(3, new ProtoWriter().int(1, 150)).finish())).toBe('1a03089601');
    // negative int64 is ten bytes of two's complement: -1 → ff ff ff ff ff ff ff ff ff 01
    expect(hex(new ProtoWriter().int(1, -1).finish())).toBe('08ffffffffffffffffff01');
    // float 1.0 as fixed32 little-endian: field 2 → 15 00 00 80 3f
    expect(hex(new ProtoWriter().float(2, 1).finish())).toBe('150000803f');
  });

  it('varints round-trip through an independent decoder', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }), fc.integer({ min: 1, max: 536870911 }), (v, field) => {
        const b = new ProtoWriter().int(field, v).finish();
        const tag = readVarint(b, 0);
        expect(tag.value).toBe(BigInt(field) << 3n);
        const value = readVarint(b, tag.next);
        expect(value.value).toBe(v);
        expect(value.next).toBe(b.length);
      }),
    );
  });
});
