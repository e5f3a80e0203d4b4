import { isRecording, record } from '../autograd/tape.ts';
import { BackendError, DisposedError } from '../errors.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { numel } from '../shape.ts';
import type { Backend } from '../spi/backend.ts';
import { type Capability, CAPABILITY_LIST, type KernelOp, type KernelParams, type TensorView, type ViewOp } from '../spi/ops.ts';
import { Tensor } from '../tensor.ts';
import { inferOutputs } from './infer.ts';
import { lowerings, multiLowerings, type SingleOutputCapability } from './lowerings.ts';

const CAPABILITIES: ReadonlySet<string> = new Set<Capability>(CAPABILITY_LIST);

/** Where an op without tensor inputs runs. */
export interface Placement {
  runtime: Runtime;
  backend: Backend;
}

function placementOf(op: string, inputs: readonly Tensor[], placement?: Placement): Placement {
  const first = inputs[0];
  if (!first) {
    if (!placement) throw new BackendError(`${op}: no input tensor and no placement given`);
    return placement;
  }
  for (const t of inputs) {
    if (t.isDisposed) {
      throw new DisposedError(`${op}: tensor #${t.id} (${t.dtype}[${t.shape.join(',')}]) was disposed; expected a live tensor`);
    }
    if (t.backend !== first.backend) {
      throw new BackendError(`${op}: inputs live on different backends ('${first.backend.name}' and '${t.backend.name}'); move one with toBackend()`);
    }
  }
  return { runtime: first.runtime, backend: first.backend };
}

/**
 * The single dispatch point: validates, runs the kernel (or core's reference lowering when the backend lacks a
 * capability), wraps the output and records it for autograd. User-facing ops and VJP rules both call it.
 */
export function bind<O extends KernelOp>(op: O, inputs: readonly Tensor[], params: KernelParams[O], placement?: Placement): Tensor {
  const { runtime, backend } = placementOf(op, inputs, placement);
  const [spec] = inferOutputs(op, inputs, params);
  if (CAPABILITIES.has(op) && !backend.capabilities.has(op as Capability)) {
    if (op === 'lstmSequenceGrad' || op === 'layerNormGrad') throw new BackendError(`${op}: a multi-output kernel; call bindMulti`);
    const lower = lowerings[op as SingleOutputCapability] as (i: readonly Tensor[], p: KernelParams[O], pl: Placement) => Tensor;
    return lower(inputs, params, { runtime, backend });
  }
  const buffer = backend.alloc(spec!.dtype, numel(spec!.shape));
  const outView: TensorView = { buffer, dtype: spec!.dtype, shape: spec!.shape, strides: contiguous(spec!.shape), offset: 0 };
  try {
    backend.run({ op, inputs: inputs.map((t) => t.view()), outputs: [outView], params });
  } catch (e) {
    backend.decRef(buffer);
    throw e;
  }
  const out = new Tensor(runtime, backend, buffer, spec!.dtype, spec!.shape);
  if (isRecording(inputs)) record(op, inputs, out, params);
  return out;
}

/**
 * Dispatch of a multi-output kernel (backward capabilities such as `lstmSequenceGrad`). Never taped: only valid where
 * gradients are not recorded (inside backward passes or `noGrad`).
 */
export function bindMulti<O extends KernelOp>(op: O, inputs: readonly Tensor[], params: KernelParams[O]): Tensor[] {
  const { runtime, backend } = placementOf(op, inputs);
  if (isRecording(inputs)) throw new BackendError(`${op}: multi-output kernels cannot be recorded for autograd`);
  const specs = inferOutputs(op, inputs, params);
  if (CAPABILITIES.has(op) && !backend.capabilities.has(op as Capability)) {
    const lower = multiLowerings[op as keyof typeof multiLowerings] as unknown as (i: readonly Tensor[], p: KernelParams[O]) => Tensor[];
    return lower(inputs, params);
  }
  const buffers = specs.map((s) => backend.alloc(s.dtype, numel(s.shape)));
  const views: TensorView[] = specs.map((s, i) => ({ buffer: buffers[i]!, dtype: s.dtype, shape: s.shape, strides: contiguous(s.shape), offset: 0 }));
  try {
    backend.run({ op, inputs: inputs.map((t) => t.view()), outputs: views, params });
  } catch (e) {
    for (const b of buffers) backend.decRef(b);
    throw e;
  }
  return specs.map((s, i) => new Tensor(runtime, backend, buffers[i]!, s.dtype, s.shape));
}

/** Creates a view of `x` (no kernel) and records it for autograd. */
export function bindView(op: ViewOp, x: Tensor, params: unknown, shape: readonly number[], strides: readonly number[], offset: number): Tensor {
  x.assertLive(op);
  x.backend.incRef(x.buffer);
  const out = new Tensor(x.runtime, x.backend, x.buffer, x.dtype, [...shape], [...strides], offset);
  if (isRecording([x])) record(op, [x], out, params);
  return out;
}

function contiguous(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}
