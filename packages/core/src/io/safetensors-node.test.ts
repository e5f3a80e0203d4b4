import { mkdir, mkdtemp, readFile, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { SafetensorsError } from './errors.ts';
import { decodeSafetensors, encodeSafetensors, type SafetensorsEntry } from './safetensors.ts';
import { readSafetensorsFile, writeSafetensorsFile } from './safetensors-node.ts';

// Lets a test make the n-th write of a file handle fail, as a full disk or an I/O error would.
const failure = vi.hoisted(() => ({ writesBeforeFailure: -1 }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const open: typeof actual.open = async (...args) => {
    const handle = await actual.open(...args);
    if (failure.writesBeforeFailure >= 0) {
      let writes = 0;
      const write = handle.write.bind(handle) as (...a: unknown[]) => Promise<unknown>;
      (handle as unknown as { write: (...a: unknown[]) => Promise<unknown> }).write = (...a: unknown[]) => {
        writes += 1;
        if (writes > failure.writesBeforeFailure) {
          return Promise.reject(Object.assign(new Error('ENOSPC: no space left on device (simulated)'), { code: 'ENOSPC' }));
        }
        return write(...a);
      };
    }
    return handle;
  };
  return { ...actual, open };
});

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nibble-safetensors-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  failure.writesBeforeFailure = -1;
});

const entries: Record<string, SafetensorsEntry> = {
  'layer.weight': { dtype: 'F32', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
  'layer.bias': { dtype: 'F32', shape: [3], data: new Float32Array([0.5, -0.5, 0]) },
  codes: { dtype: 'I8', shape: [4], data: new Int8Array([-8, 7, 0, 1]) },
  mask: { dtype: 'BOOL', shape: [2], data: new Uint8Array([1, 0]) },
};
const otherEntries: Record<string, SafetensorsEntry> = {
  v: { dtype: 'I32', shape: [1000], data: new Int32Array(1000).map((_, i) => i) },
};

async function leftovers(): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.includes('.tmp-'));
}

describe('writeSafetensorsFile / readSafetensorsFile', () => {
  it('writes exactly encodeSafetensors bytes and reads them back', async () => {
    const path = join(dir, 'model.safetensors');
    await writeSafetensorsFile(path, entries, { format: 'nibble' });
    const onDisk = new Uint8Array(await readFile(path));
    expect(onDisk).toEqual(encodeSafetensors(entries, { format: 'nibble' }));
    const back = await readSafetensorsFile(path);
    expect({ ...back.metadata }).toEqual({ format: 'nibble' });
    expect([...back.tensors.keys()].sort()).toEqual(Object.keys(entries).sort());
    expect(back.tensors.get('layer.bias')?.data).toEqual(new Uint8Array(new Float32Array([0.5, -0.5, 0]).buffer));
    expect(await leftovers()).toEqual([]);
  });

  it('round-trips random files through the disk', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(
          fc.string({ maxLength: 6 }).filter((s) => s !== '__metadata__'),
          fc.uint8Array({ maxLength: 32 }).map((data): SafetensorsEntry => ({ dtype: 'U8', shape: [data.length], data })),
          { maxKeys: 4 },
        ),
        async (random) => {
          const path = join(dir, 'random.safetensors');
          await writeSafetensorsFile(path, random);
          const back = await readSafetensorsFile(path);
          expect(encodeSafetensors(back.tensors)).toEqual(encodeSafetensors(random));
        },
      ),
      { numRuns: 30 },
    );
  });

  it('reads the file the Python safetensors package wrote', async () => {
    const path = new URL('../../test/fixtures/safetensors/one-metadata.safetensors', import.meta.url).pathname;
    const fromFile = await readSafetensorsFile(path);
    const fromBytes = decodeSafetensors(new Uint8Array(await readFile(path)));
    expect(fromFile.tensors).toEqual(fromBytes.tensors);
    expect(fromFile.metadata).toEqual(fromBytes.metadata);
  });

  it('replaces an existing file', async () => {
    const path = join(dir, 'replace.safetensors');
    await writeSafetensorsFile(path, entries);
    await writeSafetensorsFile(path, otherEntries);
    expect(new Uint8Array(await readFile(path))).toEqual(encodeSafetensors(otherEntries));
    expect(await leftovers()).toEqual([]);
  });
});

