// isAvailable() without an adapter, on the real Dawn: a child Node process starts Dawn with the Vulkan loader pointed at
// a driver manifest that does not exist, so requestAdapter() answers null. The factory must say so as a reason (never
// throw), and create() must throw a BackendError with that reason. The control run with the SwiftShader manifest
// shows the same child does find an adapter, so the null comes from the missing driver.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SWIFTSHADER_ICD } from './setup.ts';

const run = promisify(execFile);
const child = fileURLToPath(new URL('./child/availability-report.ts', import.meta.url));
const hasDriver = existsSync(SWIFTSHADER_ICD);
if (!hasDriver && process.env.CI) throw new Error(`${SWIFTSHADER_ICD} is missing under CI; run tools/setup-webgpu.sh`);

interface Report {
  availability: { ok: true } | { ok: false; reason: string };
  create: { ok: true } | { ok: false; name: string; message: string };
}

async function report(icd: string): Promise<Report> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--conditions=source', child], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: { ...process.env, VK_ICD_FILENAMES: icd },
    timeout: 60_000,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Report;
}

describe.skipIf(!hasDriver)(`webgpu without an adapter (real Dawn)${hasDriver ? '' : ' (skipped: no SwiftShader to control against)'}`, () => {
  it('isAvailable() gives the reason, create() throws a BackendError with it; with SwiftShader both succeed', async () => {
    const [none, swiftshader] = await Promise.all([report('/nonexistent/vk_no_driver_icd.json'), report(SWIFTSHADER_ICD)]);
    expect(none.availability.ok).toBe(false);
    const reason = none.availability.ok ? '' : none.availability.reason;
    expect(reason).toMatch(/webgpu \(Dawn\): requestAdapter\(\) returned null/);
    expect(reason).toMatch(/tools\/setup-webgpu\.sh/);
    expect(none.create).toEqual({ ok: false, name: 'BackendError', message: `webgpu.create: no WebGPU adapter: ${reason}` });
    expect(swiftshader).toEqual({ availability: { ok: true }, create: { ok: true } });
  }, 120_000);
});
