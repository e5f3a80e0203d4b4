// The case models written with nibble's public ops, exactly as train-cases.json "models" defines them (gate order
// i, f, g, o through the lstmSequence capability; pre-LN encoder block through layerNorm and softmax; plain SGD
// through valueAndGrad; dense layers through matmulBias, the product with its bias add fused).
import type { LstmData, TransformerData } from '../../cases/case-data.js';
import type { LstmInferCase, LstmTrainCase, TransformerTrainCase } from '../../cases/train-cases.js';
import type { PreparedCase } from '../bench-target.js';
import type { NibbleSession } from './load-nibble.js';

type Tensor = import('@nibble/core').Tensor;

/** Frees tensors (parameters, constants) of a prepared case. */
function disposeAll(ts: Iterable<Tensor>): void {
  for (const t of ts) t.dispose();
}

/** logits[B*T, C] of the LSTM + dense head; `p` = [wx, wh, b, wd, bd]. */
function lstmLogits(s: NibbleSession, d: LstmData, x: Tensor, p: readonly Tensor[]): Tensor {
  const [wx, wh, b, wd, bd] = p as [Tensor, Tensor, Tensor, Tensor, Tensor];
  const { core, runtime } = s;
  const { B, T, H } = d;
  const zeros = core.zeros([B, H], { runtime });
  // x·Wx + b for every step at once; the recurrence runs in the fused lstmSequence capability.
  const y = core.lstmSequence(core.matmulBias(x, wx, b).reshape([B, T, 4 * H]), wh, zeros, zeros);
  const hs = y.slice([0, 0, 0, 0], [B, T, 1, H]).reshape([B * T, H]);
  return core.matmulBias(hs, wd, bd);
}

function lstmParams(s: NibbleSession, d: LstmData): Tensor[] {
  const { core, runtime } = s;
  return [
    core.tensor(d.wx, { runtime, shape: [d.I, 4 * d.H] }),
    core.tensor(d.wh, { runtime, shape: [d.H, 4 * d.H] }),
    core.tensor(d.b, { runtime, shape: [4 * d.H] }),
    core.tensor(d.wd, { runtime, shape: [d.H, d.C] }),
    core.tensor(d.bd, { runtime, shape: [d.C] }),
  ];
}

async function scalarOf(t: Tensor): Promise<number> {
  try {
    return (await t.data())[0] as number;
  } finally {
    t.dispose();
  }
}

/** One SGD update p ← p − lr·g, freeing the old parameters and the gradients. */
function sgdUpdate(params: Tensor[], grads: readonly Tensor[], lr: number): void {
  params.forEach((p, i) => {
    const g = grads[i] as Tensor;
    const step = g.mul(lr);
    params[i] = p.sub(step);
    step.dispose();
    g.dispose();
    p.dispose();
  });
}

/** lstm_infer: forward pass, all logits read back. */
export async function nibbleLstmInfer(s: NibbleSession, c: LstmInferCase, d: LstmData): Promise<PreparedCase> {
  const { core, runtime } = s;
  const p = lstmParams(s, d);
  const x = core.tensor(d.x, { runtime, shape: [d.B * d.T, d.I] });
  return {
    async step() {
      const logits = core.scope(() => lstmLogits(s, d, x, p));
      try {
        const data = await logits.data();
        return { kind: 'tensor', data: data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>), shape: [c.B, c.T, c.C] };
      } finally {
        logits.dispose();
      }
    },
    dispose: () => disposeAll([x, ...p]),
  };
}

