import { type DataArray, type HostArray, toHostArray } from '../dtype.ts';
import { BackendError } from '../errors.ts';
import type { Tensor } from '../tensor.ts';
import { copy } from './movement.ts';
import { noGrad } from '../autograd/tape.ts';

function contiguousHandle(t: Tensor): { handle: Tensor; owned: boolean } {
  if (t.isContiguous()) return { handle: t, owned: false };
  return { handle: noGrad(() => copy(t)), owned: true };
}

/**
 * The tensor's elements from a backend's read: the array itself, which the backend no longer references (see
 * Backend.read), or a compact copy of its first elements when the buffer is longer than the tensor. A second copy
 * here cost ~0.2 ms per 256×256 read-back.
 */
function finish(t: Tensor, raw: HostArray): HostArray {
  return raw.length === t.size ? raw : raw.slice(0, t.size);
}

/** Reads a tensor's elements as stored by the backend (a float64 reference backend returns Float64Array). */
export async function readHost(t: Tensor): Promise<HostArray> {
  const { handle, owned } = contiguousHandle(t);
  try {
    return finish(t, await handle.backend.read(handle.buffer));
  } finally {
    if (owned) handle.dispose();
  }
}

/** Synchronous {@link readHost}. */
export function readHostSync(t: Tensor): HostArray {
  if (!t.backend.readSync) {
    throw new BackendError(`dataSync: backend '${t.backend.name}' cannot read synchronously; use 'await tensor.data()'`);
  }
  const { handle, owned } = contiguousHandle(t);
  try {
    return finish(t, handle.backend.readSync!(handle.buffer));
  } finally {
    if (owned) handle.dispose();
  }
}

/**
 * A host copy in the tensor's own dtype: the copy itself when the backend stored that array type already (converting
 * element by element in JavaScript cost ~5 ms per million floats, more than the read).
 */
function inOwnDType(t: Tensor, raw: HostArray): DataArray {
  return raw.constructor === toHostArray(t.dtype, []).constructor ? (raw as DataArray) : toHostArray(t.dtype, raw);
}

/** Elements in the tensor's own dtype. */
export async function readData(t: Tensor): Promise<DataArray> {
  return inOwnDType(t, await readHost(t));
}

/** Synchronous {@link readData}. */
export function readDataSync(t: Tensor): DataArray {
  return inOwnDType(t, readHostSync(t));
}
