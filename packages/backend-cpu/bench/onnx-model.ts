// A minimal protobuf writer for ONNX ModelProto, enough to build single-node models (MatMulNBits, LSTM) for the
// onnxruntime-node comparisons without Python. Field numbers follow onnx/onnx.proto (IR version 8).

class Writer {
  private readonly parts: Uint8Array[] = [];
  private varint(v: number): void {
    const bytes: number[] = [];
    let x = BigInt(v);
    if (x < 0n) x += 1n << 64n;
    do {
      let b = Number(x & 0x7fn);
      x >>= 7n;
      if (x > 0n) b |= 0x80;
      bytes.push(b);
    } while (x > 0n);
    this.parts.push(Uint8Array.from(bytes));
  }
  private key(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }
  int(field: number, v: number): this {
    this.key(field, 0);
    this.varint(v);
    return this;
  }
  bytes(field: number, data: Uint8Array): this {
    this.key(field, 2);
    this.varint(data.length);
    this.parts.push(data);
    return this;
  }
  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }
  message(field: number, w: Writer): this {
    return this.bytes(field, w.finish());
  }
  finish(): Uint8Array {
    const total = this.parts.reduce((n, p) => n + p.length, 0);
    const out = new Uint8Array(total);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

export const enum OnnxType {
  Float = 1,
  Uint8 = 2,
}

export interface OnnxTensor {
  readonly name: string;
  readonly type: OnnxType;
  readonly dims: readonly number[];
  readonly data: Float32Array | Uint8Array;
}

export interface OnnxNode {
  readonly op: string;
  readonly domain?: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly intAttributes?: Readonly<Record<string, number>>;
}

function valueInfo(name: string, type: OnnxType, dims: readonly number[]): Writer {
  const shape = new Writer();
  for (const d of dims) shape.message(1, new Writer().int(1, d));
  const tensorType = new Writer().int(1, type).message(2, shape);
  return new Writer().string(1, name).message(2, new Writer().message(1, tensorType));
}

/** Serializes a one-graph model: inputs/outputs with static shapes, initializers as raw data. */
export function onnxModel(spec: {
  readonly nodes: readonly OnnxNode[];
  readonly inputs: readonly { name: string; type: OnnxType; dims: readonly number[] }[];
  readonly outputs: readonly { name: string; type: OnnxType; dims: readonly number[] }[];
  readonly initializers: readonly OnnxTensor[];
}): Uint8Array {
  const graph = new Writer();
  spec.nodes.forEach((n, i) => {
    const node = new Writer();
    for (const x of n.inputs) node.string(1, x);
    for (const y of n.outputs) node.string(2, y);
    node.string(3, `node${i}`).string(4, n.op);
    for (const [name, value] of Object.entries(n.intAttributes ?? {})) node.message(5, new Writer().string(1, name).int(3, value).int(20, 2));
    if (n.domain !== undefined) node.string(7, n.domain);
    graph.message(1, node);
  });
  graph.string(2, 'bench');
  for (const t of spec.initializers) {
    const tensor = new Writer();
    for (const d of t.dims) tensor.int(1, d);
    tensor.int(2, t.type).string(8, t.name).bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    graph.message(5, tensor);
  }
  for (const v of spec.inputs) graph.message(11, valueInfo(v.name, v.type, v.dims));
  for (const v of spec.outputs) graph.message(12, valueInfo(v.name, v.type, v.dims));
  return new Writer()
    .int(1, 8)
    .message(8, new Writer().string(1, '').int(2, 17))
    .message(8, new Writer().string(1, 'com.microsoft').int(2, 1))
    .message(7, graph)
    .finish();
}
