// A real, small bench run shared by the output tests: matmul_256 on onnxruntime-node and tfjs-wasm, 3 reps.
import { loadCaseFile } from '../../src/cases/train-cases.js';
import { probeMachine } from '../../src/machine/machine-probe.js';
import type { BenchResult } from '../../src/report/bench-result.js';
import { runBench } from '../../src/run/run-bench.js';
import { ortTarget } from '../../src/targets/ort/ort-target.js';
import { tfjsTarget } from '../../src/targets/tfjs/tfjs-target.js';

const silent = { isTTY: false, write: () => true };

/** Runs matmul_256 on two peers with the machine probe, progress muted. */
export async function smallRun(): Promise<BenchResult> {
  const file = loadCaseFile();
  const cases = file.cases.filter((c) => c.id === 'matmul_256');
  return runBench({
    suite: 'ops',
    size: 'small',
    repeat: 3,
    backends: [],
    peers: ['tfjs-wasm', 'ort'],
    caseFile: file,
    cases,
    targets: [tfjsTarget('wasm'), ortTarget()],
    policy: { ...file.timing, reps: 3, minReps: 3 },
    machine: await probeMachine(),
    progress: silent,
  });
}
