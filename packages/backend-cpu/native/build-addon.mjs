// Builds the native addon with node-gyp. Run by the package's `install` script, so it must never fail the install:
// on any problem it records the reason in build/status.json (read by src/native/loader.ts) and exits 0.
// `--strict` makes a failed build exit non-zero (for CI and `pnpm run build:native`).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const strict = process.argv.includes('--strict');
const statusFile = join(here, 'build', 'status.json');

function record(status) {
  mkdirSync(dirname(statusFile), { recursive: true });
  writeFileSync(statusFile, JSON.stringify({ ...status, time: new Date().toISOString() }, null, 2) + '\n');
}

function findNodeGyp() {
  try {
    return createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
  } catch {
    // npm and pnpm export the node-gyp they bundle to lifecycle scripts.
    const fromManager = process.env.npm_config_node_gyp;
    return fromManager && existsSync(fromManager) ? fromManager : undefined;
  }
}

function finish(ok, reason) {
  record(ok ? { ok: true } : { ok: false, reason });
  if (!ok) {
    console.warn(`@nibble/backend-cpu: native kernels not built (${reason.split('\n')[0]}); the TypeScript kernels will be used.`);
    if (strict) process.exit(1);
  } else {
    console.log('@nibble/backend-cpu: native kernels built.');
  }
}

if (process.env.NIBBLE_SKIP_NATIVE_BUILD === '1') {
  finish(false, 'build skipped: NIBBLE_SKIP_NATIVE_BUILD=1 was set during install');
} else if (process.platform !== 'linux' && process.platform !== 'darwin' && process.platform !== 'win32') {
  finish(false, `unsupported platform ${process.platform}`);
} else {
  const nodeGyp = findNodeGyp();
  if (nodeGyp === undefined) {
    finish(false, 'node-gyp was not found (neither the node-gyp package nor npm_config_node_gyp)');
  } else {
    const args = [nodeGyp, 'rebuild', `--jobs=max`];
    // Use the headers of the Node that runs us when they are installed locally (no download needed offline).
    const localHeaders = join(dirname(dirname(process.execPath)), 'include', 'node', 'node_api.h');
    if (!process.env.npm_config_nodedir && existsSync(localHeaders)) args.push(`--nodedir=${dirname(dirname(process.execPath))}`);
    const result = spawnSync(process.execPath, args, { cwd: here, encoding: 'utf8', maxBuffer: 64 << 20 });
    if (result.status === 0 && existsSync(join(here, 'build', 'Release', 'nibble_cpu.node'))) {
      finish(true, '');
    } else {
      const log = `${result.stdout ?? ''}\n${result.stderr ?? ''}`;
      const errors = log.split('\n').filter((l) => /error|not found|ERR!/i.test(l)).slice(0, 12).join('\n');
      const why = result.error ? String(result.error) : errors || log.slice(-2000);
      finish(false, `node-gyp rebuild failed (exit ${result.status ?? 'none'}):\n${why}`);
    }
  }
}
