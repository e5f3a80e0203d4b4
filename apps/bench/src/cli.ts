// Entry point of `pnpm --filter @nibble/bench start`: parse options, probe the machine, run, print and write results.
import { resolve } from 'node:path';
import { parseBenchOptions, helpText, type BenchOptions } from './cli/parse-options.js';
import { loadCaseFile, type BenchCase, type CaseFile } from './cases/train-cases.js';
import { loadQuantCases, quantCaseIds } from './cases/quant-cases.js';
import { loadSuiteCases } from './cases/suite-cases.js';
import { BenchUsageError } from './errors.js';
import { probeMachine, type MachineProbeResult } from './machine/machine-probe.js';
import { runBench } from './run/run-bench.js';
import { quickPolicy, selectCases, sizeOf, suiteOfKind } from './run/suites.js';
import { terminalTable } from './report/terminal-table.js';
import { DEFAULT_OUT_DIR, writeOutputs } from './report/write-outputs.js';
import { nibbleTarget, peerTarget, unlessSoftwareAdapter } from './targets/registry.js';
import type { BenchTarget } from './targets/bench-target.js';

function targetsOf(opts: BenchOptions): BenchTarget[] {
  const nibble = opts.backends.map((id) => (id === 'webgpu' && !opts.backendsNamed ? unlessSoftwareAdapter(nibbleTarget(id), '--backend webgpu') : nibbleTarget(id)));
  const peers = opts.peers.map((id) => (id === 'tfjs-webgpu' && !opts.peersNamed ? unlessSoftwareAdapter(peerTarget(id), '--peer tfjs-webgpu') : peerTarget(id)));
  return [...nibble, ...peers];
}

/** Cases of both files; the quant cases are loaded only when asked for (their float64 reference takes ~1 s). */
function allCases(opts: BenchOptions, file: CaseFile): BenchCase[] {
  const quantIds = quantCaseIds();
  const wantsQuant = ['quant', 'all'].includes(opts.suite) && (opts.cases.length === 0 || opts.cases.some((id) => quantIds.includes(id)));
  return [...file.cases, ...(wantsQuant ? loadQuantCases() : []), ...loadSuiteCases()];
}

function casesOf(opts: BenchOptions, file: CaseFile): BenchCase[] {
  const known = [...file.cases.map((c) => c.id), ...quantCaseIds(), ...loadSuiteCases().map((c) => c.id)];
  for (const id of opts.cases) {
    if (!known.includes(id)) throw new BenchUsageError(`--case: unknown case "${id}"; valid cases: ${known.join(', ')}`);
  }
  const cases = selectCases(allCases(opts, file), opts.suite, opts.size);
  return opts.cases.length > 0 ? cases.filter((c) => opts.cases.includes(c.id)) : cases;
}

function listing(file: CaseFile, targets: readonly BenchTarget[]): string {
  const lines = ['Cases (train-cases.json, quant-cases.json, then suite-cases.json):'];
  for (const c of file.cases) lines.push(`  ${c.id.padEnd(24)} ${c.kind.padEnd(18)} size ${sizeOf(c, file.cases)}`);
  for (const id of quantCaseIds()) lines.push(`  ${id.padEnd(24)} ${'qmatvec'.padEnd(18)} suite quant`);
  for (const c of loadSuiteCases()) lines.push(`  ${c.id.padEnd(24)} ${c.kind.padEnd(18)} suite ${suiteOfKind(c.kind)}`);
  lines.push('', 'Targets:');
  for (const t of targets) lines.push(`  ${t.id.padEnd(16)} ${t.kind.padEnd(7)} ${Object.keys(t.cases).join(', ') || '(no cases)'}`);
  return `${lines.join('\n')}\n`;
}

async function main(argv: readonly string[]): Promise<number> {
  const opts = parseBenchOptions(argv);
  if (opts.help) {
    process.stdout.write(`${helpText()}\n`);
    return 0;
  }
  const file = loadCaseFile();
  const targets = targetsOf(opts);
  if (opts.list) {
    process.stdout.write(listing(file, targets));
    return 0;
  }
  const cases = casesOf(opts, file);
  if (cases.length === 0) {
    process.stderr.write(`suite "${opts.suite}" with size "${opts.size}" selects no case of train-cases.json: nothing to run\n`);
    return 0;
  }
  let policy = opts.suite === 'quick' ? quickPolicy(file.timing) : file.timing;
  if (opts.repeat !== null) policy = { ...policy, reps: opts.repeat, minReps: opts.repeat };
  let machine: MachineProbeResult;
  if (opts.noProbe) {
    machine = { ok: false, reason: 'machine probe disabled by --no-probe' };
  } else {
    process.stderr.write('measuring machine limits (g++ probe)…\n');
    machine = await probeMachine();
    if (!machine.ok) process.stderr.write(`${machine.reason}\n`);
  }
  const result = await runBench({
    suite: opts.suite,
    size: opts.size,
    repeat: opts.repeat,
    backends: opts.backends,
    peers: opts.peers,
    caseFile: file,
    cases,
    targets,
    policy,
    machine,
  });
  process.stdout.write(terminalTable(result));
  const outDir = opts.out === null ? DEFAULT_OUT_DIR : resolve(opts.out);
  const written = await writeOutputs(result, outDir);
  process.stdout.write(`\nwrote ${written.join(', ')}\n`);
  return result.rows.some((r) => r.status === 'failed') ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof BenchUsageError) {
      process.stderr.write(`nibble bench: ${err.message}\n\n${helpText()}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`nibble bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
