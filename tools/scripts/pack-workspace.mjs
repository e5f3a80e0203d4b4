// Builds and packs workspace packages into a directory, holding a machine-wide lock so that two tests doing this at
// the same time (nx runs test targets in parallel) never rebuild the same dist/ concurrently.
// Usage: node tools/scripts/pack-workspace.mjs <dest> core backend-cpu ...   → prints JSON { name: tarballPath }
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
const lock = join(tmpdir(), 'nibble-pack-workspace.lock');

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function acquire() {
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      return;
    } catch {
      // a lock older than 10 minutes belongs to a process that died
      try {
        if (Date.now() - statSync(lock).mtimeMs > 10 * 60_000) rmSync(lock, { recursive: true, force: true });
      } catch {}
      if (Date.now() > deadline) throw new Error(`pack-workspace: could not take the lock ${lock} in 15 minutes`);
      sleep(500);
    }
  }
}

/**
 * Builds (tsc) and packs each package (directory name under packages/) into `dest`.
 * @param {string} dest
 * @param {string[]} packages
 * @returns {Record<string, string>} package name → tarball path
 */
export function packWorkspace(dest, packages) {
  mkdirSync(dest, { recursive: true });
  acquire();
  try {
    /** @type {Record<string, string>} */
    const out = {};
    for (const pkg of packages) {
      const dir = join(root, 'packages', pkg);
      const opts = { cwd: dir, encoding: /** @type {const} */ ('utf8'), stdio: /** @type {const} */ (['ignore', 'pipe', 'pipe']), maxBuffer: 64 << 20 };
      execFileSync('pnpm', ['run', 'build'], opts);
      const before = new Set(readdirSync(dest));
      execFileSync('pnpm', ['pack', '--pack-destination', dest], opts);
      const made = readdirSync(dest).filter((f) => !before.has(f));
      if (made.length !== 1) throw new Error(`pnpm pack in ${pkg} made ${made.length} tarballs`);
      out[JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name] = join(dest, /** @type {string} */ (made[0]));
    }
    return out;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const [dest, ...pkgs] = process.argv.slice(2);
  if (!dest || pkgs.length === 0) {
    console.error('usage: node tools/scripts/pack-workspace.mjs <dest> <package-dir>...');
    process.exit(2);
  }
  console.log(JSON.stringify(packWorkspace(resolve(dest), pkgs)));
}
