import { decodeSafetensors, encodeSafetensors, type SafetensorsEntry, scope, type Tensor, tensor } from '@nibble/core';
import { Embedding, Module, OrthogonalRNN, TransformerEncoderLayer } from '@nibble/layers';
import { describe, expect, it } from 'vitest';
import { prepareQat, type QatPlan } from '../qat/prepare-qat.ts';
import { input, LstmTagger, mlp, values } from '../../test/test-models.ts';
import { QuantizedFileError, QuantizedModelMismatchError } from './errors.ts';
import { exportQuantized } from './export-quantized.ts';
import { loadQuantized, readQuantized } from './load-quantized.ts';

/** OrthogonalRNN(4 → 8, Björck) returning its hidden states. */
class OrnnTagger extends Module {
  readonly rnn: OrthogonalRNN;
  constructor(seed: number) {
    super();
    this.rnn = this.addModule('rnn', new OrthogonalRNN(4, 8, { parametrization: 'bjorck', batchFirst: true, seed }));
  }
  forward(x: Tensor): Tensor {
    const { output, h } = this.rnn.forward(x);
    h.dispose();
    return output;
  }
}

/** Embedding(11 → 16) then one Transformer encoder layer (attention and FFN projections are Linear layers). */
class TinyEncoder extends Module {
  readonly embed: Embedding;
  readonly layer: TransformerEncoderLayer;
  constructor(seed: number) {
    super();
    this.embed = this.addModule('embed', new Embedding(11, 16, { seed }));
    this.layer = this.addModule('layer', new TransformerEncoderLayer(16, 4, { dimFeedforward: 32, batchFirst: true, dropout: 0, seed: seed + 1 }));
  }
  forward(tokens: Tensor): Tensor {
    const e = this.embed.forward(tokens);
    const y = this.layer.forward(e);
    e.dispose();
    return y;
  }
}

const STE4: QatPlan = [{ pattern: '*weight*', quantizer: 'ste', config: { bits: 4, granularity: 'channel' } }];

/** Exports `model` under `plan` and returns its eval output on `x` with the bytes. */
function exportWith(model: Module & { forward(x: Tensor): Tensor }, plan: QatPlan, x: Tensor) {
  const qat = prepareQat(model, plan);
  model.eval();
  const y = values(model.forward(x));
  const exported = exportQuantized(model, qat);
  qat.detach();
  return { y, exported };
}

/** Everything observable about a model's state: values of every tensor, transforms, own forward overrides. */
function snapshot(model: Module) {
  return {
    state: [...model.stateDict()].map(([k, v]) => [k, Array.from(v.dataSync())]),
    transforms: [...model.namedParameters().keys()].filter((n) => model.weightTransform(n)),
    swaps: [...model.namedModules()].filter(([, m]) => Object.prototype.hasOwnProperty.call(m, 'forward')).map(([n]) => n),
  };
}

/** Re-encodes a file after editing its tensors and metadata. */
function edit(bytes: Uint8Array, fn: (tensors: Map<string, SafetensorsEntry>, md: Record<string, string>) => void): Uint8Array {
  const d = decodeSafetensors(bytes);
  const tensors = new Map<string, SafetensorsEntry>([...d.tensors].map(([k, t]) => [k, { dtype: t.dtype, shape: [...t.shape], data: t.data.slice() }]));
  const md = { ...d.metadata };
  fn(tensors, md);
  return encodeSafetensors(tensors, md);
}

