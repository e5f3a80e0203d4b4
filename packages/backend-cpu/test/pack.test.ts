// Packs @nibble/core and @nibble/backend-cpu with `pnpm pack`, installs the tarballs in a temporary project outside
// the workspace, and uses them from plain ESM (node) and from TypeScript (tsc checks the published types).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packWorkspace } from '../../../tools/scripts/pack-workspace.mjs';

const work = mkdtempSync(join(tmpdir(), 'nibble-pack-'));
const run = (cmd: string, args: string[], cwd: string) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_yes: 'true' } });

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('published packages', () => {
  it('install from tarballs and work from plain ESM with types', () => {
    const files = Object.values(packWorkspace(join(work, 'tarballs'), ['core', 'backend-cpu']));
    expect(files).toHaveLength(2);

    const app = join(work, 'app');
    run('mkdir', ['-p', app], work);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    run('npm', ['install', '--no-audit', '--no-fund', ...files, 'typescript@5.9.3', '@types/node@20.19.43'], app);

    writeFileSync(
      join(app, 'main.ts'),
      `import { defaultRuntime, tensor, valueAndGrad, type Tensor } from '@nibble/core';
import { cpuNative, nativeUnavailableReason } from '@nibble/backend-cpu';
defaultRuntime.register(cpuNative);
const w: Tensor = tensor([1, 2, 3]);
const { value, grads: [g] } = valueAndGrad((x: Tensor) => x.square().sum())(w);
const native = nativeUnavailableReason() ?? 'on';
console.log(JSON.stringify({ value: value.item(), grad: Array.from(g.dataSync()), native }));
`,
    );
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, outDir: 'out', lib: ['ES2023', 'ESNext.Disposable', 'DOM'], types: ['node'] }, include: ['main.ts'] }),
    );
    // tsc compiles against the packages' published .d.ts files (no source condition here)
    run(join(app, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], app);
    const out = JSON.parse(run('node', [join(app, 'out/main.js')], app)) as { value: number; grad: number[]; native: string };
    // the install script compiled the C++ kernels from the sources shipped in the tarball (this machine has g++)
    expect(out).toEqual({ value: 14, grad: [2, 4, 6], native: 'on' });

    // a type error in user code is caught by the published types
    writeFileSync(join(app, 'main.ts'), `import { tensor } from '@nibble/core';\nconst t: string = tensor([1]);\n`);
    let diagnostics = '';
    try {
      run(join(app, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], app);
    } catch (e) {
      diagnostics = String((e as { stdout?: string }).stdout);
    }
    expect(diagnostics).toMatch(/Type 'Tensor' is not assignable to type 'string'/);
  }, 300_000);
});
