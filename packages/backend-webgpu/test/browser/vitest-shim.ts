// A minimal stand-in for the parts of vitest that core's conformance suite uses (describe, it, beforeAll, afterAll,
// expect with toBeUndefined/toEqual/toBe/toMatch), so the browser page runs that very suite. esbuild aliases
// 'vitest' to this file for the page bundle only.
type Fn = () => unknown;
interface Suite {
  name: string;
  tests: { name: string; fn: Fn }[];
  before: Fn[];
  after: Fn[];
}

const suites: Suite[] = [];
let current: Suite | undefined;

export function describe(name: string, body: () => void): void {
  const suite: Suite = { name, tests: [], before: [], after: [] };
  const parent = current;
  current = suite;
  try {
    body();
  } finally {
    current = parent;
  }
  suites.push(suite);
}

function active(what: string): Suite {
  if (!current) throw new Error(`${what} outside describe`);
  return current;
}
export const it = (name: string, fn: Fn): void => void active('it').tests.push({ name, fn });
export const beforeAll = (fn: Fn): void => void active('beforeAll').before.push(fn);
export const afterAll = (fn: Fn): void => void active('afterAll').after.push(fn);

function fail(message: string | undefined, fallback: string): never {
  throw new Error(message ?? fallback);
}

export function expect(actual: unknown, message?: string) {
  return {
    toBeUndefined(): void {
      if (actual !== undefined) fail(message, `expected undefined, got ${String(actual)}`);
    },
    toEqual(expected: unknown): void {
      if (JSON.stringify(actual) !== JSON.stringify(expected)) fail(message, `expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
    },
    toBe(expected: unknown): void {
      if (!Object.is(actual, expected)) fail(message, `expected ${String(expected)}, got ${String(actual)}`);
    },
    toMatch(re: RegExp): void {
      if (!re.test(String(actual))) fail(message, `expected ${String(actual)} to match ${String(re)}`);
    },
  };
}

/** Runs every registered suite in order and returns one result per test. */
export async function runSuites(): Promise<{ name: string; ok: boolean; message?: string }[]> {
  const results: { name: string; ok: boolean; message?: string }[] = [];
  for (const s of suites) {
    for (const f of s.before) await f();
    for (const t of s.tests) {
      try {
        await t.fn();
        results.push({ name: `${s.name} > ${t.name}`, ok: true });
      } catch (e) {
        results.push({ name: `${s.name} > ${t.name}`, ok: false, message: e instanceof Error ? e.message : String(e) });
      }
    }
    for (const f of s.after) await f();
  }
  return results;
}
