// Command-line options of the bench (node:util parseArgs). Unknown options and values fail with a message that
// lists the valid ones.
import { parseArgs } from 'node:util';
import { BenchUsageError } from '../errors.js';
import { SIZES, SUITES, SUITE_DESCRIPTIONS, type SizeName, type SuiteName } from '../run/suites.js';
import { NIBBLE_BACKEND_IDS, PEER_IDS, type NibbleBackendId, type PeerId } from '../targets/registry.js';

/** Parsed options. */
export interface BenchOptions {
  readonly suite: SuiteName;
  readonly backends: readonly NibbleBackendId[];
  readonly peers: readonly PeerId[];
  /** Whether --backend / --peer named the targets (rather than the default "all"). */
  readonly backendsNamed: boolean;
  readonly peersNamed: boolean;
  readonly size: SizeName;
  readonly repeat: number | null;
  readonly out: string | null;
  readonly cases: readonly string[];
  readonly help: boolean;
  readonly list: boolean;
  readonly noProbe: boolean;
}

/** The --help text. */
export function helpText(): string {
  return [
    'Usage: pnpm --filter @nibble/bench start -- [options]',
    '',
    'Options:',
    `  --suite <name>     ${SUITES.join(' | ')} (default quick)`,
    ...SUITES.map((s) => `                       ${s}: ${SUITE_DESCRIPTIONS[s]}`),
    `  --backend <list>   nibble backends, comma-separated: ${NIBBLE_BACKEND_IDS.join(', ')}, all, none (default all)`,
    `  --peer <list>      peers, comma-separated: ${PEER_IDS.join(', ')}, all, none (default all)`,
    `  --size <name>      ${SIZES.join(' | ')}: keep only cases of that size class (default all)`,
    '  --case <list>      run only these case ids (comma-separated), within the suite',
    '  --repeat <n>       exactly n timed reps per row (overrides the time-budget rule)',
    '  --out <dir>        write bench-result.json, bench-result.md and SVG charts there (default apps/bench/results)',
    '  --no-probe         do not compile/run the machine probe (no % of peak)',
    '  --list             list cases and targets, run nothing',
    '  -h, --help         this text',
  ].join('\n');
}

function oneOf<T extends string>(option: string, value: string, valid: readonly T[]): T {
  if ((valid as readonly string[]).includes(value)) return value as T;
  throw new BenchUsageError(`--${option}: unknown value "${value}"; valid values: ${valid.join(', ')}`);
}

function listOf<T extends string>(option: string, value: string | undefined, valid: readonly T[]): T[] {
  if (value === undefined || value === 'all') return [...valid];
  if (value === 'none') return [];
  const items = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) throw new BenchUsageError(`--${option}: empty list; valid values: ${[...valid, 'all', 'none'].join(', ')}`);
  for (const v of items) {
    if (!(valid as readonly string[]).includes(v)) {
      throw new BenchUsageError(`--${option}: unknown value "${v}"; valid values: ${[...valid, 'all', 'none'].join(', ')} (comma-separated)`);
    }
  }
  return [...new Set(items as T[])].sort((a, b) => valid.indexOf(a) - valid.indexOf(b));
}

const KNOWN = ['suite', 'backend', 'peer', 'size', 'case', 'repeat', 'out', 'no-probe', 'list', 'help'];

/**
 * Parses argv (without node and the script).
 *
 * @example
 * const opts = parseBenchOptions(['--suite', 'ops', '--peer', 'ort,tfjs-wasm']);
 */
export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  // pnpm passes a literal "--" through to the script when called as `pnpm start -- --suite ops`
  const args = argv[0] === '--' ? argv.slice(1) : [...argv];
  let parsed;
  try {
    parsed = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        suite: { type: 'string' },
        backend: { type: 'string' },
        peer: { type: 'string' },
        size: { type: 'string' },
        case: { type: 'string' },
        repeat: { type: 'string' },
        out: { type: 'string' },
        'no-probe': { type: 'boolean' },
        list: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new BenchUsageError(`${message}. Valid options: ${KNOWN.map((k) => `--${k}`).join(', ')}`);
  }
  const v = parsed.values;
  let repeat: number | null = null;
  if (v.repeat !== undefined) {
    repeat = Number(v.repeat);
    if (!Number.isInteger(repeat) || repeat < 1) throw new BenchUsageError(`--repeat: "${v.repeat}" is not a positive integer`);
  }
  return {
    suite: v.suite === undefined ? 'quick' : oneOf('suite', v.suite, SUITES),
    backends: listOf('backend', v.backend, NIBBLE_BACKEND_IDS),
    peers: listOf('peer', v.peer, PEER_IDS),
    backendsNamed: v.backend !== undefined && v.backend !== 'all',
    peersNamed: v.peer !== undefined && v.peer !== 'all',
    size: v.size === undefined ? 'all' : oneOf('size', v.size, SIZES),
    repeat,
    out: v.out ?? null,
    cases: v.case === undefined ? [] : v.case.split(',').map((s) => s.trim()).filter((s) => s !== ''),
    help: v.help === true,
    list: v.list === true,
    noProbe: v['no-probe'] === true,
  };
}
