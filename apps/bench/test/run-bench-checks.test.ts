// The runner checks every row before timing it: against the case's expect value and, for peers, against nibble's
// output on the same inputs. Here a float64-reference target plays nibble's part, and deliberately wrong targets
// (transposed operand; right sum but wrong entries) must be stopped with a message instead of being timed.
import { describe, expect, it } from 'vitest';
import { loadCaseFile } from '../src/cases/train-cases.js';
import { matmul64 } from '../src/reference/matmul64.js';
import { runBench } from '../src/run/run-bench.js';
import type { BenchTarget } from '../src/targets/bench-target.js';
import { ortTarget } from '../src/targets/ort/ort-target.js';

const file = loadCaseFile();
const matmul256 = file.cases.filter((c) => c.id === 'matmul_256');
const silent = { isTTY: false, write: () => true };

function matmulTarget(id: string, kind: 'nibble' | 'peer', transform: (c: Float32Array, n: number) => Float32Array): BenchTarget {
  return {
    id,
    label: id,
    kind,
    available: async () => ({ ok: true }),
    cases: {
      matmul: async (c, d) => {
        const out = transform(Float32Array.from(matmul64(d.a, d.b, c.n, c.n, c.n)), c.n);
        return { step: async () => ({ kind: 'tensor', data: out, shape: [c.n, c.n] }), dispose: () => undefined };
      },
    },
  };
}

/** Swaps C[0][0] and C[0][1]: the sum (and so expect.outSum) is unchanged, the matrix is wrong. */
const swapTwo = (c: Float32Array): Float32Array => {
  const out = c.slice();
  [out[0], out[1]] = [c[1] as number, c[0] as number];
  return out;
};

const run = (targets: BenchTarget[]) =>
  runBench({
    suite: 'ops', size: 'small', repeat: 3, backends: ['ref'], peers: [], caseFile: file, cases: matmul256, targets,
    policy: { ...file.timing, reps: 3, minReps: 3 }, machine: { ok: false, reason: 'not probed in this test' }, progress: silent,
  });

describe('runBench checks before timing', () => {
  it('times a correct peer, and compares it with the nibble row on the same inputs', async () => {
    const result = await run([matmulTarget('ref', 'nibble', (c) => c), ortTarget(1)]);
    const ort = result.rows.find((r) => r.targetId === 'ort');
    expect(ort?.status).toBe('ok');
    expect(ort?.checks.map((c) => c.name)).toEqual(['outSum vs expect', 'output vs ref']);
    expect(ort?.timing?.samplesMs).toHaveLength(3);
    expect(result.rows.find((r) => r.targetId === 'ref')?.speedupVsPeers?.['ort']).toBeGreaterThan(0);
  });

  it('aborts a row whose sum misses expect.outSum (A @ Bᵀ instead of A @ B)', async () => {
    const wrong: BenchTarget = {
      id: 'wrong-transpose', label: 'wrong', kind: 'peer', available: async () => ({ ok: true }),
      cases: {
        matmul: async (k, d) => {
          const bt = new Float32Array(k.n * k.n);
          for (let i = 0; i < k.n; i++) for (let j = 0; j < k.n; j++) bt[i * k.n + j] = d.b[j * k.n + i] as number;
          const out = Float32Array.from(matmul64(d.a, bt, k.n, k.n, k.n));
          return { step: async () => ({ kind: 'tensor', data: out, shape: [k.n, k.n] }), dispose: () => undefined };
        },
      },
    };
    const result = await run([wrong]);
    const row = result.rows[0];
    expect(row?.status).toBe('failed');
    expect(row?.reason).toMatch(/check failed: outSum vs expect: outSum = .*, expect 232\.6414043/);
    expect(row?.timing).toBeUndefined();
  });

  it('aborts a peer row whose sum is right but whose entries differ from nibble', async () => {
    const result = await run([matmulTarget('ref', 'nibble', (c) => c), matmulTarget('swapped', 'peer', swapTwo)]);
    const row = result.rows.find((r) => r.targetId === 'swapped');
    expect(row?.checks[0]?.ok).toBe(true); // the sum alone cannot see it
    expect(row?.status).toBe('failed');
    expect(row?.reason).toMatch(/check failed: output vs ref: max \|diff\|/);
    expect(row?.timing).toBeUndefined();
  });

  it('skips an unavailable target with its reason and runs the rest', async () => {
    const absent: BenchTarget = { id: 'absent', label: 'absent', kind: 'peer', available: async () => ({ ok: false, reason: 'not installed' }), cases: {} };
    const result = await run([absent, matmulTarget('ref', 'nibble', (c) => c)]);
    expect(result.targets.find((t) => t.id === 'absent')).toMatchObject({ available: false, reason: 'not installed' });
    expect(result.rows.map((r) => [r.targetId, r.status])).toEqual([['ref', 'ok']]);
  });
});
