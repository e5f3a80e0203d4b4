import { type DType, type SafetensorsDType, type SafetensorsEntry, type SafetensorsTensor, safetensorsTypedArray, type Tensor, tensor, type Runtime } from '@nibble/core';
import { CheckpointError } from './errors.ts';

const TO_SAFETENSORS: Record<DType, SafetensorsDType> = { float32: 'F32', int32: 'I32', uint8: 'U8', int8: 'I8', bool: 'BOOL' };
const FROM_SAFETENSORS: Partial<Record<SafetensorsDType, DType>> = { F32: 'float32', I32: 'int32', U8: 'uint8', I8: 'int8', BOOL: 'bool' };

/** A tensor's values as a safetensors entry (read synchronously; a float64 reference backend is narrowed to F32). */
export function tensorToEntry(t: Tensor): SafetensorsEntry {
  const values = t.dataSync();
  return { dtype: TO_SAFETENSORS[t.dtype], shape: [...t.shape], data: values };
}

/** A decoded safetensors tensor as a new tensor on `runtime`/`backend`. */
export function entryToTensor(name: string, entry: SafetensorsTensor, placement: { runtime: Runtime; backend: string }): Tensor {
  const dtype = FROM_SAFETENSORS[entry.dtype];
  if (!dtype) throw new CheckpointError(`checkpoint: tensor '${name}' has dtype ${entry.dtype}; expected one of F32, I32, U8, I8, BOOL`);
  const values = safetensorsTypedArray(entry);
  return tensor(values as Float32Array | Int32Array | Uint8Array | Int8Array, { dtype, shape: entry.shape, ...placement });
}
