// TensorFlow.js peers (cpu, wasm, webgpu backends) implementing every case of train-cases.json.
import type { BenchTarget, PreparedCase } from '../bench-target.js';
import { reasonOf, UnsupportedCaseError } from '../bench-target.js';
import { streamingCopies } from '../../machine/cache-size.js';
import { qmatvecWeightBytes } from '../../cases/train-cases.js';
import { loadTf, useTfjsBackend, webgpuUnavailableReason, type Tf, type TfjsBackendName } from './load-tfjs.js';
import { tfjsSuiteCases } from './tfjs-suite-cases.js';
import { tfLstmLogits, tfLstmParams, tfSoftmaxCrossEntropy, tfTransformerBlock, tfTransformerParams } from './tfjs-models.js';

type Tensor = import('@tensorflow/tfjs').Tensor;
type Variable = import('@tensorflow/tfjs').Variable;

/** Reads a tensor back to the host as float32 and frees it. */
async function readBack(t: Tensor): Promise<Float32Array> {
  const data = await t.data();
  t.dispose();
  return data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
}

/** One SGD step of `lossFn` over `vars`, then reads the loss (computed before the update) back. */
async function sgdStep(optimizer: import('@tensorflow/tfjs').Optimizer, lossFn: () => import('@tensorflow/tfjs').Scalar, vars: Variable[]): Promise<number> {
  const loss = optimizer.minimize(lossFn, true, vars);
  if (loss === null) throw new Error('tfjs sgdStep: optimizer.minimize returned no loss');
  const value = (await readBack(loss))[0];
  if (value === undefined) throw new Error('tfjs sgdStep: empty loss tensor');
  return value;
}

function disposeAll(tf: Tf, tensors: readonly Tensor[]): void {
  tf.dispose([...tensors]);
}

const LABELS: Record<TfjsBackendName, string> = {
  cpu: 'tfjs cpu',
  wasm: 'tfjs wasm',
  webgpu: 'tfjs webgpu',
  tensorflow: 'tfjs-node',
};

/**
 * A tfjs peer on one backend.
 *
 * @example
 * const wasm = tfjsTarget('wasm');
 * if ((await wasm.available()).ok) { ... }
 */
export function tfjsTarget(backend: TfjsBackendName): BenchTarget {
  return {
    id: `tfjs-${backend}`,
    label: LABELS[backend],
    kind: 'peer',
    async available() {
      try {
        await loadTf();
      } catch (err) {
        return { ok: false, reason: `@tensorflow/tfjs not loadable: ${reasonOf(err)}` };
      }
      if (backend === 'webgpu') {
        const reason = await webgpuUnavailableReason();
        if (reason !== undefined) return { ok: false, reason };
      }
      try {
        await useTfjsBackend(backend);
        return { ok: true };
      } catch (err) {
        return { ok: false, reason: reasonOf(err) };
      }
    },
    async describe() {
      const tf = await useTfjsBackend(backend);
      const info: Record<string, string | number | boolean> = { version: tf.version.tfjs, backend };
      if (backend === 'wasm') {
        info['simd'] = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
        info['threads'] = tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT');
      }
      return info;
    },
    cases: {
      async matmul(c, d) {
        const tf = await useTfjsBackend(backend);
        const a = tf.tensor2d(d.a, [c.n, c.n]);
        const b = tf.tensor2d(d.b, [c.n, c.n]);
        return {
          async step() {
            return { kind: 'tensor', data: await readBack(tf.matMul(a, b)), shape: [c.n, c.n] };
          },
          dispose: () => disposeAll(tf, [a, b]),
        } satisfies PreparedCase;
      },
      async qmatvec(c, d) {
        if (c.bits !== 32) throw new UnsupportedCaseError(`tfjs has no int${c.bits} weight kernels (only float32 weights)`);
        const tf = await useTfjsBackend(backend);
        const x = tf.tensor2d(d.x, [1, c.K]);
        // Copies of W larger than the cache, used round-robin, as quant-cases.json asks.
        const ws = Array.from({ length: streamingCopies(qmatvecWeightBytes(c)) }, () => tf.tensor2d(d.w, [c.K, c.N]));
        let next = 0;
        return {
          async step() {
            const w = ws[next++ % ws.length]!;
            return { kind: 'tensor', data: await readBack(tf.matMul(x, w)), shape: [1, c.N] };
          },
          dispose: () => disposeAll(tf, [x, ...ws]),
        } satisfies PreparedCase;
      },
      async lstm_infer(c, d) {
        const tf = await useTfjsBackend(backend);
        const p = tfLstmParams(tf, d);
        const x = tf.tensor2d(d.x, [d.B * d.T, d.I]);
        return {
          async step() {
            const logits = tf.tidy(() => tfLstmLogits(tf, d, p, x));
            return { kind: 'tensor', data: await readBack(logits), shape: [c.B, c.T, c.C] };
          },
          dispose: () => disposeAll(tf, [x, ...Object.values(p)]),
        } satisfies PreparedCase;
      },
      async lstm_train(c, d) {
        const tf = await useTfjsBackend(backend);
        const p = tfLstmParams(tf, d);
        const x = tf.tensor2d(d.x, [d.B * d.T, d.I]);
        const oneHot = tf.tidy(() => tf.oneHot(tf.tensor1d(d.labels, 'int32'), d.C).toFloat()) as import('@tensorflow/tfjs').Tensor2D;
        const optimizer = tf.train.sgd(c.lr);
        const vars = Object.values(p);
        return {
          async step() {
            const loss = await sgdStep(optimizer, () => tfSoftmaxCrossEntropy(tf, tfLstmLogits(tf, d, p, x), oneHot), vars);
            return { kind: 'loss', loss };
          },
          dispose: () => {
            optimizer.dispose();
            disposeAll(tf, [x, oneHot, ...vars]);
          },
        } satisfies PreparedCase;
      },
      async transformer_train(c, d) {
        const tf = await useTfjsBackend(backend);
        const p = tfTransformerParams(tf, d);
        const x = tf.tensor2d(d.x, [d.B * d.S, d.D]);
        const target = tf.tensor2d(d.target, [d.B * d.S, d.D]);
        const optimizer = tf.train.sgd(c.lr);
        const vars = Object.values(p);
        const lossFn = () => tf.mean(tf.square(tf.sub(tfTransformerBlock(tf, d, p, x), target))) as import('@tensorflow/tfjs').Scalar;
        return {
          async step() {
            return { kind: 'loss', loss: await sgdStep(optimizer, lossFn, vars) };
          },
          dispose: () => {
            optimizer.dispose();
            disposeAll(tf, [x, target, ...vars]);
          },
        } satisfies PreparedCase;
      },
      ...tfjsSuiteCases(backend),
    },
  };
}
