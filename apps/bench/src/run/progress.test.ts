import { describe, expect, it } from 'vitest';
import { Progress } from './progress.js';

function stream(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, s: { isTTY, columns: 80, write: (c: string) => chunks.push(c) > 0 } };
}

describe('Progress', () => {
  it('on a terminal redraws one line with \\r and leaves a plain summary line per row', () => {
    const { chunks, s } = stream(true);
    const p = new Progress(2, s);
    p.startRow('matmul_256', 'ort');
    p.step(3, 7);
    p.endRow('median 1.00 ms');
    const text = chunks.join('');
    expect(text).toContain('\r[1/2] matmul_256 · ort [##########..............] 3/7 steps');
    expect(text.endsWith('[1/2] matmul_256 · ort: median 1.00 ms\n')).toBe(true);
  });

  it('off a terminal prints only plain lines (no carriage returns or escape codes)', () => {
    const { chunks, s } = stream(false);
    const p = new Progress(1, s);
    p.startRow('lstm_train_h128', 'tfjs-wasm');
    p.step(1, 5);
    p.endRow('median 400 ms');
    expect(chunks.join('')).toBe('[1/1] lstm_train_h128 · tfjs-wasm: start\n[1/1] lstm_train_h128 · tfjs-wasm: median 400 ms\n');
  });
});
