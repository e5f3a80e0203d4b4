// The JSON result of one bench run. schema/bench-result.schema.json describes the same shape for other tools;
// a test validates real output against it.
import type { TimingPolicy } from '../cases/train-cases.js';
import type { MachineLimits } from '../machine/machine-probe.js';
import type { CheckResult } from '../run/output-checks.js';

/** Identifier of this result format. */
export const BENCH_RESULT_SCHEMA = 'nibble-bench/result-v1';

/** What happened to one (case, target) row. */
export type RowStatus = 'ok' | 'failed' | 'skipped';

/** Timing of a row (the policy of train-cases.json "timing"). */
export interface RowTiming {
  readonly warmupMs: readonly number[];
  readonly samplesMs: readonly number[];
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
}

/** One (case, target) row. */
export interface RowResult {
  readonly caseId: string;
  readonly caseKind: string;
  readonly targetId: string;
  readonly targetLabel: string;
  readonly targetKind: 'nibble' | 'peer';
  status: RowStatus;
  reason?: string;
  readonly checks: CheckResult[];
  /** loss0 (training) or sum of the output (inference, matmul) of the first step. */
  firstScalar?: number;
  /** Loss after one SGD update (training rows that ran ≥ 2 steps). */
  loss1?: number;
  timing?: RowTiming;
  /** Floating-point rate at the median time. */
  gflops?: number;
  /** gflops / the machine's FMA peak on all threads, in percent. */
  pctOfPeak?: number;
  /** lstm_infer: bytes of recurrent weights read per second (Wh read once per time step), GB/s. */
  weightGBs?: number;
  /** weightGBs / the machine's DRAM read bandwidth (all threads), in percent; only when Wh is larger than the last-level cache. */
  pctOfStream?: number;
  /** elementwise / reduce: bytes read and written per second (inputs + output once), GB/s. */
  memGBs?: number;
  /** qat_step: (this step's median / the float step's median on the same target − 1) × 100. */
  overheadPct?: number;
  /** packed_infer: the f32 row's median / this median on the same target (> 1: the packed model is faster). */
  speedupVsFloat?: number;
  /** qat_run: the short training run. */
  qatRun?: {
    readonly steps: number;
    /** steps / median time of the training steps (set-up and calibration excluded). */
    readonly stepsPerS: number;
    readonly firstLoss: number;
    readonly finalLoss: number;
    /** Final loss of the float run (qat_run_float) on the same target. */
    floatFinalLoss?: number;
  };
  /** This row's median / the fastest peer's median on the same case (< 1: faster than every peer). */
  vsFastestPeer?: number;
  /** nibble rows: each peer's median / this row's median (> 1: nibble is faster). */
  speedupVsPeers?: Record<string, number>;
}

/** A target of the run and whether it could run. */
export interface TargetInfo {
  readonly id: string;
  readonly label: string;
  readonly kind: 'nibble' | 'peer';
  readonly available: boolean;
  readonly reason?: string;
  readonly caseKinds: readonly string[];
  readonly info?: Readonly<Record<string, string | number | boolean>>;
}

/** The machine the run measured. */
export interface MachineInfo {
  readonly cpuModel: string;
  readonly logicalCpus: number;
  readonly totalMemGiB: number;
  readonly node: string;
  readonly platform: string;
  readonly arch: string;
  readonly limits: MachineLimits | null;
  readonly limitsUnavailableReason?: string;
  /** CPU used by other processes during the run, % of the whole machine (null without /proc/stat). */
  otherCpuPercent: number | null;
}

/** The whole result file. */
export interface BenchResult {
  readonly schema: typeof BENCH_RESULT_SCHEMA;
  readonly createdAt: string;
  readonly suite: string;
  readonly options: {
    readonly suite: string;
    readonly backends: readonly string[];
    readonly peers: readonly string[];
    readonly size: string;
    readonly repeat: number | null;
    readonly cases: readonly string[];
  };
  readonly timingPolicy: TimingPolicy;
  readonly caseFile: { readonly path: string; readonly schema: string; readonly sha256: string };
  readonly machine: MachineInfo;
  readonly targets: readonly TargetInfo[];
  readonly rows: RowResult[];
  durationS: number;
}
