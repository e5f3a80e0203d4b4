/** Builds (tsc) and packs workspace packages (directory names under packages/) into `dest`; returns name → tarball. */
export function packWorkspace(dest: string, packages: readonly string[]): Record<string, string>;
