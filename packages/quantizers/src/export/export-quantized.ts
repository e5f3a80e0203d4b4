import { encodeSafetensors, type Tensor } from '@nibble/core';
import type { Module } from '@nibble/layers';
import { QuantizerError, QuantizerExportError } from '../errors.ts';
import type { QatHandle } from '../qat/prepare-qat.ts';
import { payloadBits, type JsonValue } from '../spi.ts';
import { encodePacked, type PackedWeightRecord, QUANTIZED_FORMAT, QUANTIZED_FORMAT_VERSION, type RawEntry } from './format.ts';

/** Sizes of one exported weight. */
export interface ExportedWeightSize {
  /** The quantizer's `sizeBits` (spec §8). */
  readonly sizeBits: number;
  /** Bits its tensors take in the file (codes, scales or codebook, zero-points); see the format notes. */
  readonly payloadBits: number;
}

/** Tensors and metadata of a quantized model file, before encoding (the Node writer streams them). */
export interface QuantizedFilePlan {
  readonly entries: Readonly<Record<string, RawEntry>>;
  readonly metadata: Readonly<Record<string, string>>;
  /** Σ of the quantizers' `sizeBits` over packed weights. */
  readonly sizeBits: number;
  /** Σ of the payload bits of packed weights (bytes × 8 of their tensors). */
  readonly payloadBits: number;
  /** Bits of the unquantized tensors (32 per float32 element). */
  readonly floatBits: number;
  readonly weights: Readonly<Record<string, ExportedWeightSize>>;
}

/** Result of {@link exportQuantized}: the safetensors bytes and the sizes. */
export interface ExportedModel extends Omit<QuantizedFilePlan, 'entries' | 'metadata'> {
  readonly bytes: Uint8Array;
}

const DTYPE_OF: Partial<Record<Tensor['dtype'], RawEntry['dtype']>> = { float32: 'F32', int32: 'I32', uint8: 'U8', int8: 'I8', bool: 'BOOL' };

function toJson(value: unknown, where: string): JsonValue {
  try {
    const text = JSON.stringify(value ?? null);
    return JSON.parse(text) as JsonValue;
  } catch (e) {
    throw new QuantizerExportError(`exportQuantized: ${where} config is not JSON-serializable (${String(e)})`);
  }
}

/**
 * Lays out the file of {@link exportQuantized} without encoding it: each quantized weight's packed tensors, every
 * other parameter and buffer in its own dtype, and the metadata.
 */
export function planQuantizedFile(model: Module, qat: QatHandle): QuantizedFilePlan {
  if (qat.model !== model) throw new QuantizerExportError('exportQuantized: the QAT handle belongs to another model');
  if (!qat.attached) throw new QuantizerExportError('exportQuantized: the QAT handle was detached; export before detach()');
  const entries: Record<string, RawEntry> = {};
  const records: Record<string, PackedWeightRecord> = {};
  const weights: Record<string, ExportedWeightSize> = {};
  let sizeBits = 0;
  let payload = 0;
  let floatBits = 0;
  const put = (name: string, e: RawEntry) => {
    if (name in entries) throw new QuantizerExportError(`exportQuantized: tensor name '${name}' is produced twice (a parameter is named like another weight's packed tensors)`);
    entries[name] = e;
  };
  for (const [name, t] of model.stateDict()) {
    const binding = qat.bindings.get(name);
    if (!binding) {
      const dtype = DTYPE_OF[t.dtype];
      if (!dtype) throw new QuantizerExportError(`exportQuantized: '${name}' has dtype ${t.dtype}; expected float32, int32, uint8, int8 or bool`);
      const host = t.dataSync();
      const data = dtype === 'F32' ? Float32Array.from(host) : dtype === 'I32' ? Int32Array.from(host) : dtype === 'I8' ? Int8Array.from(host) : Uint8Array.from(host);
      put(name, { dtype, shape: [...t.shape], data: new Uint8Array(data.buffer) });
      floatBits += data.byteLength * 8;
      continue;
    }
    const input = qat.quantizerInput(name);
    let encoded: ReturnType<typeof encodePacked>;
    try {
      const packed = binding.quantizer.export(input);
      const bits = binding.quantizer.sizeBits(t.shape);
      encoded = encodePacked(name, packed, { id: binding.id, config: toJson(binding.config, `weight '${name}'`), sizeBits: bits });
      if (encoded.payloadBytes * 8 < payloadBits(packed)) {
        throw new QuantizerExportError(`exportQuantized: weight '${name}' stored ${encoded.payloadBytes * 8} bits, fewer than the export's payload ${payloadBits(packed)}`);
      }
    } catch (e) {
      if (e instanceof QuantizerError && !e.message.startsWith('exportQuantized')) {
        throw new QuantizerExportError(`exportQuantized: weight '${name}' (quantizer '${binding.id}'): ${e.message}`, { cause: e });
      }
      throw e;
    } finally {
      input.dispose();
    }
    for (const [n, e] of Object.entries(encoded.entries)) put(n, e);
    records[name] = encoded.record;
    weights[name] = { sizeBits: encoded.record.sizeBits, payloadBits: encoded.payloadBytes * 8 };
    sizeBits += encoded.record.sizeBits;
    payload += encoded.payloadBytes * 8;
  }
  const metadata = {
    format: QUANTIZED_FORMAT,
    format_version: String(QUANTIZED_FORMAT_VERSION),
    producer: '@nibble/quantizers',
    weights: JSON.stringify(records),
  };
  return { entries, metadata, sizeBits, payloadBits: payload, floatBits, weights };
}

/**
 * Exports a QAT-prepared model as a safetensors file of packed weights: for each quantized weight its codes, scales
 * or fp16 codebook and zero-points (`<name>.codes`, `<name>.scales` | `<name>.codebook`, `<name>.zero_points`), every
 * other parameter and buffer as is (F32 for float), and `__metadata__` with the format, version and each weight's
 * layout (bits, group size, signedness, shape, quantizer id and config). `payloadBits` is what the packed tensors
 * occupy; it equals `sizeBits` (the quantizers' formulas, spec §8) when the containers hold exactly the logical
 * bits (1-, 2-, 4-, 8-bit codes with whole-byte rows, 256-centroid PQ). Readable by Python's `safetensors`.
 *
 * @example
 * ```ts
 * const qat = prepareQat(model, [{ pattern: '*.weight', quantizer: 'ste', config: { bits: 4, granularity: 'channel' } }]);
 * // ... train ...
 * const { bytes, sizeBits, payloadBits } = exportQuantized(model, qat);
 * const loaded = loadQuantized(bytes, freshModel);   // runs packedMatmul on the codes
 * ```
 */
export function exportQuantized(model: Module, qat: QatHandle): ExportedModel {
  const plan = planQuantizedFile(model, qat);
  const bytes = encodeSafetensors(plan.entries, plan.metadata);
  return { bytes, sizeBits: plan.sizeBits, payloadBits: plan.payloadBits, floatBits: plan.floatBits, weights: plan.weights };
}
