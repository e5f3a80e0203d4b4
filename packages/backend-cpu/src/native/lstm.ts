// LSTM (gate order i, f, g, o; z = x·Wx + h·Wh + b) on the native kernels: whole sequences with the input
// projection hoisted into one matmul, and single cells for step-by-step use. Layout is time-major: x [T, B, I].
import { dim, exactLength, float32, optionalFloat32 } from './checks.js';
import { NativeArgumentError } from './errors.js';
import { requireAddon } from './loader.js';
import { nextWeightKey } from './weight-keys.js';

/** LSTM parameters: `wx` [inputSize, 4·hiddenSize], `wh` [hiddenSize, 4·hiddenSize], `bias` [4·hiddenSize]. */
export interface LstmWeights {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly wx: Float32Array;
  readonly wh: Float32Array;
  readonly bias?: Float32Array;
}

/** Initial state, each [batch, hiddenSize]; zeros when omitted. */
export interface LstmInitialState {
  readonly h0?: Float32Array;
  readonly c0?: Float32Array;
}

/** Output of {@link lstmSequenceForward}: every step's h and c ([T, B, H]) and, for backward, the gates. */
export interface LstmSequenceResult {
  readonly hs: Float32Array;
  readonly cs: Float32Array;
  /** Activated gates (i, f, g, o) per step, [T, B, 4H]; undefined when `saveForBackward` was false. */
  readonly gates: Float32Array | undefined;
}

/** Gradients of {@link lstmSequenceBackward}; freshly allocated. */
export interface LstmGradients {
  readonly dx: Float32Array;
  readonly dwx: Float32Array;
  readonly dwh: Float32Array;
  readonly db: Float32Array;
  readonly dh0: Float32Array;
  readonly dc0: Float32Array;
}

declare const preparedBrand: unique symbol;

/**
 * LSTM weights copied once for repeated inference with {@link lstmSequenceForward}: the copy cannot change, so the
 * packed forms of Wx and Wh that the kernels build on the first call are reused by the next ones (at batch 1,
 * H = 1024, packing both costs a read and a write of 32 MiB per call). Create with {@link prepareLstmWeights}.
 * Only one prepared weight set keeps its packed forms at a time: alternating between two repacks on every switch
 * (still correct).
 */
export interface PreparedLstmWeights {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly [preparedBrand]: true;
}

/** The copied arrays of each prepared set and the key that names them to the addon (never reused). */
const preparedParts = new WeakMap<object, { readonly wx: Float32Array; readonly wh: Float32Array; readonly bias: Float32Array | null; readonly key: number }>();

/**
 * Copies LSTM weights for repeated inference (see {@link PreparedLstmWeights}); later changes to `weights` do not
 * affect the copy.
 *
 * @example
 * ```ts
 * const prepared = prepareLstmWeights({ inputSize: 512, hiddenSize: 512, wx, wh, bias });
 * for (const x of sequences) lstmSequenceForward(prepared, x, 100, 1, {}, { saveForBackward: false });
 * ```
 */
export function prepareLstmWeights(weights: LstmWeights): PreparedLstmWeights {
  const { I, H, wx, wh, bias } = checkWeights('prepareLstmWeights', weights);
  const prepared = Object.freeze({ inputSize: I, hiddenSize: H }) as PreparedLstmWeights;
  preparedParts.set(prepared, { wx: wx.slice(), wh: wh.slice(), bias: bias === null ? null : bias.slice(), key: nextWeightKey() });
  return prepared;
}

