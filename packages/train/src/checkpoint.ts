import type { DecodedSafetensors, Runtime, SafetensorsEntry, Tensor } from '@nibble/core';
import { flattenOptimizerState, type Optimizer, type OptimizerState, unflattenOptimizerState } from '@nibble/optim';
import { CheckpointError } from './errors.ts';
import { entryToTensor, tensorToEntry } from './tensor-entries.ts';

/** Marker of nibble training checkpoints in `__metadata__.format`. */
export const CHECKPOINT_FORMAT = 'nibble-checkpoint';
/** Layout version written in `__metadata__.version`. */
export const CHECKPOINT_VERSION = 1;

const MODEL_PREFIX = 'model/';
const OPTIM_PREFIX = 'optim/';

/** What a model must offer to be checkpointed (a `Module` has it). */
export interface CheckpointableModel {
  parameters(): Record<string, Tensor>;
  stateDict(): Map<string, Tensor>;
  loadStateDict(state: Map<string, Tensor>, options?: { strict?: boolean }): void;
}

/** Where training stands; stored as JSON in `__metadata__.training`. */
export interface TrainingPosition {
  /** Optimizer steps completed. */
  readonly step: number;
  /** Epoch in progress (0-based). */
  readonly epoch: number;
  /** Batches of `epoch` already consumed (the data position to resume from). */
  readonly batchInEpoch: number;
  /** Seed of the run: with `step` it keys every random draw (dropout, quantizer noise, data order). */
  readonly seed: number;
  /** Early-stopping bookkeeping and anything else the loop needs to continue exactly. */
  readonly extra?: Readonly<Record<string, JsonValue>>;
}

/** JSON values allowed in the training metadata. */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** A checkpoint in memory: safetensors entries and `__metadata__` strings (the checksum is added by the file writer). */
export interface CheckpointContents {
  readonly entries: Record<string, SafetensorsEntry>;
  readonly metadata: Record<string, string>;
}

/**
 * Packs model parameters and buffers (`model/<name>`), optimizer slot tensors (`optim/<slot>/<param>`) and the
 * training position into one safetensors payload.
 *
 * @example
 * ```ts
 * const contents = packCheckpoint(model, opt, state, { step: 100, epoch: 0, batchInEpoch: 100, seed: 1 });
 * const bytes = encodeSafetensors(contents.entries, contents.metadata);
 * ```
 */
export function packCheckpoint(model: CheckpointableModel, optimizer: Optimizer, state: OptimizerState, position: TrainingPosition): CheckpointContents {
  const entries: Record<string, SafetensorsEntry> = {};
  for (const [name, t] of model.stateDict()) entries[MODEL_PREFIX + name] = tensorToEntry(t);
  const { tensors, scalars } = flattenOptimizerState(state);
  for (const [name, t] of Object.entries(tensors)) entries[OPTIM_PREFIX + name] = tensorToEntry(t);
  const metadata = {
    format: CHECKPOINT_FORMAT,
    version: String(CHECKPOINT_VERSION),
    training: JSON.stringify(position),
    optimizer: JSON.stringify({ name: optimizer.name, ...scalars }),
  };
  return { entries, metadata };
}

function parseJson(where: string, key: string, text: string | undefined): unknown {
  if (text === undefined) throw new CheckpointError(`${where}: __metadata__ has no '${key}'; expected a nibble training checkpoint`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CheckpointError(`${where}: __metadata__.${key} is not valid JSON (${(e as Error).message})`);
  }
}

