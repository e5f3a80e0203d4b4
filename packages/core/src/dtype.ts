import { DTypeError } from './errors.ts';

/** Element types a tensor can hold. `float32` is the compute type; `bool` holds 0/1 bytes. */
export type DType = 'float32' | 'int32' | 'uint8' | 'int8' | 'bool';

/** All dtypes, in a stable order. */
export const DTYPES: readonly DType[] = ['float32', 'int32', 'uint8', 'int8', 'bool'];

/** Host array used to read and write data of each dtype. */
export interface DTypeArrayMap {
  float32: Float32Array;
  int32: Int32Array;
  uint8: Uint8Array;
  int8: Int8Array;
  bool: Uint8Array;
}
/** Host array for a dtype `D`. */
export type DataArray<D extends DType = DType> = DTypeArrayMap[D];
/** Any host array a backend may hand back (a float64 reference backend returns Float64Array for float32). */
export type HostArray = Float32Array | Float64Array | Int32Array | Uint8Array | Int8Array;

const ARRAY_CTORS = {
  float32: Float32Array,
  int32: Int32Array,
  uint8: Uint8Array,
  int8: Int8Array,
  bool: Uint8Array,
} as const;

/** Bytes per element of a dtype. */
export function itemSize(dtype: DType): number {
  return dtype === 'float32' || dtype === 'int32' ? 4 : 1;
}

/** Allocates a zeroed host array of a dtype. */
export function allocHost<D extends DType>(dtype: D, length: number): DataArray<D> {
  return new ARRAY_CTORS[dtype](length) as DataArray<D>;
}

/** Converts any numeric host array to the host array of `dtype` (rounding like a C cast for integer dtypes). */
export function toHostArray<D extends DType>(dtype: D, source: ArrayLike<number>): DataArray<D> {
  const out = allocHost(dtype, source.length);
  if (dtype === 'bool') {
    for (let i = 0; i < source.length; i++) out[i] = source[i] ? 1 : 0;
  } else {
    for (let i = 0; i < source.length; i++) out[i] = source[i] as number;
  }
  return out;
}

/** Throws unless `dtype` is a known dtype. */
export function assertDType(where: string, dtype: unknown): asserts dtype is DType {
  if (typeof dtype !== 'string' || !(DTYPES as readonly string[]).includes(dtype)) {
    throw new DTypeError(`${where}: unknown dtype ${JSON.stringify(dtype)}; expected one of ${DTYPES.join(', ')}`);
  }
}

/** True for dtypes that hold integers (int32, uint8, int8, bool). */
export function isIntegerDType(dtype: DType): boolean {
  return dtype !== 'float32';
}
