// The start script end to end: `tsx src/cli.ts` runs a tiny plan, prints the table, writes the files; bad options
// exit with code 2 and the list of valid values.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const appDir = fileURLToPath(new URL('..', import.meta.url));
const tsx = join(appDir, 'node_modules', '.bin', 'tsx');
const cli = (args: string[]) => spawnSync(tsx, ['--conditions=source', 'src/cli.ts', ...args], { cwd: appDir, encoding: 'utf8', timeout: 120_000 });

describe('bench CLI', () => {
  it('runs matmul_256 on onnxruntime-node and writes JSON, Markdown and SVG', () => {
    const out = mkdtempSync(join(tmpdir(), 'nibble-bench-cli-'));
    const r = cli(['--suite', 'ops', '--case', 'matmul_256', '--peer', 'ort,tfjs-node', '--backend', 'none', '--repeat', '3', '--no-probe', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/matmul_256\s+onnxruntime-node\s+[\d.]+/);
    expect(r.stdout).toContain('tfjs-node: skipped: not installed');
    expect(r.stderr).toContain('[1/1] matmul_256 · ort: median');
    const json = JSON.parse(readFileSync(join(out, 'bench-result.json'), 'utf8')) as { rows: { status: string }[] };
    expect(json.rows.map((row) => row.status)).toEqual(['ok']);
    expect(existsSync(join(out, 'bench-result.md'))).toBe(true);
    expect(readFileSync(join(out, 'bench-times.svg'), 'utf8')).toMatch(/^<svg/);
  });

  it('an unknown option exits 2 and lists the valid options', () => {
    const r = cli(['--fast']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/Unknown option '--fast'.*Valid options: --suite, --backend, --peer, --size, --case, --repeat, --out/);
  });

  it('an unknown case id exits 2 and lists the cases', () => {
    const r = cli(['--suite', 'all', '--case', 'matmul_4096', '--no-probe']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--case: unknown case "matmul_4096"; valid cases: lstm_train_h128, .*qmatvec_int4_4096/);
  });
});