function isNonNegativeInteger(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/**
 * Validates a decoded checkpoint and loads it: the model's parameters and buffers are replaced (strictly: same names,
 * shapes and dtypes), and the optimizer state is rebuilt for `optimizer`. Everything is checked before the model is
 * touched; on error nothing changes and a {@link CheckpointError} names `where` (e.g. the file) and the problem.
 *
 * @returns the optimizer state (owned by the caller) and the training position.
 */
export function unpackCheckpoint(
  where: string,
  decoded: DecodedSafetensors,
  model: CheckpointableModel,
  optimizer: Optimizer,
): { state: OptimizerState; position: TrainingPosition } {
  const meta = decoded.metadata;
  if (meta.format !== CHECKPOINT_FORMAT) {
    throw new CheckpointError(`${where}: __metadata__.format is ${JSON.stringify(meta.format)}; expected '${CHECKPOINT_FORMAT}'`);
  }
  if (meta.version !== String(CHECKPOINT_VERSION)) {
    throw new CheckpointError(`${where}: checkpoint version ${JSON.stringify(meta.version)}; this @nibble/train reads version ${CHECKPOINT_VERSION}`);
  }
  const position = parseJson(where, 'training', meta.training) as TrainingPosition;
  for (const k of ['step', 'epoch', 'batchInEpoch', 'seed'] as const) {
    if (!isNonNegativeInteger(position?.[k])) throw new CheckpointError(`${where}: training.${k} is ${JSON.stringify(position?.[k])}; expected an integer ≥ 0`);
  }
  const optimMeta = parseJson(where, 'optimizer', meta.optimizer) as { name?: unknown; step?: unknown };
  if (optimMeta?.name !== optimizer.name) {
    throw new CheckpointError(`${where}: the checkpoint holds a '${String(optimMeta?.name)}' optimizer state; the run uses '${optimizer.name}'`);
  }
  if (!isNonNegativeInteger(optimMeta.step)) throw new CheckpointError(`${where}: optimizer.step is ${JSON.stringify(optimMeta.step)}; expected an integer ≥ 0`);

  const params = model.parameters();
  const first = Object.values(params)[0] ?? [...model.stateDict().values()][0];
  if (!first) throw new CheckpointError(`${where}: the model has no parameters or buffers to load`);
  const placement: { runtime: Runtime; backend: string } = { runtime: first.runtime, backend: first.backend.name };

  const modelTensors = new Map<string, Tensor>();
  const optimTensors: Record<string, Tensor> = {};
  const created: Tensor[] = [];
  let state: OptimizerState | undefined;
  try {
    for (const [name, entry] of decoded.tensors) {
      let t: Tensor;
      if (name.startsWith(MODEL_PREFIX)) modelTensors.set(name.slice(MODEL_PREFIX.length), (t = entryToTensor(name, entry, placement)));
      else if (name.startsWith(OPTIM_PREFIX)) optimTensors[name.slice(OPTIM_PREFIX.length)] = t = entryToTensor(name, entry, placement);
      else throw new CheckpointError(`${where}: unexpected tensor '${name}'; expected names starting with '${MODEL_PREFIX}' or '${OPTIM_PREFIX}'`);
      created.push(t);
    }
    // Validate the optimizer state against the checkpoint's own parameter shapes first, so a bad state fails before
    // the model changes.
    const checkpointParams: Record<string, Tensor> = {};
    for (const name of Object.keys(params)) {
      const t = modelTensors.get(name);
      if (t) checkpointParams[name] = t;
    }
    try {
      state = unflattenOptimizerState(optimizer, Object.keys(checkpointParams).length === Object.keys(params).length ? checkpointParams : params, optimTensors, { step: optimMeta.step });
    } catch (e) {
      throw new CheckpointError(`${where}: optimizer state: ${(e as Error).message}`, { cause: e });
    }
    try {
      model.loadStateDict(modelTensors, { strict: true });
    } catch (e) {
      throw new CheckpointError(`${where}: model state: ${(e as Error).message}`, { cause: e });
    }
    // the model copied its tensors; the optimizer state keeps its own
    for (const t of modelTensors.values()) t.dispose();
    return { state, position };
  } catch (e) {
    for (const t of created) if (!t.isDisposed) t.dispose();
    throw e;
  }
}
