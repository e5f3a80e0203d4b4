import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultPluginId, scaffold, ScaffoldError } from '../scaffold.mjs';
import { packAndRun } from './pack-and-run.mjs';

const work = mkdtempSync(join(tmpdir(), 'nibble-create-quantizer-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const bin = resolve(import.meta.dirname, '../bin.mjs');

function cli(args: string[]): { status: number; stdout: string; stderr: string } {
  try {
    return { status: 0, stdout: execFileSync('node', [bin, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }), stderr: '' };
  } catch (e) {
    const err = e as { status: number; stdout: string; stderr: string };
    return { status: err.status, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('create-quantizer', () => {
  it('writes a standalone plugin package that depends on the public @nibble packages by semver range', () => {
    const dir = join(work, 'plain');
    const out = cli([dir, '--name', '@acme/my-quant']);
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/quantizer 'acme\/my-quant'/);
    expect(readdirSync(dir).sort()).toEqual(['.gitignore', 'README.md', 'package.json', 'src', 'tsconfig.build.json', 'tsconfig.json']);
    expect(readdirSync(join(dir, 'src')).sort()).toEqual(['index.ts', 'round-to-power-of-two.test.ts', 'round-to-power-of-two.ts']);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    expect(pkg.name).toBe('@acme/my-quant');
    expect(pkg.peerDependencies).toEqual({ '@nibble/core': '^0.1.0', '@nibble/quantizers': '^0.1.0' });
    for (const dep of ['@nibble/core', '@nibble/quantizers', '@nibble/quant-testkit', '@nibble/backend-cpu']) expect(pkg.devDependencies[dep]).toBe('^0.1.0');
    expect(JSON.stringify(pkg)).not.toMatch(/workspace:/);
    const source = readFileSync(join(dir, 'src/round-to-power-of-two.ts'), 'utf8');
    expect(source).toContain("id: 'acme/my-quant'");
    expect(source).not.toContain('__PLUGIN_ID__');
    expect(readFileSync(join(dir, 'src/round-to-power-of-two.test.ts'), 'utf8')).toContain('describeQuantizerConformance(powerOfTwo');
  });

  it('derives namespaced ids and validates its arguments', () => {
    expect(defaultPluginId('@acme/my-quant')).toBe('acme/my-quant');
    expect(defaultPluginId('my-quant')).toBe('my-quant/my-quant');
    expect(() => scaffold({ dir: join(work, 'x'), name: 'Bad Name' })).toThrow(ScaffoldError);
    expect(() => scaffold({ dir: join(work, 'y'), name: '@acme/q', id: 'no-namespace' })).toThrow(/not a namespaced quantizer id/);
    const full = join(work, 'full');
    scaffold({ dir: full, name: '@acme/q' });
    expect(() => scaffold({ dir: full, name: '@acme/q' })).toThrow(/exists and is not an empty directory/);
    writeFileSync(join(work, 'file'), '');
    expect(() => scaffold({ dir: join(work, 'file'), name: '@acme/q' })).toThrow(/not an empty directory/);
    const missing = cli([join(work, 'z')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/expected one directory and --name/);
    expect(cli(['--bogus']).status).toBe(1);
    expect(cli(['--help']).stdout).toMatch(/^Usage: create-quantizer/);
  });

  // Builds and packs core, backend-cpu, layers, quantizers and quant-testkit, installs the tarballs with npm in a
  // scaffolded project outside the workspace, and runs its tests (the conformance suite) there. Minutes, not seconds:
  // the same pattern as backend-cpu's pack test.
  it('the scaffolded project installs from the packed tarballs, typechecks, passes its conformance suite and builds', () => {
    const { testOutput } = packAndRun(join(work, 'e2e'));
    expect(testOutput).toMatch(/acme\/round-to-power-of-two: quantizer conformance > §1\.4\.8 export round trip/);
    expect(testOutput).toMatch(/Tests\s+16 passed \(16\)/);
    expect(testOutput).not.toMatch(/failed/);
  }, 900_000);
});
