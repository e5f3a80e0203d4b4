// The interface every row of the bench implements: nibble's backends and the peers alike. A target declares which
// case kinds it can run; the runner builds the case data once and hands the same arrays to every target.
import type { CaseKind, CaseOfKind } from '../cases/train-cases.js';
import type { DataOfCase } from '../cases/case-data.js';
import type { CheckResult } from '../run/output-checks.js';

/** Whether a target can run on this machine, and if not, why (shown in the report instead of a row). */
export type Availability = { readonly ok: true; readonly detail?: string } | { readonly ok: false; readonly reason: string };

/**
 * What one step returns, already read back to the host: the loss of a training step, or the full output of an
 * inference / matmul step (row-major, shape as the case file defines it).
 */
export type StepOutput =
  | {
      readonly kind: 'loss';
      readonly loss: number;
      /** layer_grad: ⟨∇loss, d⟩ for the case's direction d, checked against a float64 central difference. */
      readonly gradDot?: number;
      /** qat_run: the whole run this step made (loss is then its final loss). */
      readonly run?: QatRunInfo;
    }
  | { readonly kind: 'tensor'; readonly data: Float32Array; readonly shape: readonly number[] };

/** What one qat_run step (a whole short training run) did. */
export interface QatRunInfo {
  readonly steps: number;
  /** Milliseconds of the training steps alone (model set-up, quantizer calibration excluded). */
  readonly trainMs: number;
  /** Loss of the first training step (before any update). */
  readonly firstLoss: number;
}

/** A case prepared by a target: parameters created, data uploaded, ready to step. */
export interface PreparedCase {
  /**
   * Checks the target made while preparing (e.g. packed output against the fake-quant eval output, or the quantized
   * eval loss against a float64 reference on the exported weights); a failing one aborts the row before timing.
   */
  readonly checks?: readonly CheckResult[];
  /** Runs one step and reads its result back to the host (so asynchronous backends are timed to completion). */
  step(): Promise<StepOutput>;
  /** Frees whatever the target allocated for this case. */
  dispose(): Promise<void> | void;
}

/** Builds a prepared case of one kind from the case definition and its generated data. */
export type CaseFactory<K extends CaseKind> = (c: CaseOfKind<K>, data: DataOfCase<CaseOfKind<K>>) => Promise<PreparedCase>;

/** The case kinds a target implements; a missing kind is reported as "not implemented" for that target. */
export type CaseFactories = { readonly [K in CaseKind]?: CaseFactory<K> };

/**
 * One row family of the bench: a nibble backend or a peer library.
 *
 * @example
 * const target: BenchTarget = {
 *   id: 'js-naive', label: 'plain JS', kind: 'peer',
 *   available: async () => ({ ok: true }),
 *   cases: { matmul: async (c, d) => ({ step: async () => ({ kind: 'tensor', data: mm(d.a, d.b, c.n), shape: [c.n, c.n] }), dispose() {} }) },
 * };
 */
export interface BenchTarget {
  /** Stable id used on the command line (`--peer tfjs-wasm`, `--backend cpu`) and in the JSON output. */
  readonly id: string;
  /** Human-readable name for tables and charts. */
  readonly label: string;
  /** nibble's own rows come first; peers are compared against them. */
  readonly kind: 'nibble' | 'peer';
  /** Loads the library (dynamic import) and reports whether it can run here. Never throws. */
  available(): Promise<Availability>;
  /** Library version and settings (threads, SIMD, …) for the report; only called when available. */
  describe?(): Promise<Readonly<Record<string, string | number | boolean>>>;
  readonly cases: CaseFactories;
  /** Releases library-wide resources (worker processes, sessions) at the end of the run. */
  shutdown?(): Promise<void>;
}

/**
 * Thrown by a case factory for a case of a kind it implements but a variant it does not (e.g. int4 weights on a
 * library without int4 kernels): the row is recorded as skipped with this reason, not as failed.
 */
export class UnsupportedCaseError extends Error {
  override name = 'UnsupportedCaseError';
}

/** Turns anything thrown into a one-line reason. */
export function reasonOf(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`.split('\n')[0] ?? err.name;
  return String(err);
}
