/**
 * Selects parameters by dotted name: an exact name or a glob where `*` matches any run of characters (dots included),
 * a regular expression, or a predicate.
 *
 * @example
 * ```ts
 * matchesName('*.bias', 'encoder.0.linear.bias'); // true
 * matchesName(/^embed\./, 'embed.weight'); // true
 * ```
 */
export type NamePattern = string | RegExp | ((name: string) => boolean);

const globCache = new Map<string, RegExp>();

function globToRegExp(glob: string): RegExp {
  let re = globCache.get(glob);
  if (!re) {
    const body = glob.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
    re = new RegExp(`^${body}$`);
    globCache.set(glob, re);
  }
  return re;
}

/** Whether `name` matches `pattern` (see {@link NamePattern}). */
export function matchesName(pattern: NamePattern, name: string): boolean {
  if (typeof pattern === 'function') return pattern(name);
  if (pattern instanceof RegExp) {
    pattern.lastIndex = 0; // a global/sticky RegExp keeps state between test() calls
    return pattern.test(name);
  }
  return pattern.includes('*') ? globToRegExp(pattern).test(name) : pattern === name;
}