describe('exportQuantized / loadQuantized', () => {
  it('a Linear stack at 4-bit per channel runs on packedMatmul, bit for bit equal to the fake-quant eval forward', () => {
    const x = input([7, 64], 11);
    const { y, exported } = exportWith(mlp(64, 256, 32, 1), STE4, x);
    const fresh = mlp(64, 256, 32, 77).eval(); // other init: every value must come from the file
    using loaded = loadQuantized(exported.bytes, fresh);
    expect([...loaded.weights.values()].map((w) => [w.name, w.execution])).toEqual([
      ['0.weight', 'packedMatmul'],
      ['2.weight', 'packedMatmul'],
    ]);
    expect(values(fresh.forward(x))).toEqual(y);
    // batched leading axes go through the same path
    const x3 = x.reshape([7, 1, 64]);
    expect(values(fresh.forward(x3))).toEqual(y);
    // a second load, or a QAT plan, on layers that run packed weights would be ignored by them: both are refused
    expect(() => loadQuantized(exported.bytes, fresh)).toThrow(/'0\.weight' belongs to a layer that already runs packed weights/);
    expect(() => prepareQat(fresh, STE4)).toThrow(/belongs to a layer running packed weights/);
    loaded.unload();
    expect(snapshot(fresh).swaps).toEqual([]);
    // loaded inside a scope: the packed tensors outlive it
    const again = scope(() => loadQuantized(exported.bytes, fresh));
    expect(values(fresh.forward(x))).toEqual(y);
    again.unload();
    x.dispose();
    fresh.dispose();
  });

  it('payload × 8 equals Σ sizeBits (spec §8) and the 4-bit file is about 1/8 of the float32 file plus scales', () => {
    const model = mlp(64, 256, 32, 2);
    const x = input([2, 64], 1);
    const floatFile = encodeSafetensors(Object.fromEntries([...model.stateDict()].map(([k, v]) => [k, { dtype: 'F32' as const, shape: v.shape, data: Float32Array.from(v.dataSync()) }])));
    const { exported } = exportWith(model, STE4, x);
    const weightsN = 256 * 64 + 32 * 256;
    const rows = 256 + 32;
    expect(exported.sizeBits).toBe(weightsN * 4 + rows * 32);
    expect(exported.payloadBits).toBe(exported.sizeBits);
    expect(exported.weights['0.weight']).toEqual({ sizeBits: 256 * 64 * 4 + 256 * 32, payloadBits: 256 * 64 * 4 + 256 * 32 });
    expect(exported.floatBits).toBe(32 * (256 + 32));
    const header = exported.bytes.length - (exported.payloadBits + exported.floatBits) / 8;
    expect(header).toBeGreaterThan(0);
    expect(header).toBeLessThan(4096);
    // Data regions: weights at 4/32 = 1/8, plus one float32 scale per row; biases stay float32 in both.
    const floatData = (weightsN + rows) * 4;
    const expected = (weightsN / 2 + rows * 4 + rows * 4) / floatData;
    expect((exported.payloadBits + exported.floatBits) / 8 / floatData).toBe(expected);
    // Whole files: the quantized header also carries the per-weight layout JSON.
    const ratio = exported.bytes.length / floatFile.length;
    console.log(`[size] 4-bit file ${exported.bytes.length} B / float32 file ${floatFile.length} B = ${ratio.toFixed(4)} (data region ${expected.toFixed(4)})`);
    expect(ratio).toBeGreaterThan(expected);
    expect(ratio).toBeLessThan(expected + 0.02);
    expect(readQuantized(exported.bytes).payloadBits).toBe(exported.payloadBits);
    x.dispose();
    model.dispose();
  });

  it('an LSTM tagger: packed head on packedMatmul, LSTM weights dequantized per forward, equal to the fake-quant model', () => {
    const x = input([3, 5, 6], 4);
    const { y, exported } = exportWith(new LstmTagger(6, 8, 4, 3), STE4, x);
    const fresh = new LstmTagger(6, 8, 4, 40).eval();
    using loaded = loadQuantized(exported.bytes, fresh);
    expect(Object.fromEntries([...loaded.weights].map(([n, w]) => [n, w.execution]))).toEqual({
      'lstm.weightIh0': 'dequantize-per-forward',
      'lstm.weightHh0': 'dequantize-per-forward',
      'head.weight': 'packedMatmul',
    });
    const yl = values(fresh.forward(x));
    expect(yl.length).toBe(y.length);
    let maxDiff = 0;
    for (let i = 0; i < y.length; i++) maxDiff = Math.max(maxDiff, Math.abs(yl[i]! - y[i]!));
    // Same matmul and the same dequantized values on both sides: bit for bit (the documented bound would be 1e-6).
    expect(maxDiff).toBe(0);
    x.dispose();
    fresh.dispose();
  });

  it('an orthogonal RNN (Björck): the quantizer sees Björck(V), the file packs q(Björck(V)), outputs are equal', () => {
    const x = input([2, 6, 4], 12);
    const make = (seed: number) => new OrnnTagger(seed);
    const model = make(5);
    // V = 1.5·(orthogonal): Björck(V) differs from V, so exporting the raw parameter would give other codes.
    model.assign({ 'rnn.recurrentWeight': model.rnn.rawParameter('recurrentWeight').mul(1.5) });
    const { y, exported } = exportWith(model, [{ pattern: '*Weight', quantizer: 'ste', config: { bits: 4, granularity: 'channel' } }], x);
    const file = readQuantized(exported.bytes);
    expect([...file.packed.keys()]).toEqual(['rnn.inputWeight', 'rnn.recurrentWeight']);
    const fresh = make(50).eval();
    using _loaded = loadQuantized(file, fresh);
    expect(values(fresh.forward(x))).toEqual(y);
    x.dispose();
    fresh.dispose();
  });

  it('a Transformer encoder layer: every attention and FFN projection on packedMatmul, the embedding dequantized', () => {
    const tokens = tensor(new Int32Array([1, 5, 3, 10, 0, 2, 7, 7]), { shape: [2, 4] });
    const plan: QatPlan = [
      { pattern: 'embed.weight', quantizer: 'ste', config: { bits: 8, granularity: 'channel' } },
      { pattern: /(q|k|v|out|linear1|linear2)\.weight$/, quantizer: 'lsq', config: { bits: 4, granularity: 'channel' } },
    ];
    const { y, exported } = exportWith(new TinyEncoder(3), plan, tokens);
    const fresh = new TinyEncoder(30).eval();
    using loaded = loadQuantized(exported.bytes, fresh);
    const executions = [...loaded.weights.values()].map((w) => w.execution);
    expect(executions.filter((e) => e === 'packedMatmul')).toHaveLength(6);
    expect(loaded.weights.get('embed.weight')!.execution).toBe('dequantize-per-forward');
    expect(values(fresh.forward(tokens))).toEqual(y);
    tokens.dispose();
    fresh.dispose();
  });

  it('mixed layouts: affine 3-bit (packed zero-points), binary, LSQ per tensor, PQ with an fp16 codebook', () => {
    const plan: QatPlan = [
      { pattern: '0.weight', quantizer: 'ste', config: { bits: 3, scheme: 'affine', granularity: 'channel' } },
      { pattern: '2.weight', quantizer: 'pq', config: { blockSize: 4, centroids: 16 } },
      { pattern: '0.bias', quantizer: 'ste', config: { bits: 1 } },
      { pattern: '2.bias', quantizer: 'lsq', config: { bits: 8 } },
    ];
    const x = input([4, 8], 9);
    const { y, exported } = exportWith(mlp(8, 16, 4, 5), plan, x);
    const file = readQuantized(exported.bytes);
    expect(file.packed.get('0.weight')!.record.zeroPoints).toEqual({ storage: 'packed', count: 16, bits: 3 });
    expect(file.packed.get('0.bias')!.record.zeroPoints).toEqual({ storage: 'implied', count: 1, value: 0.5 });
    expect(file.packed.get('2.weight')!.record.tables).toEqual({ count: 16 * 4, bits: 16 });
    expect(decodeSafetensors(exported.bytes).tensors.get('2.weight.codebook')!.dtype).toBe('F16');
    // 3-bit codes sit in 4-bit containers (and 3-bit zero-points in 4-bit fields): the payload exceeds the logical size
    // by exactly that padding; the others are exact.
    expect(exported.weights['0.weight']!.payloadBits - exported.weights['0.weight']!.sizeBits).toBe(16 * 8 * 1 + 16 * 1);
    // PQ codes take one byte each (the packedMatmul layout) while 16 centroids need 4 bits: 4 bits of padding per code.
    expect(exported.weights['2.weight']!.payloadBits - exported.weights['2.weight']!.sizeBits).toBe(16 * 4);
    // A [16] bias is 16 rows of one 1-bit code: each row is padded to a byte (7 bits each).
    expect(exported.weights['0.bias']!.payloadBits - exported.weights['0.bias']!.sizeBits).toBe(16 * 7);
    expect(exported.weights['2.bias']!.payloadBits).toBe(exported.weights['2.bias']!.sizeBits);
    const fresh = mlp(8, 16, 4, 60).eval();
    using _loaded = loadQuantized(file, fresh);
    expect(values(fresh.forward(x))).toEqual(y);
    x.dispose();
    fresh.dispose();
  });

  describe('bad files are refused and leave the model untouched', () => {
    const x = input([2, 8], 3);
    const { exported } = exportWith(mlp(8, 16, 4, 8), STE4, x);
    const good = exported.bytes;
    const cases: [string, () => Uint8Array, RegExp, typeof QuantizedFileError | typeof QuantizedModelMismatchError][] = [
      ['truncated', () => good.subarray(0, good.length - 9), /not a readable safetensors file/, QuantizedFileError],
      ['empty', () => new Uint8Array(0), /not a readable safetensors file \(0 bytes\)/, QuantizedFileError],
      ['wrong format', () => edit(good, (_t, md) => void (md['format'] = 'other')), /format is "other"; expected 'nibble-quantized'/, QuantizedFileError],
      ['newer version', () => edit(good, (_t, md) => void (md['format_version'] = '2')), /format_version is "2"; this reader supports '1'/, QuantizedFileError],
      [
        'unsupported bits',
        () => edit(good, (_t, md) => void (md['weights'] = md['weights']!.replace('"bits":4', '"bits":3'))),
        /weight '0\.weight' has invalid layout metadata: layout\.bits 3; expected 1, 2, 4 or 8/,
        QuantizedFileError,
      ],
      [
        'layout that does not fit its codes',
        () => edit(good, (_t, md) => void (md['weights'] = md['weights']!.replace('"bits":4', '"bits":8'))),
        /tensor '0\.weight\.codes' is U8\[16,4\]; its layout needs U8\[16,8\]/,
        QuantizedFileError,
      ],
      ['missing scales', () => edit(good, (t) => void t.delete('2.weight.scales')), /tensor '2\.weight\.scales' is missing/, QuantizedFileError],
      ['metadata not JSON', () => edit(good, (_t, md) => void (md['weights'] = '{oops')), /weights is not JSON/, QuantizedFileError],
      ['missing float tensor', () => edit(good, (t) => void t.delete('2.bias')), /'2\.bias' \[4\] is missing from the file/, QuantizedModelMismatchError],
      [
        'extra tensor',
        () => edit(good, (t) => void t.set('3.weight', { dtype: 'F32', shape: [1], data: new Float32Array(1) })),
        /the file has tensors the model does not: 3\.weight/,
        QuantizedModelMismatchError,
      ],
      [
        'float tensor of another shape',
        () => edit(good, (t) => void t.set('2.bias', { dtype: 'F32', shape: [5], data: new Float32Array(5) })),
        /'2\.bias' is \[4\] in the model; the file has \[5\]/,
        QuantizedModelMismatchError,
      ],
    ];
    for (const [what, bytes, message, cls] of cases) {
      it(what, () => {
        const model = mlp(8, 16, 4, 21);
        const before = snapshot(model);
        let err: unknown;
        try {
          loadQuantized(bytes(), model);
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(cls);
        expect((err as Error).message).toMatch(message);
        expect(snapshot(model)).toEqual(before);
        model.dispose();
      });
    }

    it('a model of another shape', () => {
      const model = mlp(8, 17, 4, 21);
      const before = snapshot(model);
      expect(() => loadQuantized(good, model)).toThrow(QuantizedModelMismatchError);
      expect(() => loadQuantized(good, model)).toThrow(/'0\.weight' is \[17,8\] in the model; the file packs \[16,8\]/);
      expect(snapshot(model)).toEqual(before);
      model.dispose();
    });

    it('a model that already carries quantizers', () => {
      const model = mlp(8, 16, 4, 21);
      using _qat = prepareQat(model, STE4);
      const before = snapshot(model);
      expect(() => loadQuantized(good, model)).toThrow(/'0\.weight' already has a weight transform/);
      expect(snapshot(model)).toEqual(before);
      model.dispose();
    });

    it('PQ codes outside the codebook', () => {
      const m = mlp(8, 16, 4, 8);
      const { exported: pq } = exportWith(m, [{ pattern: '*.weight', quantizer: 'pq', config: { blockSize: 4, centroids: 8 } }], x);
      const bad = edit(pq.bytes, (t) => {
        const codes = t.get('0.weight.codes')!;
        (codes.data as Uint8Array)[3] = 8;
      });
      expect(() => readQuantized(bad)).toThrow(/PQ code 8 at index 3 is not below 8 centroids/);
      m.dispose();
    });
  });
});
