// layer_grad cases on a nibble session: one forward + backward (no update) of @nibble/layers' OrthogonalRNN (Björck)
// or TransformerEncoderLayer, returning the loss and ⟨∇loss, d⟩ (d: the case's direction, or the parameters).
import type { LayerGradCase } from '../../cases/suite-cases.js';
import { transpose, type OrnnLayerData, type TransformerLayerData } from '../../cases/suite-data.js';
import type { PreparedCase } from '../bench-target.js';
import { loadModelKit, type NibbleSession } from './load-nibble.js';

type Tensor = import('@nibble/core').Tensor;
type Module = import('@nibble/layers').Module;

/** Σ over parameters of ⟨grad, direction⟩ (direction = the parameters themselves when `dirs` is undefined). */
async function gradDot(grads: Record<string, Tensor>, params: Record<string, Tensor>, dirs: Record<string, Tensor> | undefined): Promise<number> {
  let total = 0;
  for (const [name, g] of Object.entries(grads)) {
    const d = dirs ? dirs[name] : params[name];
    if (!d) throw new Error(`layer_grad: no direction for parameter '${name}'`);
    const dot = g.mul(d).sum();
    total += (await dot.data())[0] as number;
    dot.dispose();
  }
  return total;
}

/** One forward + backward of `lossOf(model)` over the model's parameters; loss and ⟨∇loss, d⟩ read back. */
function gradStep(s: NibbleSession, model: Module, lossOf: () => Tensor, dirs: Record<string, Tensor> | undefined, extra: Tensor[]): PreparedCase {
  const { core } = s;
  return {
    async step() {
      const params = model.parameters();
      const { value, grads } = core.valueAndGrad((_p: Record<string, Tensor>) => lossOf())(params);
      const [g] = grads as unknown as [Record<string, Tensor>];
      try {
        const loss = (await value.data())[0] as number;
        return { kind: 'loss', loss, gradDot: await gradDot(g, params, dirs) };
      } finally {
        value.dispose();
        for (const t of Object.values(g)) t.dispose();
      }
    },
    dispose: () => {
      model.dispose();
      for (const t of [...extra, ...Object.values(dirs ?? {})]) t.dispose();
    },
  };
}

async function ornn(s: NibbleSession, c: Extract<LayerGradCase, { layer: 'ornn' }>, d: OrnnLayerData): Promise<PreparedCase> {
  const { core, runtime } = s;
  const { layers } = await loadModelKit();
  const model = new layers.OrthogonalRNN(c.I, c.H, { parametrization: 'bjorck', activation: 'modrelu', runtime, seed: 0 });
  const t = (data: Float32Array, shape: number[]): Tensor => core.tensor(data, { runtime, shape });
  model.assign({
    inputWeight: t(d.params.inputWeight, [c.H, c.I]),
    inputBias: t(d.params.inputBias, [c.H]),
    recurrentWeight: t(d.params.recurrentWeight, [c.H, c.H]),
    activationBias: t(d.params.activationBias, [c.H]),
  });
  const shapes: Record<string, number[]> = { inputWeight: [c.H, c.I], inputBias: [c.H], recurrentWeight: [c.H, c.H], activationBias: [c.H] };
  const dirs = Object.fromEntries(Object.entries(d.direction).map(([n, v]) => [n, t(v, shapes[n]!)]));
  const x = t(d.x, [c.T, c.B, c.I]);
  const target = t(d.target, [c.T, c.B, c.H]);
  const lossOf = (): Tensor =>
    core.scope(() => {
      const { output } = model.forward(x);
      return output.sub(target).square().mean();
    });
  return gradStep(s, model, lossOf, dirs, [x, target]);
}

async function transformer(s: NibbleSession, c: Extract<LayerGradCase, { layer: 'transformer' }>, d: TransformerLayerData): Promise<PreparedCase> {
  const { core, runtime } = s;
  const { layers } = await loadModelKit();
  const b = d.block;
  const model = new layers.TransformerEncoderLayer(c.D, c.heads, { dimFeedforward: c.F, dropout: 0, batchFirst: true, normFirst: true, runtime, seed: 0 });
  const t = (data: Float32Array, shape: number[]): Tensor => core.tensor(data, { runtime, shape });
  const lin = (w: Float32Array, rows: number, cols: number): Tensor => t(transpose(w, rows, cols), [cols, rows]); // [in, out] → [out, in]
  const { D, F } = c;
  model.assign({
    'selfAttn.q.weight': lin(b.wq, D, D), 'selfAttn.q.bias': t(b.bq, [D]),
    'selfAttn.k.weight': lin(b.wk, D, D), 'selfAttn.k.bias': t(b.bk, [D]),
    'selfAttn.v.weight': lin(b.wv, D, D), 'selfAttn.v.bias': t(b.bv, [D]),
    'selfAttn.out.weight': lin(b.wo, D, D), 'selfAttn.out.bias': t(b.bo, [D]),
    'linear1.weight': lin(b.w1, D, F), 'linear1.bias': t(b.b1, [F]),
    'linear2.weight': lin(b.w2, F, D), 'linear2.bias': t(b.b2, [D]),
    'norm1.weight': t(b.ln1Gamma, [D]), 'norm1.bias': t(b.ln1Beta, [D]),
    'norm2.weight': t(b.ln2Gamma, [D]), 'norm2.bias': t(b.ln2Beta, [D]),
  });
  model.eval(); // dropout 0 anyway; eval keeps every forward deterministic
  const x = t(b.x, [c.B, c.S, D]);
  const target = t(b.target, [c.B, c.S, D]);
  const lossOf = (): Tensor => core.scope(() => model.forward(x).sub(target).square().mean());
  return gradStep(s, model, lossOf, undefined, [x, target]);
}

/** layer_grad: OrthogonalRNN (Björck) or TransformerEncoderLayer forward + backward. */
export async function nibbleLayerGrad(s: NibbleSession, c: LayerGradCase, d: OrnnLayerData | TransformerLayerData): Promise<PreparedCase> {
  if (c.layer === 'ornn' && d.layer === 'ornn') return ornn(s, c, d);
  if (c.layer === 'transformer' && d.layer === 'transformer') return transformer(s, c, d);
  throw new Error(`layer_grad: case ${c.id} (${c.layer}) got data for ${d.layer}`);
}
