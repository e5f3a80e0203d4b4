// The JSON a real run writes satisfies schema/bench-result.schema.json, and the schema rejects broken results.
import { readFileSync } from 'node:fs';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { createRequire } from 'node:module';
import type { BenchResult } from '../src/report/bench-result.js';
import { writeOutputs } from '../src/report/write-outputs.js';
import { smallRun } from './helpers/small-run.js';

const schema = JSON.parse(readFileSync(new URL('../schema/bench-result.schema.json', import.meta.url), 'utf8')) as object;
// ajv-formats is CommonJS (module.exports is the plugin function); require() gives the callable directly
const addFormats = createRequire(import.meta.url)('ajv-formats') as (ajv: Ajv2020) => Ajv2020;

function validator() {
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
  addFormats(ajv);
  return ajv.compile(schema);
}

describe('bench-result.schema.json', () => {
  let result: BenchResult;
  let json: unknown;
  let dir: string;

  beforeAll(async () => {
    result = await smallRun();
    dir = mkdtempSync(join(tmpdir(), 'nibble-bench-test-'));
    await writeOutputs(result, dir);
    json = JSON.parse(readFileSync(join(dir, 'bench-result.json'), 'utf8'));
  });

  it('a real run checks and times both peers and measures the machine', () => {
    const rows = result.rows.filter((r) => r.status === 'ok');
    expect(rows.map((r) => r.targetId).sort()).toEqual(['ort', 'tfjs-wasm']);
    for (const r of rows) {
      expect(r.checks.every((c) => c.ok)).toBe(true);
      expect(r.timing?.samplesMs).toHaveLength(3);
    }
    expect(result.machine.limits?.fmaGflopsAll ?? 0).toBeGreaterThan(0);
  });

  it('validates the JSON file the run wrote', () => {
    const validate = validator();
    const ok = validate(json);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('writes Markdown and SVG next to the JSON', () => {
    const files = readdirSync(dir).sort();
    expect(files).toEqual(['bench-matmul-gflops.svg', 'bench-result.json', 'bench-result.md', 'bench-times.svg']);
    expect(readFileSync(join(dir, 'bench-result.md'), 'utf8')).toContain('| matmul_256 | onnxruntime-node |');
  });

  it('rejects a row with an unknown status, a missing timing median and an unknown field', () => {
    const validate = validator();
    const broken = structuredClone(json) as { rows: Record<string, unknown>[]; extra?: number };
    const row = broken.rows[0] as { status: string; timing?: Record<string, unknown> };
    row.status = 'great';
    delete row.timing?.['medianMs'];
    broken.extra = 1;
    expect(validate(broken)).toBe(false);
    const messages = (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
    expect(messages.some((m) => m.includes('/rows/0/status'))).toBe(true);
    expect(messages.some((m) => m.includes("medianMs"))).toBe(true);
    expect(messages.some((m) => m.includes('additional properties'))).toBe(true);
  });
});
