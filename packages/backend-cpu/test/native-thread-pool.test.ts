// The native thread pool's job protocol under a stream of tiny jobs. A late worker once claimed a task of the next
// job under the previous job's generation; that task ran twice, the done-count overshot and the caller spun forever
// (seen as an LSTM backward hanging at 100% CPU). The self-check counts, per job, how often each task ran.
import { afterAll, describe, expect, it } from 'vitest';
import { native } from '../src/node.ts';
import { requireAddon } from '../src/native/loader.ts';

describe('native thread pool', () => {
  const initialThreads = native.nativeInfo().threads;
  afterAll(() => native.setNativeThreads(initialThreads));

  for (const threads of [2, 3, 8]) {
    it(`runs every task exactly once across 200 000 alternating plain and pinned jobs on ${threads} threads`, () => {
      native.setNativeThreads(threads);
      expect(requireAddon('poolStress').poolStress(200_000)).toBe(0);
    });
  }
});
