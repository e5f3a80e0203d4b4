// Writes ONNX ModelProto bytes for small graphs, with field numbers from onnx/onnx.proto (IR version 8, opset 17).
// Only the parts the bench needs: float / int64 tensors as raw_data initializers, float graph inputs/outputs, node
// attributes of type INT, FLOAT, STRING, INTS and STRINGS.
import { ProtoWriter } from './protobuf-writer.js';

/** onnx.TensorProto.DataType values used here. */
export const OnnxDataType = { FLOAT: 1, UINT8: 2, INT32: 6, INT64: 7 } as const;

/** An initializer (constant tensor stored in the model). */
export interface OnnxInitializer {
  readonly name: string;
  readonly dims: readonly number[];
  readonly data: Float32Array | BigInt64Array | Uint8Array;
}

/** A node attribute value: number (INT if integral and `int` is set), string, or lists. */
export type OnnxAttribute =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly kind: 'strings'; readonly value: readonly string[] };

/** A graph node. */
export interface OnnxNode {
  readonly opType: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes?: Readonly<Record<string, OnnxAttribute>>;
  readonly domain?: string;
}

/** A graph input or output: a float tensor of fixed shape. */
export interface OnnxValue {
  readonly name: string;
  readonly dims: readonly number[];
}

/** A whole model. */
export interface OnnxGraph {
  readonly name: string;
  readonly nodes: readonly OnnxNode[];
  readonly initializers: readonly OnnxInitializer[];
  readonly inputs: readonly OnnxValue[];
  readonly outputs: readonly OnnxValue[];
  /** Extra operator sets, e.g. { domain: 'com.microsoft', version: 1 } for MatMulNBits. */
  readonly extraOpsets?: readonly { readonly domain: string; readonly version: number }[];
}

function tensorProto(t: OnnxInitializer): ProtoWriter {
  const w = new ProtoWriter();
  for (const d of t.dims) w.int(1, d); // dims
  const type = t.data instanceof Float32Array ? OnnxDataType.FLOAT : t.data instanceof BigInt64Array ? OnnxDataType.INT64 : OnnxDataType.UINT8;
  w.int(2, type); // data_type
  w.string(8, t.name); // name
  // raw_data is little-endian, which is the byte order of typed arrays on every platform Node runs on here
  w.bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  return w;
}

function valueInfo(v: OnnxValue): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.dims) shape.message(1, new ProtoWriter().int(1, d)); // dim { dim_value }
  const tensorType = new ProtoWriter().int(1, OnnxDataType.FLOAT).message(2, shape); // elem_type, shape
  const type = new ProtoWriter().message(1, tensorType); // TypeProto.tensor_type
  return new ProtoWriter().string(1, v.name).message(2, type);
}

const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, ints: 7, strings: 8 } as const;

function attribute(name: string, a: OnnxAttribute): ProtoWriter {
  const w = new ProtoWriter().string(1, name);
  switch (a.kind) {
    case 'float':
      w.float(2, a.value);
      break;
    case 'int':
      w.int(3, a.value);
      break;
    case 'string':
      w.string(4, a.value);
      break;
    case 'ints':
      for (const v of a.value) w.int(8, v);
      break;
    case 'strings':
      for (const v of a.value) w.string(9, v);
      break;
  }
  return w.int(20, ATTRIBUTE_TYPE[a.kind]);
}

function nodeProto(n: OnnxNode, index: number): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, `${n.opType}_${index}`);
  w.string(4, n.opType);
  for (const [name, a] of Object.entries(n.attributes ?? {})) w.message(5, attribute(name, a));
  if (n.domain !== undefined) w.string(7, n.domain);
  return w;
}

/**
 * Encodes a model as ONNX protobuf bytes, ready for `InferenceSession.create(bytes)`.
 *
 * @example
 * const bytes = encodeOnnxModel({ name: 'mm', nodes: [{ opType: 'MatMul', inputs: ['A', 'B'], outputs: ['C'] }],
 *   initializers: [], inputs: [{ name: 'A', dims: [2, 2] }, { name: 'B', dims: [2, 2] }], outputs: [{ name: 'C', dims: [2, 2] }] });
 */
export function encodeOnnxModel(g: OnnxGraph): Uint8Array {
  const graph = new ProtoWriter();
  g.nodes.forEach((n, i) => graph.message(1, nodeProto(n, i)));
  graph.string(2, g.name);
  for (const t of g.initializers) graph.message(5, tensorProto(t));
  for (const v of g.inputs) graph.message(11, valueInfo(v));
  for (const v of g.outputs) graph.message(12, valueInfo(v));
  const model = new ProtoWriter().int(1, 8).string(2, 'nibble-bench'); // ir_version, producer_name
  model.message(7, graph);
  model.message(8, new ProtoWriter().string(1, '').int(2, 17)); // default opset
  for (const o of g.extraOpsets ?? []) model.message(8, new ProtoWriter().string(1, o.domain).int(2, o.version));
  return model.finish();
}
