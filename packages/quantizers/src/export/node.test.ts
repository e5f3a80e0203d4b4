import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { prepareQat } from '../qat/prepare-qat.ts';
import { input, mlp, values } from '../../test/test-models.ts';
import { QuantizedFileError } from './errors.ts';
import { exportQuantized } from './export-quantized.ts';
import { loadQuantized } from './load-quantized.ts';
import { readQuantizedFile, writeQuantizedFile } from './node.ts';

const dir = mkdtempSync(join(tmpdir(), 'nibble-quantized-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('writeQuantizedFile / readQuantizedFile', () => {
  it('writes the same bytes as exportQuantized, atomically, and loads back', async () => {
    const model = mlp(8, 16, 4, 3);
    const qat = prepareQat(model, [{ pattern: '*.weight', quantizer: 'ste', config: { bits: 4, granularity: 'channel' } }]);
    model.eval();
    const x = input([3, 8], 2);
    const y = values(model.forward(x));
    const path = join(dir, 'model.safetensors');
    writeFileSync(path, 'old contents');
    const sizes = await writeQuantizedFile(path, model, qat);
    const { bytes, payloadBits } = exportQuantized(model, qat);
    expect(sizes.payloadBits).toBe(payloadBits);
    expect(readdirSync(dir)).toEqual(['model.safetensors']); // no temp file left behind
    const file = await readQuantizedFile(path);
    expect(file.payloadBits).toBe(payloadBits);
    const fresh = mlp(8, 16, 4, 30).eval();
    using _loaded = loadQuantized(file, fresh);
    expect(values(fresh.forward(x))).toEqual(y);
    expect(new Uint8Array(await import('node:fs/promises').then((f) => f.readFile(path)))).toEqual(bytes);
    qat.detach();
    for (const m of [model, fresh]) m.dispose();
    x.dispose();
  });

  it('names the path of a bad file', async () => {
    const path = join(dir, 'bad.safetensors');
    writeFileSync(path, new Uint8Array([1, 2, 3]));
    await expect(readQuantizedFile(path)).rejects.toThrow(QuantizedFileError);
    await expect(readQuantizedFile(path)).rejects.toThrow(/bad\.safetensors/);
  });
});
