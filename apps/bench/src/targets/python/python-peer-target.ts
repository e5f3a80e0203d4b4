// PyTorch / JAX peers through apps/bench/python/peer.py, a child process speaking JSON lines on stdin/stdout.
// Arrays go through files in a temporary directory (raw little-endian float32 / int32); each step's output is
// written back by Python (it reads the result to the host, as the timing policy requires) and read here.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { CaseData } from '../../cases/case-data.js';
import type { BenchCase } from '../../cases/train-cases.js';
import type { BenchTarget, PreparedCase, StepOutput } from '../bench-target.js';

/** Path of the Python side. */
export const PEER_SCRIPT = fileURLToPath(new URL('../../../python/peer.py', import.meta.url));

/** The interpreter: $NIBBLE_BENCH_PYTHON, else python3 on PATH. */
export const pythonExecutable = (): string => process.env['NIBBLE_BENCH_PYTHON'] ?? 'python3';

type Framework = 'torch' | 'jax';

interface Reply {
  readonly ok: boolean;
  readonly error?: string;
  readonly reason?: string;
  readonly kind?: 'loss' | 'tensor';
  readonly loss?: number;
  readonly shape?: number[];
  readonly [key: string]: unknown;
}

/** One long-lived peer.py process. */
class PeerProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: Interface;
  private readonly pending: ((line: string) => void)[] = [];
  private stderr = '';

  constructor(framework: Framework) {
    this.child = spawn(pythonExecutable(), [PEER_SCRIPT, '--framework', framework, '--serve'], { stdio: 'pipe' });
    this.child.stderr.on('data', (b: Buffer) => {
      this.stderr = (this.stderr + b.toString()).slice(-2000);
    });
    this.lines = createInterface({ input: this.child.stdout });
    this.lines.on('line', (line) => this.pending.shift()?.(line));
    this.child.on('exit', () => {
      for (const p of this.pending.splice(0)) p(JSON.stringify({ ok: false, error: `peer.py exited: ${this.stderr.trim()}` }));
    });
  }

  async request(message: Record<string, unknown>): Promise<Reply> {
    const line = await new Promise<string>((resolve) => {
      this.pending.push(resolve);
      this.child.stdin.write(`${JSON.stringify(message)}\n`);
    });
    const reply = JSON.parse(line) as Reply;
    if (!reply.ok) throw new Error(`peer.py ${String(message['cmd'])}: ${reply.error ?? 'failed'}`);
    return reply;
  }

  close(): void {
    this.child.stdin.end();
    this.lines.close();
  }
}

function writeArrays(dir: string, data: CaseData): Record<string, { path: string; dtype: string; length: number }> {
  const files: Record<string, { path: string; dtype: string; length: number }> = {};
  for (const [name, value] of Object.entries(data)) {
    if (!(value instanceof Float32Array || value instanceof Int32Array)) continue;
    const path = join(dir, `${name}.bin`);
    writeFileSync(path, new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
    files[name] = { path, dtype: value instanceof Float32Array ? 'float32' : 'int32', length: value.length };
  }
  return files;
}

/**
 * A Python peer (PyTorch or JAX), available when python3 can import the framework (and numpy).
 *
 * @example
 * const jax = pythonPeerTarget('jax');
 * console.log(await jax.available());
 */
export function pythonPeerTarget(framework: Framework): BenchTarget {
  let peer: PeerProcess | undefined;
  let probeInfo: Record<string, string | number | boolean> = {};
  const prepare = async (c: BenchCase, data: CaseData): Promise<PreparedCase> => {
    peer ??= new PeerProcess(framework);
    const p = peer;
    const dir = mkdtempSync(join(tmpdir(), `nibble-bench-${framework}-`));
    const outPath = join(dir, 'out.bin');
    await p.request({ cmd: 'prepare', case: c, arrays: writeArrays(dir, data) });
    return {
      async step(): Promise<StepOutput> {
        const reply = await p.request({ cmd: 'step', out: outPath });
        if (reply.kind === 'loss') return { kind: 'loss', loss: Number(reply.loss) };
        const bytes = readFileSync(outPath);
        return { kind: 'tensor', data: new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4), shape: reply.shape ?? [] };
      },
      async dispose() {
        await p.request({ cmd: 'release' });
        rmSync(dir, { recursive: true, force: true });
      },
    };
  };
  return {
    id: framework,
    label: framework === 'torch' ? 'PyTorch' : 'JAX',
    kind: 'peer',
    async available() {
      const probe = spawnSync(pythonExecutable(), [PEER_SCRIPT, '--framework', framework, '--probe'], { encoding: 'utf8', timeout: 120_000 });
      if (probe.error) return { ok: false, reason: `${pythonExecutable()} not runnable: ${probe.error.message}` };
      const last = probe.stdout.trim().split('\n').pop() ?? '';
      try {
        const reply = JSON.parse(last) as Reply;
        if (!reply.ok) return { ok: false, reason: reply.reason ?? 'peer.py --probe failed' };
        probeInfo = Object.fromEntries(Object.entries(reply).filter(([k, v]) => k !== 'ok' && ['string', 'number', 'boolean'].includes(typeof v))) as Record<string, string | number | boolean>;
        return { ok: true };
      } catch {
        return { ok: false, reason: `peer.py --probe gave no JSON (exit ${probe.status}): ${probe.stderr.trim().split('\n').pop() ?? ''}` };
      }
    },
    describe: async () => probeInfo,
    cases: { matmul: prepare, lstm_infer: prepare, lstm_train: prepare, transformer_train: prepare },
    async shutdown() {
      peer?.close();
      peer = undefined;
    },
  };
}
