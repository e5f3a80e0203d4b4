import { keep } from '../memory/scope.ts';
import type { GradOp } from '../spi/ops.ts';
import { Tensor } from '../tensor.ts';

/** Backward rule of a node created by {@link customVjp}. */
export type CustomRule = (ctx: { inputs: readonly Tensor[]; output: Tensor }, gradOutput: Tensor) => readonly (Tensor | null)[];

/** One recorded operation. `inputs`/`output` identify tensors; `saved*` are retained handles holding their values. */
export interface TapeNode {
  readonly op: GradOp | 'custom';
  readonly params: unknown;
  readonly inputs: readonly Tensor[];
  readonly output: Tensor;
  readonly savedInputs: readonly Tensor[];
  readonly savedOutput: Tensor;
  readonly rule?: CustomRule;
}

/** A gradient recording: the watched tensors and the operations that depend on them. */
export class Tape {
  readonly watched = new Set<Tensor>();
  readonly nodes: TapeNode[] = [];
  private readonly retained: Tensor[] = [];

  /** A handle sharing `t`'s buffer that lives until the tape is released (scopes do not free it). */
  retain(t: Tensor): Tensor {
    t.backend.incRef(t.buffer);
    const r = keep(new Tensor(t.runtime, t.backend, t.buffer, t.dtype, t.shape, t.strides, t.offset));
    this.retained.push(r);
    return r;
  }

  /** Frees the handles a node retained (its saved inputs and output) once its rule will not run again, except `keep`. */
  releaseNode(node: TapeNode, keep: ReadonlySet<Tensor>): void {
    for (const t of [...node.savedInputs, node.savedOutput]) if (!keep.has(t)) t.dispose();
  }

  /** Frees every retained handle. */
  release(): void {
    for (const r of this.retained) r.dispose();
    this.retained.length = 0;
    this.nodes.length = 0;
    this.watched.clear();
  }
}

const tapes: Tape[] = [];
let noGradDepth = 0;

/** Starts recording on a new tape. */
export function pushTape(tape: Tape): void {
  tapes.push(tape);
}
/** Stops recording on the innermost tape. */
export function popTape(tape: Tape): void {
  const i = tapes.lastIndexOf(tape);
  if (i >= 0) tapes.splice(i, 1);
}

/** True when an op on these inputs would be recorded. */
export function isRecording(inputs: readonly Tensor[]): boolean {
  if (noGradDepth > 0) return false;
  return tapes.some((tape) => inputs.some((t) => tape.watched.has(t)));
}

/** Records an op on every active tape that watches one of its inputs. Called only by the dispatch point. */
export function record(op: GradOp | 'custom', inputs: readonly Tensor[], output: Tensor, params: unknown, rule?: CustomRule): void {
  if (noGradDepth > 0) return;
  for (const tape of tapes) {
    if (!inputs.some((t) => tape.watched.has(t))) continue;
    const node: TapeNode = {
      op,
      params,
      inputs,
      output,
      savedInputs: inputs.map((t) => tape.retain(t)),
      savedOutput: tape.retain(output),
      ...(rule ? { rule } : {}),
    };
    tape.nodes.push(node);
    tape.watched.add(output);
  }
}

/**
 * Runs `fn` without recording gradients.
 *
 * @example
 * ```ts
 * const y = noGrad(() => model.forward(x)); // evaluation: nothing is taped
 * ```
 */
export function noGrad<T>(fn: () => T): T {
  noGradDepth++;
  try {
    return fn();
  } finally {
    noGradDepth--;
  }
}
