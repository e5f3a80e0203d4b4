import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

import { NativeUnavailableError } from './errors.js';
import { loadNative } from './loader.js';

describe('native loader', () => {
  it('reports { ok: false, reason } when disabled with NIBBLE_NATIVE=0', () => {
    const result = loadNative({ env: { NIBBLE_NATIVE: '0' } });
    expect(result).toEqual({ ok: false, reason: 'disabled by the environment variable NIBBLE_NATIVE=0' });
  });

  it('reports a readable reason for a missing file and for a file that is not an addon', () => {
    const missing = loadNative({ path: '/nonexistent/nibble_cpu.node', env: {} });
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.reason).toMatch(/addon file not found at \/nonexistent\/nibble_cpu.node/);
    const bogus = join(mkdtempSync(join(tmpdir(), 'nibble-')), 'bogus.node');
    writeFileSync(bogus, 'not a shared object');
    const broken = loadNative({ path: bogus, env: {} });
    expect(broken.ok).toBe(false);
    if (!broken.ok) expect(broken.reason).toMatch(/^loading .*bogus\.node failed: .*(invalid ELF header|too short|file)/i);
  });

  it('in a process started with NIBBLE_NATIVE=0, kernels throw NativeUnavailableError naming the function and reason', () => {
    // a fresh process, because the default load is cached per process
    const script = `
      import { matmul, loadNative, NativeUnavailableError } from ${JSON.stringify(fileURLToPath(new URL('./index.ts', import.meta.url)))};
      const status = loadNative();
      try { matmul(new Float32Array(1), new Float32Array(1), 1, 1, 1); console.log(JSON.stringify({ status, threw: false })); }
      catch (e) { console.log(JSON.stringify({ status, threw: e instanceof NativeUnavailableError, message: e.message })); }
    `;
    const tsx = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
    const run = spawnSync(tsx, ['--eval', script, '--input-type=module'], { env: { ...process.env, NIBBLE_NATIVE: '0' }, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    const out = JSON.parse(run.stdout.trim()) as { status: unknown; threw: boolean; message: string };
    expect(out.status).toEqual({ ok: false, reason: 'disabled by the environment variable NIBBLE_NATIVE=0' });
    expect(out.threw).toBe(true);
    expect(out.message).toBe('matmul: native kernels are unavailable: disabled by the environment variable NIBBLE_NATIVE=0');
    expect(NativeUnavailableError.name).toBe('NativeUnavailableError');
  });
});
