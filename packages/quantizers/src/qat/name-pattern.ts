/**
 * Selects weights by dotted parameter name: a glob where `*` matches any run of characters (dots included, so
 * `'*.weight'` matches every weight at any depth) and `?` one character, or a regular expression (unanchored unless
 * you anchor it). Same rule as the optimizers' parameter groups in @nibble/optim.
 *
 * @example
 * ```ts
 * matchesWeightName('*.weight', 'encoder.0.ffn.weight'); // true
 * matchesWeightName('encoder.*.ffn.*', 'encoder.1.ffn.bias'); // true
 * matchesWeightName(/^head\./, 'head.weight'); // true
 * ```
 */
export type WeightNamePattern = string | RegExp;

const globCache = new Map<string, RegExp>();

function globToRegExp(glob: string): RegExp {
  let re = globCache.get(glob);
  if (!re) {
    const body = [...glob]
      .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('');
    re = new RegExp(`^${body}$`, 's');
    globCache.set(glob, re);
  }
  return re;
}

/** Whether dotted name `name` matches `pattern` (see {@link WeightNamePattern}). */
export function matchesWeightName(pattern: WeightNamePattern, name: string): boolean {
  if (pattern instanceof RegExp) {
    pattern.lastIndex = 0; // a global or sticky RegExp keeps state between test() calls
    return pattern.test(name);
  }
  return globToRegExp(pattern).test(name);
}

/** A pattern as text for error messages. */
export function describePattern(pattern: WeightNamePattern): string {
  return pattern instanceof RegExp ? String(pattern) : `'${pattern}'`;
}
