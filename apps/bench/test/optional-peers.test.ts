// Peers that are not installed are skipped with a reason, never a crash.
import { afterEach, describe, expect, it } from 'vitest';
import { pythonPeerTarget } from '../src/targets/python/python-peer-target.js';
import { TFJS_NODE_NOT_INSTALLED, tfjsNodeTarget } from '../src/targets/tfjs/tfjs-node-target.js';
import { createRequire } from 'node:module';

const saved = process.env['NIBBLE_BENCH_PYTHON'];
afterEach(() => {
  if (saved === undefined) delete process.env['NIBBLE_BENCH_PYTHON'];
  else process.env['NIBBLE_BENCH_PYTHON'] = saved;
});

describe('optional peers', () => {
  it('tfjs-node: not installed → the libtensorflow reason', async () => {
    let installed = true;
    try {
      createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
    } catch {
      installed = false;
    }
    const result = await tfjsNodeTarget().available();
    if (!installed) expect(result).toEqual({ ok: false, reason: TFJS_NODE_NOT_INSTALLED });
  });

  it('python peers: a missing interpreter is a reason, not an exception', async () => {
    process.env['NIBBLE_BENCH_PYTHON'] = '/nonexistent/python3';
    const result = await pythonPeerTarget('torch').available();
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/\/nonexistent\/python3 not runnable/);
  });

  it('python peers: an interpreter without the framework says which import failed', async () => {
    const result = await pythonPeerTarget('jax').available();
    if (!result.ok) expect(result.reason).toMatch(/python3 (has no numpy|cannot import jax)/);
  });
});
