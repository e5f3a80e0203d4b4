/**
 * Finding and reading data files that npm packages ship. Node-only; `node:` modules are imported on first use so that
 * the synthetic tasks and batching in this package still load in a browser bundle.
 */
import { DatasetUnavailableError } from './errors.js';

/** Absolute directory of an installed npm package, resolved from this module like an `import` would. */
export async function packageDirectory(fn: string, packageName: string): Promise<string> {
  const { createRequire } = await import('node:module');
  const { dirname } = await import('node:path');
  try {
    return dirname(createRequire(import.meta.url).resolve(`${packageName}/package.json`));
  } catch (cause) {
    throw new DatasetUnavailableError(
      `${fn}: the npm package ${packageName} is not installed (${String(cause)}); expected it as a dependency of @nibble/data`,
    );
  }
}

/** Reads a UTF-8 file inside an installed package. */
export async function readPackageText(fn: string, packageName: string, relativePath: string): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const path = join(await packageDirectory(fn, packageName), relativePath);
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    throw new DatasetUnavailableError(`${fn}: cannot read ${path} from package ${packageName}: ${String(cause)}`);
  }
}

/** Names of the files in a directory of an installed package, sorted by code unit so the order is the same everywhere. */
export async function listPackageFiles(fn: string, packageName: string, relativeDirectory: string): Promise<string[]> {
  const { readdir } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const directory = join(await packageDirectory(fn, packageName), relativeDirectory);
  try {
    const entries = await readdir(directory, { withFileTypes: true });
    return entries
      .filter((e) => e.isFile())
      .map((e) => e.name)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  } catch (cause) {
    throw new DatasetUnavailableError(`${fn}: cannot list ${directory} in package ${packageName}: ${String(cause)}`);
  }
}
