/**
 * A minimal protobuf wire-format reader for ONNX test data (test code only): TensorProto (.pb inputs/outputs) and
 * the attributes of the single node of a backend-test model.onnx.
 */
import { readFileSync } from 'node:fs';

type Field = { wire: number; varint?: bigint; bytes?: Uint8Array; fixed32?: number; fixed64?: number };

function readVarint(buf: Uint8Array, pos: { p: number }): bigint {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    const b = buf[pos.p++]!;
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return result;
    shift += 7n;
  }
}

/** Decodes one message into its fields by number (repeated fields keep their order). */
export function decodeMessage(buf: Uint8Array): Map<number, Field[]> {
  const fields = new Map<number, Field[]>();
  const pos = { p: 0 };
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  while (pos.p < buf.length) {
    const tag = Number(readVarint(buf, pos));
    const num = tag >>> 3;
    const wire = tag & 7;
    let f: Field;
    if (wire === 0) f = { wire, varint: readVarint(buf, pos) };
    else if (wire === 1) {
      f = { wire, fixed64: view.getFloat64(pos.p, true) };
      pos.p += 8;
    } else if (wire === 2) {
      const len = Number(readVarint(buf, pos));
      f = { wire, bytes: buf.subarray(pos.p, pos.p + len) };
      pos.p += len;
    } else if (wire === 5) {
      f = { wire, fixed32: view.getFloat32(pos.p, true) };
      pos.p += 4;
    } else throw new Error(`protobuf: unsupported wire type ${wire} at byte ${pos.p}`);
    if (!fields.has(num)) fields.set(num, []);
    fields.get(num)!.push(f);
  }
  return fields;
}

function packedVarints(fields: Field[] | undefined): bigint[] {
  const out: bigint[] = [];
  for (const f of fields ?? []) {
    if (f.varint !== undefined) out.push(f.varint);
    else if (f.bytes) {
      const pos = { p: 0 };
      while (pos.p < f.bytes.length) out.push(readVarint(f.bytes, pos));
    }
  }
  return out;
}

const text = (f: Field | undefined): string => (f?.bytes ? new TextDecoder().decode(f.bytes) : '');

/** An ONNX TensorProto: dims=1, data_type=2 (1 = float), float_data=4, name=8, raw_data=9. */
export interface OnnxTensor {
  name: string;
  dims: number[];
  data: Float32Array;
}

export function decodeTensor(buf: Uint8Array): OnnxTensor {
  const m = decodeMessage(buf);
  const dims = packedVarints(m.get(1)).map(Number);
  const dataType = Number(m.get(2)?.[0]?.varint ?? 0n);
  if (dataType !== 1) throw new Error(`decodeTensor: data_type ${dataType}; expected 1 (float)`);
  const n = dims.reduce((a, d) => a * d, 1);
  let data: Float32Array;
  const raw = m.get(9)?.[0]?.bytes;
  if (raw) {
    data = new Float32Array(n);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i < n; i++) data[i] = view.getFloat32(4 * i, true);
  } else {
    const values: number[] = [];
    for (const f of m.get(4) ?? []) {
      if (f.fixed32 !== undefined) values.push(f.fixed32);
      else if (f.bytes) {
        const view = new DataView(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength);
        for (let i = 0; i < f.bytes.length; i += 4) values.push(view.getFloat32(i, true));
      }
    }
    data = Float32Array.from(values);
  }
  if (data.length !== n) throw new Error(`decodeTensor: ${data.length} values for dims [${dims}]`);
  return { name: text(m.get(8)?.[0]), dims, data };
}

export function readTensor(path: string): OnnxTensor {
  return decodeTensor(new Uint8Array(readFileSync(path)));
}

/** Op type and attributes (ints, floats, strings) of the first node of a model.onnx (ModelProto.graph=7, node=1). */
export function readNode(path: string): { opType: string; inputs: string[]; attributes: Map<string, number | string> } {
  const model = decodeMessage(new Uint8Array(readFileSync(path)));
  const graph = decodeMessage(model.get(7)![0]!.bytes!);
  const node = decodeMessage(graph.get(1)![0]!.bytes!);
  const attributes = new Map<string, number | string>();
  for (const a of node.get(5) ?? []) {
    const attr = decodeMessage(a.bytes!);
    const name = text(attr.get(1)?.[0]);
    if (attr.has(2)) attributes.set(name, attr.get(2)![0]!.fixed32!);
    else if (attr.has(3)) attributes.set(name, Number(BigInt.asIntN(64, attr.get(3)![0]!.varint!)));
    else if (attr.has(4)) attributes.set(name, text(attr.get(4)![0]));
  }
  return { opType: text(node.get(4)?.[0]), inputs: (node.get(1) ?? []).map(text), attributes };
}

/** The default-domain opset version of a model (ModelProto.opset_import=8: domain=1, version=2). */
export function readOpset(path: string): number {
  const model = decodeMessage(new Uint8Array(readFileSync(path)));
  for (const f of model.get(8) ?? []) {
    const op = decodeMessage(f.bytes!);
    if (text(op.get(1)?.[0]) === '') return Number(op.get(2)?.[0]?.varint ?? 0n);
  }
  return 0;
}