describe('atomic write: a failed write leaves the previous file intact and no temp file', () => {
  it('when a write fails midway (simulated ENOSPC after the header)', async () => {
    const path = join(dir, 'midway.safetensors');
    await writeSafetensorsFile(path, entries);
    const before = await readFile(path);
    failure.writesBeforeFailure = 1; // the header goes through, then the disk is "full" while writing the tensor
    await expect(writeSafetensorsFile(path, otherEntries)).rejects.toMatchObject({ code: 'ENOSPC' });
    failure.writesBeforeFailure = -1;
    expect(await readFile(path)).toEqual(before);
    expect(await leftovers()).toEqual([]);
  });

  it('when the rename fails (the destination is a directory)', async () => {
    const path = join(dir, 'a-directory');
    await mkdir(path);
    await writeFile(join(path, 'keep.txt'), 'keep');
    await expect(writeSafetensorsFile(path, entries)).rejects.toMatchObject({ code: expect.stringMatching(/EISDIR|EEXIST|ENOTEMPTY|EPERM/) });
    expect(await readFile(join(path, 'keep.txt'), 'utf8')).toBe('keep');
    expect(await leftovers()).toEqual([]);
  });

  it('when the entries are invalid (nothing touches the disk)', async () => {
    const path = join(dir, 'invalid.safetensors');
    await writeSafetensorsFile(path, entries);
    const before = await readFile(path);
    const bad = { ...entries, w: { dtype: 'F32', shape: [4], data: new Float32Array(3) } } as const;
    await expect(writeSafetensorsFile(path, bad)).rejects.toBeInstanceOf(SafetensorsError);
    expect(await readFile(path)).toEqual(before);
    expect(await leftovers()).toEqual([]);
  });

  it('when the directory does not exist', async () => {
    await expect(writeSafetensorsFile(join(dir, 'missing', 'x.safetensors'), entries)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('readSafetensorsFile refuses malformed files with SafetensorsError naming the path', () => {
  it('a truncated file', async () => {
    const path = join(dir, 'truncated.safetensors');
    const bytes = encodeSafetensors(entries);
    await writeFile(path, bytes.subarray(0, bytes.length - 3));
    const error = await readSafetensorsFile(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SafetensorsError);
    expect((error as Error).message).toMatch(new RegExp(`^safetensors: file '${path}': tensors need \\d+ bytes of data but the file has`));
  });

  it('a file shorter than the length prefix, and a header length past the end', async () => {
    const short = join(dir, 'short.safetensors');
    await writeFile(short, new Uint8Array([1, 2, 3]));
    await expect(readSafetensorsFile(short)).rejects.toThrow(/file '.*short.safetensors': file is 3 bytes/);
    const past = join(dir, 'past.safetensors');
    await writeFile(past, new Uint8Array([255, 255, 255, 0, 0, 0, 0, 0, 123]));
    await expect(readSafetensorsFile(past)).rejects.toThrow(/header length 16777215 needs 16777223 bytes but the file has 9/);
  });

  it('checks the header before reading the data: a 4 GiB sparse file with a bad header fails without loading it', async () => {
    const path = join(dir, 'sparse.safetensors');
    await writeFile(path, encodeSafetensors(entries));
    await truncate(path, 2 ** 32 + 16);
    await expect(readSafetensorsFile(path)).rejects.toThrow(/bytes of data after the header but the tensors cover only/);
  });

  it('a missing file gives Node ENOENT', async () => {
    await expect(readSafetensorsFile(join(dir, 'nope.safetensors'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
