// The debug leak detector reports a tensor that was garbage-collected without dispose(), and stays quiet otherwise.
import { describe, expect, it } from 'vitest';
import { createRuntime, disableLeakDetector, enableLeakDetector, type LeakReport, tensor } from '@nibble/core';
import { cpuFactory } from '../src/index.ts';

const runtime = createRuntime({ backends: [cpuFactory()] });
const gc = (globalThis as { gc?: () => void }).gc;

async function collect(until: () => boolean): Promise<void> {
  for (let i = 0; i < 50 && !until(); i++) {
    gc!();
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('leak detector', () => {
  it('reports an undisposed tensor with its shape and creation stack, not a disposed one', async () => {
    expect(gc, 'run with --expose-gc').toBeTypeOf('function');
    const leaks: LeakReport[] = [];
    enableLeakDetector((l) => leaks.push(l));
    let leakedId = -1;
    (() => {
      const leaked = tensor([[1, 2, 3]], { runtime });
      leakedId = leaked.id;
      tensor([4], { runtime }).dispose();
    })();
    await collect(() => leaks.length > 0);
    disableLeakDetector();
    expect(leaks.map((l) => l.id)).toEqual([leakedId]);
    expect(leaks[0]!.shape).toEqual([1, 3]);
    expect(leaks[0]!.createdAt).toMatch(/leaks\.test\.ts/);
  });
});
