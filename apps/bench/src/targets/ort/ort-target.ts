// onnxruntime-node peer: matmul and LSTM inference, on models whose bytes the bench writes itself (ort-models.ts).
import { cpus } from 'node:os';
import type { BenchTarget, PreparedCase } from '../bench-target.js';
import { reasonOf } from '../bench-target.js';
import { streamingCopies } from '../../machine/cache-size.js';
import { qmatvecWeightBytes } from '../../cases/train-cases.js';
import { lstmInferModel, matMulNBitsModel, matmulModel, matvecModel } from './ort-models.js';

type Ort = typeof import('onnxruntime-node');

let ortPromise: Promise<Ort> | undefined;
const loadOrt = (): Promise<Ort> => (ortPromise ??= import('onnxruntime-node'));

/** Session options shared by every case: all optimizations, one intra-op thread per logical CPU. */
function sessionOptions(threads: number): import('onnxruntime-node').InferenceSession.SessionOptions {
  return { graphOptimizationLevel: 'all', intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential' };
}

async function runAndRead(
  session: import('onnxruntime-node').InferenceSession,
  feeds: Record<string, import('onnxruntime-node').Tensor>,
  output: string,
): Promise<Float32Array> {
  const result = await session.run(feeds);
  const out = result[output];
  if (out === undefined || !(out.data instanceof Float32Array)) {
    throw new Error(`ort runAndRead: output "${output}" missing or not float32`);
  }
  return out.data;
}

/**
 * The onnxruntime-node CPU peer.
 *
 * @example
 * const ort = ortTarget();
 * if ((await ort.available()).ok) { ... }
 */
export function ortTarget(threads: number = cpus().length): BenchTarget {
  return {
    id: 'ort',
    label: 'onnxruntime-node',
    kind: 'peer',
    async available() {
      try {
        const ort = await loadOrt();
        // A 1×1 MatMul proves the native binding loads and runs, not just that the JS wrapper imports.
        const session = await ort.InferenceSession.create(matmulModel(1));
        const one = new ort.Tensor('float32', Float32Array.of(2), [1, 1]);
        const c = await runAndRead(session, { A: one, B: one }, 'C');
        await session.release();
        if (c[0] !== 4) return { ok: false, reason: `onnxruntime-node self-test: 2 × 2 gave ${c[0]}` };
        return { ok: true };
      } catch (err) {
        return { ok: false, reason: `onnxruntime-node not loadable: ${reasonOf(err)}` };
      }
    },
    async describe() {
      const ort = await loadOrt();
      return { version: ort.env.versions.node ?? 'unknown', intraOpThreads: threads, executionProvider: 'cpu' };
    },
    cases: {
      async matmul(c, d) {
        const ort = await loadOrt();
        const session = await ort.InferenceSession.create(matmulModel(c.n), sessionOptions(threads));
        const feeds = { A: new ort.Tensor('float32', d.a, [c.n, c.n]), B: new ort.Tensor('float32', d.b, [c.n, c.n]) };
        return {
          step: async () => ({ kind: 'tensor', data: await runAndRead(session, feeds, 'C'), shape: [c.n, c.n] }),
          dispose: () => session.release(),
        } satisfies PreparedCase;
      },
      async lstm_infer(c, d) {
        const ort = await loadOrt();
        const session = await ort.InferenceSession.create(lstmInferModel(d), sessionOptions(threads));
        const feeds = { x: new ort.Tensor('float32', d.x, [c.B, c.T, c.I]) };
        return {
          step: async () => ({ kind: 'tensor', data: await runAndRead(session, feeds, 'logits'), shape: [c.B, c.T, c.C] }),
          dispose: () => session.release(),
        } satisfies PreparedCase;
      },
      async qmatvec(c, d) {
        const ort = await loadOrt();
        const model = d.quantized ? matMulNBitsModel(d.quantized) : matvecModel(d.w, c.K, c.N);
        // One session per weight copy: each holds its own (pre-packed) weights, so cycling streams them from DRAM.
        // Each session has its own intra-op pool whose threads spin after a run; with dozens of sessions the idle
        // pools spin against the running one (medians 8 ms on 2 threads), so they sleep instead. Waking the
        // second thread then costs each run (1.0-1.1 ms against 0.55 for one session of 50 MatMulNBits nodes in
        // packages/backend-cpu/bench/native-bench.ts, the like-for-like ORT figure): this row flatters no one else.
        const copies = streamingCopies(qmatvecWeightBytes(c));
        const options = copies > 1 && threads > 1 ? { ...sessionOptions(threads), extra: { session: { intra_op: { allow_spinning: '0' } } } } : sessionOptions(threads);
        const sessions: import('onnxruntime-node').InferenceSession[] = [];
        for (let i = copies; i > 0; i--) sessions.push(await ort.InferenceSession.create(model, options));
        const feeds = { A: new ort.Tensor('float32', d.x, [1, c.K]) };
        let next = 0;
        return {
          async step() {
            const session = sessions[next++ % sessions.length]!;
            return { kind: 'tensor', data: await runAndRead(session, feeds, 'Y'), shape: [1, c.N] };
          },
          dispose: async () => {
            for (const s of sessions) await s.release();
          },
        } satisfies PreparedCase;
      },
    },
  };
}