function checkWeights(fn: string, w: LstmWeights | PreparedLstmWeights) {
  if (typeof w !== 'object' || w === null) throw new NativeArgumentError(`${fn}: weights must be an object, got ${String(w)}`);
  const parts = preparedParts.get(w);
  if (parts !== undefined) return { I: w.inputSize, H: w.hiddenSize, ...parts };
  if (!('wx' in w)) throw new NativeArgumentError(`${fn}: weights.wx is missing (and the weights do not come from prepareLstmWeights)`);
  const I = dim(fn, 'weights.inputSize', w.inputSize, 1);
  const H = dim(fn, 'weights.hiddenSize', w.hiddenSize, 1);
  const wx = float32(fn, 'weights.wx', w.wx);
  exactLength(fn, 'weights.wx', wx, I * 4 * H, `[${I}, ${4 * H}]`);
  const wh = float32(fn, 'weights.wh', w.wh);
  exactLength(fn, 'weights.wh', wh, H * 4 * H, `[${H}, ${4 * H}]`);
  const bias = optionalFloat32(fn, 'weights.bias', w.bias);
  if (bias !== null) exactLength(fn, 'weights.bias', bias, 4 * H, `[${4 * H}]`);
  return { I, H, wx, wh, bias, key: 0 };
}

function checkState(fn: string, name: string, v: Float32Array | undefined, batch: number, H: number): Float32Array | null {
  const s = optionalFloat32(fn, name, v);
  if (s !== null) exactLength(fn, name, s, batch * H, `[${batch}, ${H}]`);
  return s;
}

/**
 * Runs an LSTM over a whole sequence: x [steps, batch, inputSize] → h and c for every step. Weights used for many
 * sequences are faster as {@link prepareLstmWeights}.
 *
 * @example
 * ```ts
 * const { hs } = lstmSequenceForward(weights, x, 100, 1, {}, { saveForBackward: false }); // inference
 * const last = hs.subarray(99 * hiddenSize);
 * ```
 */
export function lstmSequenceForward(
  weights: LstmWeights | PreparedLstmWeights,
  x: Float32Array,
  steps: number,
  batch: number,
  state: LstmInitialState = {},
  options: { readonly saveForBackward?: boolean } = {},
): LstmSequenceResult {
  const fn = 'lstmSequenceForward';
  const { I, H, wx, wh, bias, key } = checkWeights(fn, weights);
  const T = dim(fn, 'steps', steps);
  const B = dim(fn, 'batch', batch);
  const input = float32(fn, 'x', x);
  exactLength(fn, 'x', input, T * B * I, `[${T}, ${B}, ${I}]`);
  const h0 = checkState(fn, 'h0', state.h0, B, H);
  const c0 = checkState(fn, 'c0', state.c0, B, H);
  const hs = new Float32Array(T * B * H);
  const cs = new Float32Array(T * B * H);
  const gates = options.saveForBackward === false ? undefined : new Float32Array(T * B * 4 * H);
  requireAddon(fn).lstmForward(T, B, I, H, input, wx, wh, bias, h0, c0, hs, cs, gates ?? null, key);
  return { hs, cs, gates };
}

/**
 * Backpropagates through {@link lstmSequenceForward}. `dhs` [T, B, H] is the gradient of the loss w.r.t. every
 * step's h; `dhLast`/`dcLast` [B, H] add gradients for the final state.
 *
 * @example
 * ```ts
 * const fwd = lstmSequenceForward(weights, x, T, B, { h0, c0 });
 * const grads = lstmSequenceBackward(weights, x, T, B, { h0, c0 }, fwd, { dhs });
 * ```
 */
