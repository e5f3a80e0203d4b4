import { describe, expect, it } from 'vitest';
import { ProgressBar } from './index.ts';

describe('ProgressBar', () => {
  it('on a terminal redraws one line in place with a bar and percentage', () => {
    const out: string[] = [];
    const bar = new ProgressBar({ write: (s: string) => out.push(s), isTTY: true, columns: 120 });
    bar.update({ step: 50, total: 100, epoch: 2, values: { loss: 0.12345 } }, true);
    bar.log('eval: loss 0.1');
    bar.finish();
    expect(out[0]!.startsWith('\r[')).toBe(true);
    expect(out[0]).toMatch(/ 50% step 50\/100 epoch 2 loss 0\.1235 /);
    expect(out[0]!.length).toBe(120); // \r + 119 columns: never wraps
    expect(out.slice(1)).toEqual(['\n', 'eval: loss 0.1\n']);
  });
  it('off a terminal prints about `lines` plain lines over the run', () => {
    const out: string[] = [];
    const bar = new ProgressBar({ write: (s: string) => out.push(s) }, { total: 1000, lines: 10 });
    for (let step = 1; step <= 1000; step++) bar.update({ step, total: 1000, epoch: 0, values: { loss: 1 / step } });
    bar.finish();
    expect(out.length).toBeGreaterThanOrEqual(9);
    expect(out.length).toBeLessThanOrEqual(11);
    expect(out.every((l) => l.endsWith('\n') && !l.includes('\r') && !l.includes('['))).toBe(true);
  });
});
