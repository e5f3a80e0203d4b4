/**
 * Reading and writing safetensors files with Node's file system. Exported from `@nibble/core/node` only, so browser
 * bundles never load `node:fs`.
 *
 * @module
 */

import { randomBytes } from 'node:crypto';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SafetensorsError } from './errors.ts';
import {
  SAFETENSORS_MAX_HEADER_BYTES,
  decodeSafetensors,
  decodeSafetensorsHeader,
  planSafetensors,
  type DecodedSafetensors,
  type SafetensorsEntries,
} from './safetensors.ts';

async function writeFully(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.length - done);
    done += bytesWritten;
  }
}

async function readFully(handle: FileHandle, into: Uint8Array, position: number): Promise<number> {
  let done = 0;
  while (done < into.length) {
    const { bytesRead } = await handle.read(into, done, into.length - done, position + done);
    if (bytesRead === 0) break; // the file shrank since fstat; the decoder reports the truncation
    done += bytesRead;
  }
  return done;
}

/** Makes a finished rename durable. Some platforms and file systems cannot fsync a directory; that is not an error. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // best effort (EISDIR/EPERM/EINVAL on Windows and some network file systems)
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/**
 * Writes a safetensors file atomically: the bytes go to `path + '.tmp-<pid>-<random>'`, are fsynced, and the temp
 * file is renamed over `path`. A reader therefore sees the previous file or the complete new one, never a partial
 * file; on any failure the temp file is removed and `path` is untouched. Tensors are streamed to disk one by one (no
 * copy of the whole file in memory). The entries are validated before the file system is touched.
 *
 * @param path - destination file; its directory must exist.
 * @param entries - tensors by name (see `encodeSafetensors`).
 * @param metadata - optional `__metadata__` string pairs.
 * @throws {@link SafetensorsError} for invalid entries (nothing written); Node's own errors (with `code`, e.g. ENOENT,
 * EACCES, ENOSPC) for file-system failures.
 *
 * @example
 * await writeSafetensorsFile('model.safetensors', { w: { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) } }, {
 *   format: 'nibble',
 * });
 */
export async function writeSafetensorsFile(
  path: string,
  entries: SafetensorsEntries,
  metadata?: Readonly<Record<string, string>>,
): Promise<void> {
  const plan = planSafetensors(entries, metadata);
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  let handle: FileHandle | undefined;
  let created = false;
  try {
    handle = await open(tmp, 'wx', 0o644);
    created = true;
    await writeFully(handle, plan.header);
    for (const chunk of plan.chunks) await writeFully(handle, chunk);
    await handle.sync();
    const closing = handle;
    handle = undefined;
    await closing.close();
    await rename(tmp, path);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    if (created) await unlink(tmp).catch(() => undefined);
    throw error;
  }
  await syncDirectory(dirname(path));
}

/**
 * Reads and decodes a safetensors file. The 8-byte prefix and the header are read and validated against the file
 * size first (see `decodeSafetensorsHeader`), so a malformed or hostile file is refused before its data is loaded.
 *
 * @param path - the file to read.
 * @returns tensors (views into one buffer holding the file) and metadata.
 * @throws {@link SafetensorsError} for a malformed file (the message names the path); Node's own errors for
 * file-system failures (ENOENT, EACCES, ...).
 *
 * @example
 * const { tensors, metadata } = await readSafetensorsFile('model.safetensors');
 */
export async function readSafetensorsFile(path: string): Promise<DecodedSafetensors> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const prefix = new Uint8Array(Math.min(size, 8));
    await readFully(handle, prefix, 0);
    const view = new DataView(prefix.buffer);
    const headerLength = prefix.length < 8 ? Number.NaN : view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
    if (!(headerLength <= SAFETENSORS_MAX_HEADER_BYTES && 8 + headerLength <= size)) {
      decodeSafetensorsHeader(prefix, size); // throws: too short, header too large, or past the end of the file
    }
    const head = new Uint8Array(8 + headerLength);
    head.set(prefix);
    await readFully(handle, head.subarray(8), 8);
    decodeSafetensorsHeader(head, size); // validates everything before the data region is read
    const bytes = new Uint8Array(size);
    const read = await readFully(handle, bytes, 0);
    return decodeSafetensors(read === size ? bytes : bytes.subarray(0, read));
  } catch (error) {
    if (error instanceof SafetensorsError) {
      throw new SafetensorsError(error.message.replace(/^(safetensors|decodeSafetensors\w*): /, `$1: file '${path}': `), {
        cause: error,
      });
    }
    throw error;
  } finally {
    await handle.close();
  }
}
