// The two CPU backends that capability tests run on, and the check that the native one really is native (a missing
// addon would otherwise make nativeFactory fall back to the TypeScript kernels and the tests pass twice on them).
import { expect, it } from 'vitest';
import { cpuFactory } from '../src/index.ts';
import { NativeCpuBackend, nativeFactory } from '../src/node.ts';

/** [label, factory] pairs for `describe.each`. */
export const cpuBackendsUnderTest = [
  ['TypeScript kernels', cpuFactory()],
  ['native kernels', nativeFactory({ name: 'cpu-native' })],
] as const;

/** Registers a test that fails when the native factory gives the TypeScript fallback. */
export function itRunsTheNativeBackend(): void {
  it('the native backend is the one under test (not the TypeScript fallback)', () => {
    expect(nativeFactory().createSync!()).toBeInstanceOf(NativeCpuBackend);
  });
}
