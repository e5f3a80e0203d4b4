import type { Optimizer, OptimizerState } from '@nibble/optim';
import { disposeOptimizerState } from '@nibble/optim';
import type { CheckpointableModel, JsonValue, TrainingPosition } from './checkpoint.ts';
import { TrainError } from './errors.ts';
import { evaluate, type MetricFn } from './evaluate.ts';
import { ProgressBar, type ProgressStream } from './progress-bar.ts';
import { type LossFn, trainStep, type TrainableModel } from './train-step.ts';

/** Early stopping: stop after `patience` evaluations without improving `monitor` by more than `minDelta`. */
export interface EarlyStopOptions {
  readonly patience: number;
  /** An evaluation value: `loss` (evaluation loss) or a metric name. */
  readonly monitor: string;
  /** Whether lower (default, 'min') or higher ('max') is better. */
  readonly mode?: 'min' | 'max';
  readonly minDelta?: number;
}

/** Periodic checkpoints: one safetensors file at `path`, rewritten atomically every `every` steps and at the end. */
export interface CheckpointOptions {
  readonly path: string;
  readonly every: number;
}

/** What {@link fit} reports through `onProgress`. */
export type FitEvent =
  | { readonly type: 'step'; readonly step: number; readonly epoch: number; readonly loss: number; readonly gradNorm?: number }
  | { readonly type: 'eval'; readonly step: number; readonly epoch: number; readonly values: Readonly<Record<string, number>> }
  | { readonly type: 'checkpoint'; readonly step: number; readonly path: string }
  | { readonly type: 'resume'; readonly step: number; readonly epoch: number; readonly batchInEpoch: number; readonly path: string };

/** Options of {@link fit}. */
export interface FitOptions<M extends TrainableModel, B> {
  readonly model: M;
  readonly optimizer: Optimizer;
  /**
   * The batches of an epoch: a function of the epoch (shuffle with the seed and epoch so a resumed run sees the same
   * order) or an iterable that is iterated again every epoch.
   */
  readonly trainData: ((epoch: number) => Iterable<B>) | Iterable<B>;
  readonly evalData?: (() => Iterable<B>) | Iterable<B>;
  readonly lossFn: LossFn<M, B>;
  /** Extra evaluation metrics, averaged over evaluation batches. */
  readonly metrics?: Readonly<Record<string, MetricFn<M, B>>>;
  /** Stop after this many epochs and/or this many optimizer steps (at least one of them). */
  readonly epochs?: number;
  readonly steps?: number;
  /** Evaluate every this many steps (default: at the end of every epoch). */
  readonly evalEvery?: number;
  readonly earlyStop?: EarlyStopOptions;
  readonly checkpoint?: CheckpointOptions;
  /** Continue from `checkpoint.path` when it exists (default false). A corrupt checkpoint throws a `CheckpointError`. */
  readonly resume?: boolean;
  /** Seed of the run, passed to `model.setProgress` with every step (default 0). */
  readonly seed?: number;
  /** Clip gradients to this global norm. */
  readonly clipNorm?: number;
  /** Initial optimizer state (default `optimizer.init(model.parameters())`); fit takes ownership (and disposes it when it throws). */
  readonly state?: OptimizerState;
  readonly onProgress?: (event: FitEvent) => void | Promise<void>;
  /** Progress display: a stream, `true` for stderr (default when stderr exists), `false` for none. */
  readonly progress?: boolean | ProgressStream;
}

/** Result of {@link fit}. */
export interface FitResult {
  /** The final optimizer state (owned by the caller). */
  readonly state: OptimizerState;
  readonly step: number;
  readonly epoch: number;
  /** Training loss of every step run by this call, and every evaluation. */
  readonly history: { readonly train: { step: number; loss: number }[]; readonly eval: { step: number; epoch: number; values: Record<string, number> }[] };
  readonly stopReason: 'steps' | 'epochs' | 'earlyStop';
  /** Best monitored value with early stopping. */
  readonly best?: { readonly step: number; readonly value: number };
}

interface EarlyStopState {
  best: number | null;
  bestStep: number;
  bad: number;
}

function checkCount(what: string, v: number | undefined, min: number): void {
  if (v !== undefined && (!Number.isSafeInteger(v) || v < min)) throw new TrainError(`fit: ${what} is ${v}; expected an integer ≥ ${min}`);
}

