import { spawn } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultRuntime, decodeSafetensors } from '@nibble/core';
import { cpu } from '@nibble/backend-cpu';
import { adamw } from '@nibble/optim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointError } from '../src/index.ts';
import { loadCheckpoint, previousCheckpointPath } from '../src/node.ts';
import { Mlp } from './fixtures/tiny-regression.ts';

if (!defaultRuntime.registered().includes('cpu')) defaultRuntime.register(cpu);

const child = fileURLToPath(new URL('./fixtures/resume-child.ts', import.meta.url));
const packageDir = fileURLToPath(new URL('..', import.meta.url));

interface ChildRun {
  lines: string[];
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Runs the child; `killAfter` SIGKILLs it as soon as it reports a checkpoint at or after that step. */
function runChild(dir: string, options: { slowMs?: number; killAfter?: number } = {}): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', child, dir], {
      cwd: packageDir,
      env: { ...process.env, SLOW_MS: String(options.slowMs ?? 0) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    let buffer = '';
    let stderr = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const parts = buffer.split('\n');
      buffer = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        const m = /^checkpoint (\d+)$/.exec(line);
        if (m && options.killAfter !== undefined && Number(m[1]) >= options.killAfter) proc.kill('SIGKILL');
      }
    });
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    proc.on('error', reject);
    proc.on('close', (code, signal) => resolve({ lines, code, signal, stderr }));
  });
}

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'nibble-resume-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('crash and resume (issue 3 acceptance)', () => {
  it('a run SIGKILLed after a checkpoint and resumed ends with the same weights, bit for bit, as an uninterrupted run', async () => {
    const straight = join(root, 'straight');
    const crashed = join(root, 'crashed');
    await Promise.all([straight, crashed].map((d) => import('node:fs/promises').then((fs) => fs.mkdir(d))));

    const [reference, killed] = await Promise.all([runChild(straight), runChild(crashed, { slowMs: 100, killAfter: 20 })]);
    expect(reference.code, reference.stderr).toBe(0);
    expect(reference.lines).toContain('done');
    expect(killed.signal).toBe('SIGKILL');
    expect(killed.lines).not.toContain('done');
    const lastCheckpoint = Math.max(...killed.lines.filter((l) => l.startsWith('checkpoint')).map((l) => Number(l.split(' ')[1])));
    expect(lastCheckpoint).toBeGreaterThanOrEqual(20);
    expect(lastCheckpoint).toBeLessThan(60);

    const resumed = await runChild(crashed);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.lines[0]).toBe(`resumed ${lastCheckpoint}`);
    expect(resumed.lines).toContain('done');

    const a = decodeSafetensors(await readFile(join(straight, 'final.safetensors')));
    const b = decodeSafetensors(await readFile(join(crashed, 'final.safetensors')));
    expect([...b.tensors.keys()]).toEqual([...a.tensors.keys()]);
    for (const [name, t] of a.tensors) expect(Buffer.from(b.tensors.get(name)!.data).equals(Buffer.from(t.data)), name).toBe(true);
    expect(b.metadata.loss).toBe(a.metadata.loss);
  }, 60_000);

  it('a truncated or corrupted checkpoint is refused with a clear error; the previous checkpoint stays intact and loads', async () => {
    const dir = join(root, 'crashed');
    const path = join(dir, 'ckpt.safetensors');
    const prev = previousCheckpointPath(path);
    const prevBytes = await readFile(prev);
    const good = await readFile(path);

    const optimizer = adamw({ lr: 0.01, weightDecay: 0.01 });
    const model = new Mlp();
    const before = [...model.stateDict()].map(([k, t]) => [k, [...t.dataSync()]]);

    await truncate(path, Math.floor(good.length * 0.6));
    const truncated = loadCheckpoint(path, model, optimizer);
    await expect(truncated).rejects.toBeInstanceOf(CheckpointError);
    await expect(loadCheckpoint(path, model, optimizer)).rejects.toThrow(/not a valid safetensors file \(truncated or corrupt\).*previous checkpoint .*ckpt\.prev\.safetensors' is intact/s);

    const flipped = Buffer.from(good);
    flipped[flipped.length - 3]! ^= 0x40; // a bit in the last tensor's data: only the checksum can see it
    await writeFile(path, flipped);
    await expect(loadCheckpoint(path, model, optimizer)).rejects.toThrow(/checksum mismatch/);

    // nothing was loaded into the model, and the previous checkpoint is untouched and valid
    expect([...model.stateDict()].map(([k, t]) => [k, [...t.dataSync()]])).toEqual(before);
    expect((await readFile(prev)).equals(prevBytes)).toBe(true);
    const { state, position } = await loadCheckpoint(prev, model, optimizer);
    expect(position.step).toBe(state.step);
    expect(position.step).toBeGreaterThan(0);
    expect((await stat(prev)).size).toBe(prevBytes.length);
    model.dispose();
    for (const slot of Object.values(state.slots)) for (const t of Object.values(slot)) t.dispose();
    await copyFile(prev, path);
  });

  it('a checkpoint for another optimizer or model is refused, naming the mismatch', async () => {
    const path = join(root, 'straight', 'ckpt.safetensors');
    const model = new Mlp();
    const { sgd } = await import('@nibble/optim');
    await expect(loadCheckpoint(path, model, sgd({ lr: 0.1 }))).rejects.toThrow(/holds a 'adamw' optimizer state; the run uses 'sgd'/);
    model.dispose();
  });
});
