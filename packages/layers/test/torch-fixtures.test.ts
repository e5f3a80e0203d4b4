/**
 * PyTorch 2.15 references (float64, tools/fixtures/layers/gen_torch_fixtures.py): LSTM (stacked, batch-first, with
 * initial state; sequence-first), MultiHeadAttention (causal; key padding), TransformerEncoderLayer (post-norm ReLU,
 * pre-norm GELU), TransformerDecoderLayer and cross-entropy. Outputs and the gradients of Σ output · cotangent for
 * every parameter and input, at 1e-5 relative (1e-6 absolute).
 */
import { scope, type Tensor, tensor, valueAndGrad } from '@nibble/core';
import { describe, it } from 'vitest';
import { crossEntropy, fromTorchStateDict, LSTM, MultiHeadAttention, TransformerDecoderLayer, TransformerEncoderLayer } from '../src/index.ts';
import type { Module } from '../src/module.ts';
import { type Encoded, expectClose, fromEncoded, loadParams, readJson, useCpu } from './helpers.ts';

useCpu();

interface Case {
  /** PyTorch's own state dict (names and packed in_proj), when the case has one: loaded through fromTorchStateDict. */
  torchParams?: Record<string, Encoded>;
  config: Record<string, number | boolean | string>;
  params: Record<string, Encoded>;
  inputs: Record<string, Encoded>;
  cotangents: Record<string, Encoded>;
  outputs: Record<string, Encoded>;
  grads: Record<string, Encoded>;
}
const fixtures = readJson<{ torch: string; cases: Record<string, unknown> }>('./fixtures/torch/layers.json');
const c = (name: string) => fixtures.cases[name] as Case;

/**
 * Runs `forward` on the fixture inputs with gradients for the module's parameters and the named inputs, then checks
 * the outputs and every gradient.
 */
function check(module: Module, k: Case, inputNames: string[], forward: (inputs: Record<string, Tensor>) => Record<string, Tensor>): void {
  if (k.torchParams) {
    scope(() => module.loadStateDict(fromTorchStateDict(Object.fromEntries(Object.entries(k.torchParams!).map(([n, v]) => [n, fromEncoded(v)])))));
    // the conversion lands on the same values as the generator's own renaming
    for (const [name, v] of Object.entries(k.params)) expectClose(module.namedParameters().get(name)!, v.data, 0, 1e-300, `fromTorchStateDict ${name}`);
  } else {
    loadParams(module, k.params);
  }
  scope(() => {
    const inputs = Object.fromEntries(inputNames.map((n) => [n, fromEncoded(k.inputs[n]!)]));
    const seen: Record<string, ArrayLike<number>> = {};
    const { grads } = valueAndGrad((params: Record<string, Tensor>, xs: Record<string, Tensor>) => {
      const outs = forward(xs);
      let total: Tensor | undefined;
      for (const [name, t] of Object.entries(outs)) {
        seen[name] = t.hostValuesSync(); // the function's intermediates are freed when it returns
        if (!k.cotangents[name]) continue;
        const term = t.mul(fromEncoded(k.cotangents[name]!)).sum();
        total = total ? total.add(term) : term;
      }
      return total!;
    })(module.parameters(), inputs);
    for (const [name, expected] of Object.entries(k.outputs)) {
      expectClose(seen[name]!, expected.data, 1e-5, 1e-6, `output ${name}`);
    }
    const [gp, gx] = grads;
    for (const name of Object.keys(k.params)) expectClose(gp[name]!, k.grads[name]!.data, 1e-5, 1e-6, `grad ${name}`);
    for (const name of inputNames) expectClose(gx[name]!, k.grads[name]!.data, 1e-5, 1e-6, `grad ${name}`);
  });
  module.dispose();
}

describe(`PyTorch ${fixtures.torch} fixtures`, () => {
  it('LSTM: 2 layers, batch-first, initial state; outputs, final state and all gradients', () => {
    const k = c('lstm_stacked_batch_first');
    const lstm = new LSTM(3, 4, { numLayers: 2, batchFirst: true, seed: 0 });
    check(lstm, k, ['x', 'h0', 'c0'], ({ x, h0, c0 }) => {
      const r = lstm.forward(x!, { h: h0!, c: c0! });
      return { output: r.output, h: r.h, c: r.c };
    });
  });

  it('LSTM: sequence-first, zero initial state, 9 steps', () => {
    const k = c('lstm_seq_first');
    const lstm = new LSTM(2, 3, { seed: 0 });
    check(lstm, k, ['x'], ({ x }) => lstm.forward(x!) as unknown as Record<string, Tensor>);
  });

  it('MultiHeadAttention: causal self-attention', () => {
    const k = c('mha_causal');
    const mha = new MultiHeadAttention(8, 2, { batchFirst: true, seed: 0 });
    check(mha, k, ['query'], ({ query }) => ({ output: mha.forward(query!, query!, query!, { causal: true }) }));
  });

  it('MultiHeadAttention: cross-attention with a key padding mask', () => {
    const k = c('mha_key_padding');
    const mha = new MultiHeadAttention(8, 2, { batchFirst: true, seed: 0 });
    const pad = (k.inputs['keyPaddingMask'] as unknown as number[][]).flat();
    check(mha, k, ['query', 'kv'], ({ query, kv }) => {
      const mask = tensor(Uint8Array.from(pad), { shape: [2, 6], dtype: 'bool' });
      return { output: mha.forward(query!, kv!, kv!, { keyPaddingMask: mask }) };
    });
  });

  for (const name of ['encoder_post_relu', 'encoder_pre_gelu']) {
    it(`TransformerEncoderLayer: ${name}`, () => {
      const k = c(name);
      const cfg = k.config as { activation: 'relu' | 'gelu'; normFirst: boolean };
      const layer = new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0, activation: cfg.activation, normFirst: cfg.normFirst, batchFirst: true, seed: 0 });
      check(layer, k, ['x'], ({ x }) => ({ output: layer.forward(x!, { causal: true }) }));
    });
  }

  it('TransformerDecoderLayer: post-norm, causal target mask', () => {
    const k = c('decoder_post_relu');
    const layer = new TransformerDecoderLayer(8, 2, { dimFeedforward: 16, dropout: 0, batchFirst: true, seed: 0 });
    check(layer, k, ['tgt', 'memory'], ({ tgt, memory }) => ({ output: layer.forward(tgt!, memory!, { tgt: { causal: true } }) }));
  });

  it('crossEntropy: ignoreIndex, labelSmoothing 0 / 0.1, every reduction; loss and gradient', () => {
    const k = fixtures.cases['cross_entropy'] as { inputs: { logits: Encoded; labels: number[] }; results: Record<string, { loss: Encoded; grad: Encoded }> };
    for (const [key, expected] of Object.entries(k.results)) {
      const [reduction, smoothing] = key.split('_') as ['mean' | 'sum' | 'none', string];
      scope(() => {
        const labels = tensor(Int32Array.from(k.inputs.labels), { dtype: 'int32' });
        let loss!: ArrayLike<number>;
        const { grads } = valueAndGrad((logits: Tensor) => {
          const l = crossEntropy(logits, labels, { reduction, labelSmoothing: Number(smoothing) });
          loss = l.hostValuesSync();
          return l.sum();
        })(fromEncoded(k.inputs.logits));
        expectClose(loss, expected.loss.data, 1e-5, 1e-6, `${key} loss`);
        expectClose(grads[0], expected.grad.data, 1e-5, 1e-6, `${key} grad`);
      });
    }
  });
});