export function lstmSequenceBackward(
  weights: LstmWeights,
  x: Float32Array,
  steps: number,
  batch: number,
  state: LstmInitialState,
  forward: LstmSequenceResult,
  upstream: { readonly dhs?: Float32Array; readonly dhLast?: Float32Array; readonly dcLast?: Float32Array },
): LstmGradients {
  const fn = 'lstmSequenceBackward';
  const { I, H, wx, wh, bias } = checkWeights(fn, weights);
  const T = dim(fn, 'steps', steps);
  const B = dim(fn, 'batch', batch);
  const input = float32(fn, 'x', x);
  exactLength(fn, 'x', input, T * B * I, `[${T}, ${B}, ${I}]`);
  const h0 = checkState(fn, 'h0', state.h0, B, H);
  const c0 = checkState(fn, 'c0', state.c0, B, H);
  const hs = float32(fn, 'forward.hs', forward.hs);
  exactLength(fn, 'forward.hs', hs, T * B * H, `[${T}, ${B}, ${H}]`);
  const cs = float32(fn, 'forward.cs', forward.cs);
  exactLength(fn, 'forward.cs', cs, T * B * H, `[${T}, ${B}, ${H}]`);
  if (forward.gates === undefined) throw new NativeArgumentError(`${fn}: forward.gates is missing; run the forward with saveForBackward: true`);
  const gates = float32(fn, 'forward.gates', forward.gates);
  exactLength(fn, 'forward.gates', gates, T * B * 4 * H, `[${T}, ${B}, ${4 * H}]`);
  const dhs = optionalFloat32(fn, 'dhs', upstream.dhs);
  if (dhs !== null) exactLength(fn, 'dhs', dhs, T * B * H, `[${T}, ${B}, ${H}]`);
  const dhLast = checkState(fn, 'dhLast', upstream.dhLast, B, H);
  const dcLast = checkState(fn, 'dcLast', upstream.dcLast, B, H);
  const grads: LstmGradients = {
    dx: new Float32Array(T * B * I),
    dwx: new Float32Array(I * 4 * H),
    dwh: new Float32Array(H * 4 * H),
    db: new Float32Array(4 * H),
    dh0: new Float32Array(B * H),
    dc0: new Float32Array(B * H),
  };
  requireAddon(fn).lstmBackward(
    T, B, I, H, input, wx, wh, h0, c0, hs, cs, gates, dhs, dhLast, dcLast,
    grads.dx, grads.dwx, grads.dwh, bias === null ? null : grads.db, grads.dh0, grads.dc0,
  );
  return grads;
}

/** One LSTM step: x [batch, inputSize] and the previous state → new h, c ([batch, H]) and the gates [batch, 4H]. */
export interface LstmCellResult {
  readonly h: Float32Array;
  readonly c: Float32Array;
  readonly gates: Float32Array;
}

/**
 * A single fused LSTM cell step (z = x·Wx + h·Wh + b, gates i, f, g, o).
 *
 * @example
 * ```ts
 * let s = lstmCellForward(weights, x0, 1);
 * s = lstmCellForward(weights, x1, 1, { h0: s.h, c0: s.c });
 * ```
 */
export function lstmCellForward(weights: LstmWeights | PreparedLstmWeights, x: Float32Array, batch: number, state: LstmInitialState = {}): LstmCellResult {
  const r = lstmSequenceForward(weights, x, 1, batch, state);
  return { h: r.hs, c: r.cs, gates: r.gates ?? new Float32Array(0) };
}

/** Gradients of one cell step: w.r.t. x, the previous h and c, and the weights. */
export interface LstmCellGradients {
  readonly dx: Float32Array;
  readonly dhPrev: Float32Array;
  readonly dcPrev: Float32Array;
  readonly dwx: Float32Array;
  readonly dwh: Float32Array;
  readonly db: Float32Array;
}

/**
 * Backward of {@link lstmCellForward}: `dh`/`dc` are the gradients w.r.t. the step's outputs h and c.
 *
 * @example
 * ```ts
 * const step = lstmCellForward(weights, x, 1, { h0: h, c0: c });
 * const g = lstmCellBackward(weights, x, 1, { h0: h, c0: c }, step, { dh });
 * ```
 */
export function lstmCellBackward(
  weights: LstmWeights,
  x: Float32Array,
  batch: number,
  state: LstmInitialState,
  forward: LstmCellResult,
  upstream: { readonly dh?: Float32Array; readonly dc?: Float32Array },
): LstmCellGradients {
  const g = lstmSequenceBackward(
    weights, x, 1, batch, state,
    { hs: forward.h, cs: forward.c, gates: forward.gates },
    { ...(upstream.dh === undefined ? {} : { dhLast: upstream.dh }), ...(upstream.dc === undefined ? {} : { dcLast: upstream.dc }) },
  );
  return { dx: g.dx, dhPrev: g.dh0, dcPrev: g.dc0, dwx: g.dwx, dwh: g.dwh, db: g.db };
}
