// Builds and packs the workspace packages a plugin needs, scaffolds a plugin outside the workspace, installs the
// tarballs there with npm (overrides pin every @nibble/* dependency, direct or transitive, to its tarball) and runs
// the plugin's own test suite. Used by scaffold.test.ts; runnable alone: node test/pack-and-run.mjs <workdir>
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { scaffold } from '../scaffold.mjs';
import { packWorkspace } from '../../scripts/pack-workspace.mjs';

const root = resolve(import.meta.dirname, '../../..');
/** Workspace packages a plugin project installs, in build order. */
export const PACKAGES = ['core', 'backend-cpu', 'layers', 'quantizers', 'quant-testkit'];

/**
 * @param {string} cmd
 * @param {string[]} args
 * @param {string} cwd
 */
function run(cmd, args, cwd) {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_yes: 'true', NO_COLOR: '1', FORCE_COLOR: '0' }, maxBuffer: 64 << 20 });
  } catch (e) {
    const err = /** @type {{ stdout?: string; stderr?: string; message: string }} */ (e);
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) failed:\n${err.stdout ?? ''}\n${err.stderr ?? ''}`.slice(-6000));
  }
}

/**
 * @param {string} work  a directory outside the workspace
 * @returns {{ project: string; testOutput: string; tarballs: string[] }}
 */
export function packAndRun(work) {
  const tarballs = join(work, 'tarballs');
  mkdirSync(tarballs, { recursive: true });
  /** @type {Record<string, string>} */
  const specs = {};
  for (const [name, tarball] of Object.entries(packWorkspace(tarballs, PACKAGES))) specs[name] = `file:${tarball}`;

  const project = join(work, 'acme-plugin');
  scaffold({ dir: project, name: '@acme/my-quant', id: 'acme/round-to-power-of-two' });
  // Stand-in for the registry: the scaffold's ^0.1.0 ranges become the tarballs (direct deps and overrides agree,
  // which npm requires), so transitive @nibble/* deps resolve to the same files.
  const pkgPath = join(project, 'package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8'));
  for (const name of Object.keys(pkg.devDependencies)) if (name in specs) pkg.devDependencies[name] = specs[name];
  for (const name of Object.keys(pkg.peerDependencies)) if (name in specs) pkg.peerDependencies[name] = specs[name];
  pkg.overrides = specs;
  writeFileSync(pkgPath, JSON.stringify(pkg, null, 2));

  run('npm', ['install', '--no-audit', '--no-fund'], project);
  run('npx', ['tsc', '-p', 'tsconfig.json', '--noEmit'], project);
  const testOutput = run('npx', ['vitest', 'run', '--reporter=verbose'], project);
  run('npm', ['run', 'build'], project);
  return { project, testOutput, tarballs: Object.values(specs) };
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const work = process.argv[2] ?? '/tmp/nibble-create-quantizer';
  const { testOutput } = packAndRun(work);
  console.log(testOutput);
}
