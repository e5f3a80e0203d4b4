import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { make, run, weight } from './setup.ts';

interface FixtureCase {
  name: string;
  config: { bits: number; scheme: string; range: string; granularity: string };
  shape: number[];
  input: number[];
  scale: number[];
  zeroPoint: number[];
  output: number[];
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/fake-quant.json', import.meta.url), 'utf8')) as { numpy: string; cases: FixtureCase[] };

describe('ste fake quantization vs NumPy reference (tools/fixtures/quantizers/gen_fake_quant.py)', () => {
  it('fixture was produced by the pinned NumPy', () => {
    expect(fixture.numpy).toBe('2.3.5');
    expect(fixture.cases.length).toBeGreaterThanOrEqual(10);
  });

  for (const c of fixture.cases) {
    it(`§1.1 ${c.name}: scales, zero-points and outputs bit for bit`, () => {
      const w = weight(c.input, c.shape);
      const q = make('ste', c.config, c.shape);
      const out = run(q, w);
      const packed = q.export(w);
      expect(Array.from(out)).toEqual(c.output.map(Math.fround));
      expect(Array.from(packed.tables)).toEqual(c.scale);
      if (c.config.scheme === 'affine') expect(Array.from(packed.zeroPoints!)).toEqual(c.zeroPoint);
      q[Symbol.dispose]();
      w.dispose();
    });
  }
});