function defaultStream(): ProgressStream | undefined {
  const p = (globalThis as { process?: { stderr?: ProgressStream } }).process;
  return p?.stderr;
}

/**
 * Trains `model` with `optimizer`: epochs of batches, periodic evaluation, early stopping, atomic checkpoints and exact
 * resume (model, optimizer state, step, epoch, data position and seed are restored, and random draws are keyed by the
 * step, so a resumed run computes the same weights bit for bit as an uninterrupted one).
 *
 * @example
 * ```ts
 * const result = await fit({
 *   model, optimizer: adam({ lr: 1e-3 }),
 *   trainData: (epoch) => batches(train, { batchSize: 32, shuffle: true, seed: 1, epoch }),
 *   evalData: () => batches(valid, { batchSize: 256 }),
 *   lossFn: (m, b) => crossEntropy(m.forward(toTensor(b.x)), toTensor(b.y)),
 *   epochs: 10, earlyStop: { patience: 3, monitor: 'loss' },
 *   checkpoint: { path: 'runs/ckpt.safetensors', every: 500 }, resume: true, seed: 1,
 * });
 * ```
 */
export async function fit<M extends TrainableModel, B>(options: FitOptions<M, B>): Promise<FitResult> {
  const { model, optimizer, lossFn } = options;
  if (options.epochs === undefined && options.steps === undefined) throw new TrainError('fit: neither epochs nor steps given; expected at least one');
  checkCount('epochs', options.epochs, 0);
  checkCount('steps', options.steps, 0);
  checkCount('evalEvery', options.evalEvery, 1);
  checkCount('seed', options.seed, 0);
  checkCount('checkpoint.every', options.checkpoint?.every, 1);
  checkCount('earlyStop.patience', options.earlyStop?.patience, 1);
  if (options.earlyStop && !options.evalData) throw new TrainError(`fit: earlyStop monitors '${options.earlyStop.monitor}' but no evalData was given`);
  if (options.resume && !options.checkpoint) throw new TrainError('fit: resume is true but no checkpoint.path was given');
  const checkpointModel = model as unknown as Partial<CheckpointableModel>;
  if (options.checkpoint && (typeof checkpointModel.stateDict !== 'function' || typeof checkpointModel.loadStateDict !== 'function')) {
    throw new TrainError('fit: checkpoint needs a model with stateDict() and loadStateDict() (a Module)');
  }
  const seed = options.seed ?? 0;
  const trainData = typeof options.trainData === 'function' ? options.trainData : () => options.trainData as Iterable<B>;
  const evalData = options.evalData === undefined ? undefined : typeof options.evalData === 'function' ? options.evalData : () => options.evalData as Iterable<B>;
  // Loaded lazily so browser bundles of fit() never pull node:fs in.
  const files = options.checkpoint ? await import('./checkpoint-file.ts') : undefined;

  let state = options.state ?? optimizer.init(model.parameters());
  let step = state.step;
  let epoch = 0;
  let skip = 0;
  const es: EarlyStopState = { best: null, bestStep: 0, bad: 0 };
  let stoppedEarly = false;
  if (options.resume && options.checkpoint && files && (await fileExists(options.checkpoint.path))) {
    let loaded: Awaited<ReturnType<typeof files.loadCheckpoint>>;
    try {
      loaded = await files.loadCheckpoint(options.checkpoint.path, model as unknown as CheckpointableModel, optimizer);
    } catch (e) {
      disposeOptimizerState(state); // fit owns the initial state; the caller gets none back when it throws
      throw e;
    }
    disposeOptimizerState(state);
    state = loaded.state;
    ({ step, epoch } = loaded.position);
    skip = loaded.position.batchInEpoch;
    const saved = loaded.position.extra?.earlyStop as unknown as EarlyStopState | undefined;
    if (saved) Object.assign(es, saved);
    stoppedEarly = loaded.position.extra?.stoppedEarly === true;
    await options.onProgress?.({ type: 'resume', step, epoch, batchInEpoch: skip, path: options.checkpoint.path });
  }

  const stream = options.progress === false ? undefined : options.progress === true || options.progress === undefined ? defaultStream() : options.progress;
  const bar = stream ? new ProgressBar(stream, { ...(options.steps !== undefined ? { total: options.steps } : {}), startStep: step }) : undefined;
  const history: { train: { step: number; loss: number }[]; eval: { step: number; epoch: number; values: Record<string, number> }[] } = { train: [], eval: [] };
  let stopReason: FitResult['stopReason'] = options.steps !== undefined ? 'steps' : 'epochs';
  let lastSaved = -1;
  let batchInEpoch = skip;

  const save = async (): Promise<void> => {
    if (!options.checkpoint || !files) return;
    const extra = { earlyStop: { ...es } as unknown as JsonValue, stoppedEarly: stopReason === 'earlyStop' };
    const position: TrainingPosition = { step, epoch, batchInEpoch, seed, extra };
    await files.saveCheckpoint(options.checkpoint.path, model as unknown as CheckpointableModel, optimizer, state, position);
    lastSaved = step;
    await options.onProgress?.({ type: 'checkpoint', step, path: options.checkpoint.path });
  };

  /** Runs an evaluation; returns true when early stopping says stop. */
  const runEval = async (): Promise<boolean> => {
    if (!evalData) return false;
    const values = await evaluate(model, evalData(), lossFn, options.metrics);
    history.eval.push({ step, epoch, values });
    bar?.log(`eval step ${step} epoch ${epoch}: ${Object.entries(values).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(' ')}`);
    await options.onProgress?.({ type: 'eval', step, epoch, values });
    const stop = options.earlyStop;
    if (!stop) return false;
    const v = values[stop.monitor];
    if (v === undefined) throw new TrainError(`fit: earlyStop.monitor '${stop.monitor}' is not an evaluation value; expected one of ${Object.keys(values).join(', ')}`);
    const sign = stop.mode === 'max' ? -1 : 1;
    if (es.best === null || sign * (es.best - v) > (stop.minDelta ?? 0)) {
      es.best = v;
      es.bestStep = step;
      es.bad = 0;
    } else {
      es.bad++;
    }
    return es.bad >= stop.patience;
  };

  model.train?.(true);
  if (stoppedEarly) stopReason = 'earlyStop'; // a resumed run that had stopped early stays stopped
  try {
    outer: for (; !stoppedEarly && (options.epochs === undefined || epoch < options.epochs); epoch++, batchInEpoch = 0, skip = 0) {
      const iterator = trainData(epoch)[Symbol.iterator]();
      let seen = 0;
      for (; seen < skip; seen++) if (iterator.next().done) break;
      let ran = 0;
      for (let r = iterator.next(); !r.done; r = iterator.next()) {
        if (options.steps !== undefined && step >= options.steps) break outer;
        model.setProgress?.({ step, epoch, seed });
        const result = await trainStep(model, lossFn, r.value, optimizer, state, options.clipNorm === undefined ? {} : { clipNorm: options.clipNorm });
        state = result.state;
        step++;
        batchInEpoch++;
        ran++;
        history.train.push({ step, loss: result.loss });
        bar?.update({ step, ...(options.steps !== undefined ? { total: options.steps } : {}), epoch, values: { loss: result.loss } });
        await options.onProgress?.({ type: 'step', step, epoch, loss: result.loss, ...(result.gradNorm === undefined ? {} : { gradNorm: result.gradNorm }) });
        const stop = options.evalEvery !== undefined && step % options.evalEvery === 0 ? await runEval() : false;
        if (stop) stopReason = 'earlyStop'; // before saving, so the checkpoint records that the run is over
        if (options.checkpoint && step % options.checkpoint.every === 0) await save();
        if (stop) break outer;
      }
      if (ran === 0 && seen === 0) throw new TrainError(`fit: trainData gave no batches for epoch ${epoch}; expected at least one`);
      if (options.evalEvery === undefined && evalData && (await runEval())) {
        stopReason = 'earlyStop';
        epoch++;
        batchInEpoch = 0;
        break;
      }
    }
    if (options.checkpoint && lastSaved !== step) await save();
  } catch (e) {
    disposeOptimizerState(state); // the caller gets no state back from a throwing fit
    throw e;
  } finally {
    bar?.finish();
  }
  return {
    state,
    step,
    epoch,
    history,
    stopReason,
    ...(es.best === null ? {} : { best: { step: es.bestStep, value: es.best } }),
  };
}

async function fileExists(path: string): Promise<boolean> {
  const { stat } = await import('node:fs/promises');
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
