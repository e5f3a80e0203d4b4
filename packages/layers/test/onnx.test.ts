/**
 * ONNX backend-test data (onnx/onnx, Apache-2.0; copied from Debian's libonnx-testdata 1.12.0): LSTM, LayerNormalization
 * over the last axis and Softmax, compared at 1e-5 relative.
 */
import { readdirSync } from 'node:fs';
import { scope, type Tensor, tensor } from '@nibble/core';
import { describe, expect, it } from 'vitest';
import { LayerNorm, LSTM } from '../src/index.ts';
import { expectClose, useCpu } from './helpers.ts';
import { readNode, readOpset, readTensor } from './onnx-proto.ts';

useCpu();
const root = new URL('./fixtures/onnx/', import.meta.url).pathname;
const cases = readdirSync(root);
const load = (dir: string, file: string) => readTensor(`${root}${dir}/${file}`);
const toTensor = (t: { dims: number[]; data: Float32Array }) => tensor(t.data, { shape: t.dims });

/** ONNX packs LSTM gates as (i, o, f, c); PyTorch and nibble as (i, f, g, o). */
function onnxToTorchGates(data: Float32Array, hidden: number, cols: number): Float32Array {
  const block = hidden * cols;
  const out = new Float32Array(data.length);
  [0, 2, 3, 1].forEach((src, dst) => out.set(data.subarray(src * block, (src + 1) * block), dst * block));
  return out;
}

describe('ONNX LSTM (test_lstm_*)', () => {
  for (const dir of cases.filter((c) => c.startsWith('test_lstm_'))) {
    it(dir, () => {
      const node = readNode(`${root}${dir}/model.onnx`);
      expect(node.opType).toBe('LSTM');
      const H = node.attributes.get('hidden_size') as number;
      const layout = (node.attributes.get('layout') as number | undefined) ?? 0;
      const x = load(dir, 'input_0.pb');
      const W = load(dir, 'input_1.pb');
      const R = load(dir, 'input_2.pb');
      const I = x.dims[2]!;
      const lstm = new LSTM(I, H, { batchFirst: layout === 1, seed: 0 });
      const B = node.inputs.length > 3 ? load(dir, 'input_3.pb').data : new Float32Array(8 * H);
      scope(() =>
        lstm.loadStateDict({
          weightIh0: tensor(onnxToTorchGates(W.data, H, I), { shape: [4 * H, I] }),
          weightHh0: tensor(onnxToTorchGates(R.data, H, H), { shape: [4 * H, H] }),
          biasIh0: tensor(onnxToTorchGates(B.subarray(0, 4 * H), H, 1), { shape: [4 * H] }),
          biasHh0: tensor(onnxToTorchGates(B.subarray(4 * H), H, 1), { shape: [4 * H] }),
        }),
      );
      const outputs = readdirSync(`${root}${dir}`).filter((f) => f.startsWith('output_')).map((f) => load(dir, f));
      scope(() => {
        const r = lstm.forward(toTensor(x));
        for (const o of outputs) {
          // Y: [T, dir, B, H] (layout 0) or [B, T, dir, H] (layout 1); Y_h: [dir, B, H] or [B, dir, H].
          if (o.name === 'Y') expectClose(r.output, o.data, 1e-5, 1e-6, `${dir} Y`);
          else if (o.name === 'Y_h') expectClose(layout === 1 ? r.h.transpose(0, 1) : r.h, o.data, 1e-5, 1e-6, `${dir} Y_h`);
          else throw new Error(`unexpected output ${o.name}`);
        }
      });
      lstm.dispose();
    });
  }
});

describe('ONNX LayerNormalization over the trailing axes from `axis` (test_layer_normalization_*)', () => {
  for (const dir of cases.filter((c) => c.startsWith('test_layer_normalization_'))) {
    it(dir, () => {
      const node = readNode(`${root}${dir}/model.onnx`);
      const x = load(dir, 'input_0.pb');
      const axis = (node.attributes.get('axis') as number | undefined) ?? -1;
      const a = axis < 0 ? axis + x.dims.length : axis;
      const eps = (node.attributes.get('epsilon') as number | undefined) ?? 1e-5;
      const w = load(dir, 'input_1.pb');
      const b = load(dir, 'input_2.pb');
      // ONNX normalizes over dims[axis:], with scale and bias of that shape: nibble's normalizedShape
      expect(w.dims).toEqual(x.dims.slice(a));
      const ln = new LayerNorm(w.dims, { eps });
      scope(() => ln.loadStateDict({ weight: toTensor(w), bias: toTensor(b) }));
      scope(() => expectClose(ln.forward(toTensor(x)), load(dir, 'output_0.pb').data, 1e-5, 1e-6, dir));
      ln.dispose();
    });
  }
});

describe('ONNX Softmax (test_softmax_*): core\'s softmax', () => {
  for (const dir of cases.filter((c) => c.startsWith('test_softmax_'))) {
    it(dir, () => {
      const node = readNode(`${root}${dir}/model.onnx`);
      const opset = readOpset(`${root}${dir}/model.onnx`);
      const x = load(dir, 'input_0.pb');
      const rank = x.dims.length;
      const axis = (node.attributes.get('axis') as number | undefined) ?? (opset >= 13 ? -1 : 1);
      const a = axis < 0 ? axis + rank : axis;
      scope(() => {
        const input = toTensor(x);
        // Before opset 13, Softmax flattens to [∏ dims[:axis], ∏ dims[axis:]] and normalizes the second axis.
        const softmax = (t: Tensor, ax: number) => t.softmax(ax);
        const y = opset >= 13 ? softmax(input, a) : softmax(input.reshape([x.dims.slice(0, a).reduce((p, d) => p * d, 1), -1]), 1);
        expectClose(y, load(dir, 'output_0.pb').data, 1e-5, 1e-7, `${dir} (opset ${opset}, axis ${axis})`);
      });
    });
  }
});