/** lstm_train: forward + backward (valueAndGrad) + SGD, loss read back. */
export async function nibbleLstmTrain(s: NibbleSession, c: LstmTrainCase, d: LstmData): Promise<PreparedCase> {
  const { core, runtime } = s;
  const p = lstmParams(s, d);
  const x = core.tensor(d.x, { runtime, shape: [d.B * d.T, d.I] });
  const labels = core.tensor(d.labels, { runtime, shape: [d.B * d.T], dtype: 'int32' });
  const oneHot = core.oneHot(labels, d.C);
  labels.dispose();
  const loss = (...params: Tensor[]): Tensor => {
    const logits = lstmLogits(s, d, x, params);
    return logits.logSumExp(-1).sub(logits.mul(oneHot).sum(-1)).mean();
  };
  const lossAndGrads = core.valueAndGrad(loss);
  return {
    async step() {
      const { value, grads } = lossAndGrads(...p);
      sgdUpdate(p, grads, c.lr);
      return { kind: 'loss', loss: await scalarOf(value) };
    },
    dispose: () => disposeAll([x, oneHot, ...p]),
  };
}

const TRANSFORMER_PARAMS = ['wq', 'bq', 'wk', 'bk', 'wv', 'bv', 'wo', 'bo', 'w1', 'b1', 'w2', 'b2', 'ln1Gamma', 'ln1Beta', 'ln2Gamma', 'ln2Beta'] as const;
type TransformerParam = (typeof TRANSFORMER_PARAMS)[number];

function transformerParams(s: NibbleSession, d: TransformerData): Tensor[] {
  const { core, runtime } = s;
  const shapes: Partial<Record<TransformerParam, number[]>> = { wq: [d.D, d.D], wk: [d.D, d.D], wv: [d.D, d.D], wo: [d.D, d.D], w1: [d.D, d.F], w2: [d.F, d.D] };
  return TRANSFORMER_PARAMS.map((name) => core.tensor(d[name], { runtime, shape: shapes[name] ?? [d[name].length] }));
}

function transformerBlock(s: NibbleSession, d: TransformerData, x: Tensor, params: readonly Tensor[]): Tensor {
  const layerNorm = (v: Tensor, gamma: Tensor, beta: Tensor) => s.core.layerNorm(v, gamma, beta, 1e-5); // population variance
  const p = Object.fromEntries(TRANSFORMER_PARAMS.map((n, i) => [n, params[i] as Tensor])) as Record<TransformerParam, Tensor>;
  const { B, S, D, heads } = d;
  const dh = D / heads;
  const heads4 = (v: Tensor): Tensor => v.reshape([B, S, heads, dh]).permute([0, 2, 1, 3]);
  const n1 = layerNorm(x, p.ln1Gamma, p.ln1Beta);
  const dense = (v: Tensor, wt: Tensor, bias: Tensor) => s.core.matmulBias(v, wt, bias); // v·W + b
  const q = heads4(dense(n1, p.wq, p.bq));
  const k = heads4(dense(n1, p.wk, p.bk));
  const w = heads4(dense(n1, p.wv, p.bv));
  const attn = q.matmul(k.transpose(-2, -1)).mul(1 / Math.sqrt(dh)).softmax(-1);
  const ctx = attn.matmul(w).permute([0, 2, 1, 3]).reshape([B * S, D]);
  const a = x.add(dense(ctx, p.wo, p.bo));
  const n2 = layerNorm(a, p.ln2Gamma, p.ln2Beta);
  return a.add(dense(dense(n2, p.w1, p.b1).relu(), p.w2, p.b2));
}

/** transformer_train: forward + backward + SGD of the pre-LN block with the MSE loss, loss read back. */
export async function nibbleTransformerTrain(s: NibbleSession, c: TransformerTrainCase, d: TransformerData): Promise<PreparedCase> {
  const { core, runtime } = s;
  const p = transformerParams(s, d);
  const x = core.tensor(d.x, { runtime, shape: [d.B * d.S, d.D] });
  const target = core.tensor(d.target, { runtime, shape: [d.B * d.S, d.D] });
  const lossAndGrads = core.valueAndGrad((...params: Tensor[]) => transformerBlock(s, d, x, params).sub(target).square().mean());
  return {
    async step() {
      const { value, grads } = lossAndGrads(...p);
      sgdUpdate(p, grads, c.lr);
      return { kind: 'loss', loss: await scalarOf(value) };
    },
    dispose: () => disposeAll([x, target, ...p]),
  };
}
