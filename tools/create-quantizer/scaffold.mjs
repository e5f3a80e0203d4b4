// The scaffolding logic of create-quantizer, separate from argument parsing so tests can call it.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const templateDir = join(here, 'template');

/** npm package names: optional @scope/, lowercase, URL-safe, ≤ 214 characters. */
const PACKAGE_NAME = /^(?:@([a-z0-9][a-z0-9._~-]*)\/)?([a-z0-9][a-z0-9._~-]*)$/;
/** Quantizer ids outside @nibble/quantizers must be namespaced: `scope/name` (the registry's rule). */
const PLUGIN_ID = /^[a-z0-9][a-z0-9._-]*\/[a-z0-9][a-z0-9._-]*$/;

/** Thrown for bad arguments; the CLI prints the message and exits with status 1. */
export class ScaffoldError extends Error {
  /** @override */
  name = 'ScaffoldError';
}

/**
 * The plugin id a package name suggests: `@acme/my-quant` → `acme/my-quant`; an unscoped `my-quant` → `my-quant/my-quant`.
 * @param {string} packageName
 * @returns {string}
 */
export function defaultPluginId(packageName) {
  const m = PACKAGE_NAME.exec(packageName);
  if (!m) throw new ScaffoldError(`create-quantizer: package name '${packageName}' is not a valid npm name; expected e.g. @acme/my-quant`);
  const scope = (m[1] ?? m[2] ?? '').replace(/~/g, '-');
  const name = (m[2] ?? '').replace(/~/g, '-');
  return `${scope}/${name}`;
}

/**
 * Writes a standalone plugin package into `dir` (which must not exist or be empty).
 * @param {{ dir: string; name: string; id?: string; nibbleRange?: string }} options
 * @returns {{ dir: string; files: string[]; id: string }}
 */
export function scaffold({ dir, name, id, nibbleRange }) {
  if (name.length > 214 || !PACKAGE_NAME.test(name)) {
    throw new ScaffoldError(`create-quantizer: --name '${name}' is not a valid npm package name; expected lowercase like @acme/my-quant`);
  }
  const pluginId = id ?? defaultPluginId(name);
  if (!PLUGIN_ID.test(pluginId)) {
    throw new ScaffoldError(`create-quantizer: --id '${pluginId}' is not a namespaced quantizer id; expected 'scope/name' like acme/round-to-power-of-two`);
  }
  if (existsSync(dir) && (!statSync(dir).isDirectory() || readdirSync(dir).length > 0)) {
    throw new ScaffoldError(`create-quantizer: '${dir}' exists and is not an empty directory; choose a new directory`);
  }
  const own = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8'));
  const range = nibbleRange ?? own.nibble.dependencyRange;
  const substitute = (/** @type {string} */ text) => text.replaceAll('__PACKAGE_NAME__', name).replaceAll('__PLUGIN_ID__', pluginId);

  /** @type {string[]} */
  const files = [];
  const write = (/** @type {string} */ rel, /** @type {string} */ text) => {
    const to = join(dir, rel);
    mkdirSync(dirname(to), { recursive: true });
    writeFileSync(to, text);
    files.push(rel);
  };
  const walk = (/** @type {string} */ from) => {
    for (const entry of readdirSync(from, { withFileTypes: true })) {
      const path = join(from, entry.name);
      if (entry.isDirectory()) walk(path);
      else {
        const rel = relative(templateDir, path);
        // npm drops .gitignore from published tarballs, so the template ships it without the dot
        write(rel === 'gitignore' ? '.gitignore' : rel, substitute(readFileSync(path, 'utf8')));
      }
    }
  };
  mkdirSync(dir, { recursive: true });
  walk(templateDir);

  const pkg = {
    name,
    version: '0.1.0',
    description: `nibble quantizer plugin ${pluginId}: symmetric uniform quantization with power-of-two scales`,
    license: 'MIT',
    type: 'module',
    keywords: ['nibble', 'nibble-quantizer', 'quantization'],
    exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } },
    files: ['dist', 'src', '!**/*.test.ts'],
    engines: { node: '>=20' },
    scripts: {
      build: 'tsc -p tsconfig.build.json',
      typecheck: 'tsc -p tsconfig.json --noEmit',
      test: 'vitest run',
      prepublishOnly: 'npm run build && npm test',
    },
    // The app that uses the plugin brings nibble; one copy of core keeps tensors and registries shared.
    peerDependencies: { '@nibble/core': range, '@nibble/quantizers': range },
    devDependencies: {
      '@nibble/backend-cpu': range,
      '@nibble/core': range,
      '@nibble/layers': range,
      '@nibble/quant-testkit': range,
      '@nibble/quantizers': range,
      '@types/node': '^20.19.0',
      'fast-check': '^4.10.2',
      typescript: '^5.9.3',
      vitest: '^4.1.12',
    },
  };
  write('package.json', `${JSON.stringify(pkg, null, 2)}\n`);
  return { dir, files: files.sort(), id: pluginId };
}
