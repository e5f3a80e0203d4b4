import { z } from 'zod';
import { QuantizerConfigError } from '../errors.ts';

/** Bit width of a uniform grid: an integer in 1..8. */
export const bitsSchema = z.number().int().min(1).max(8);

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = raw;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

function show(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/**
 * Validates `raw` with a zod schema; on failure throws a {@link QuantizerConfigError} naming the plugin, the field,
 * the value given and what was expected (all issues, first one first).
 */
export function parseWith<T>(pluginId: string, schema: z.ZodType<T>, raw: unknown): T {
  const r = schema.safeParse(raw ?? {});
  if (r.success) return r.data;
  const issues = r.error.issues;
  const first = issues[0]!;
  const field = first.path.map(String).join('.');
  const parts = issues.map((i) => {
    const f = i.path.map(String).join('.') || '(config)';
    return `field '${f}' = ${show(valueAt(raw, i.path))}: ${i.message}`;
  });
  throw new QuantizerConfigError(`${pluginId}: invalid config: ${parts.join('; ')}`, field);
}

/** Throws a config error for a cross-field or shape-dependent rule (checked in `create`). */
export function configError(pluginId: string, field: string, given: unknown, expected: string): never {
  throw new QuantizerConfigError(`${pluginId}: invalid config: field '${field}' = ${show(given)}; expected ${expected}`, field);
}
