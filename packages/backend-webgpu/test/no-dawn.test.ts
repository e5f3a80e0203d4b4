// When the optional `webgpu` package cannot be loaded (not installed, wrong platform, a broken binary), the factory
// answers { ok: false, reason } and create() throws a BackendError with that reason: nothing crashes.
import { BackendError } from '@nibble/core';
import { describe, expect, it, vi } from 'vitest';

vi.mock('webgpu', () => {
  throw new Error('simulated: dawn.node is missing');
});

describe('without the webgpu package', () => {
  it('isAvailable gives the reason and create throws a BackendError', async () => {
    const { webgpuFactory } = await import('../src/index.ts');
    const f = webgpuFactory();
    const a = await f.isAvailable();
    expect(a.ok).toBe(false);
    expect(a.ok ? '' : a.reason).toMatch(/'webgpu' package \(Dawn for Node\) could not be loaded/);
    await expect(f.create()).rejects.toThrow(BackendError);
  });
});
