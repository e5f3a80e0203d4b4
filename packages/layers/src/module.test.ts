// Module: stable dotted names, train/eval over the tree, validated state dicts, and one weight-transform hook per
// weight of every layer (the point where a quantizer sits).
import { defaultRuntime, full, randomNormal, scope, ShapeError, type Tensor, tensor, ValueError } from '@nibble/core';
import { describe, expect, it } from 'vitest';
import { useCpu } from '../test/helpers.ts';
import { TransformerDecoderLayer, TransformerEncoderLayer } from './transformer.ts';
import { MultiHeadAttention } from './attention.ts';
import { Dropout } from './dropout.ts';
import { Embedding } from './embedding.ts';
import { LayerNorm } from './layer-norm.ts';
import { Linear } from './linear.ts';
import { LSTM } from './lstm.ts';
import { Module, type WeightContext } from './module.ts';
import { OrthogonalRNN } from './orthogonal-rnn.ts';
import { LearnedPositionalEncoding } from './positional.ts';
import { Sequential, Tanh } from './sequential.ts';

useCpu();

/** Holds one child under a fixed name, so names seen by transforms must carry the parent's prefix. */
class Outer<M extends Module> extends Module {
  readonly inner: M;
  constructor(inner: M) {
    super();
    this.inner = this.addModule('inner', inner);
  }
}

class Block extends Module {
  readonly fc: Linear;
  readonly drop: Dropout;
  constructor() {
    super();
    this.addParameter('scale', full([3], 2));
    this.addBuffer('count', full([1], 0));
    this.fc = this.addModule('fc', new Linear(3, 2, { seed: 1 }));
    this.drop = this.addModule('drop', new Dropout(0.5));
  }
}

const key = (stream: number) => ({ seed: 3, stream, counter: 0 });
const values = (t: Tensor) => Array.from(t.hostValuesSync());

describe('Module', () => {
  it('names parameters and buffers by dotted path, depth first in registration order, the same every time', () => {
    const make = () => new Outer(new Block());
    const m = make();
    expect([...m.namedParameters().keys()]).toEqual(['inner.scale', 'inner.fc.weight', 'inner.fc.bias']);
    expect([...m.namedBuffers().keys()]).toEqual(['inner.count']);
    expect([...m.stateDict().keys()]).toEqual(['inner.scale', 'inner.fc.weight', 'inner.fc.bias', 'inner.count']);
    expect([...m.namedModules().keys()]).toEqual(['', 'inner', 'inner.fc', 'inner.drop']);
    const again = make();
    expect([...again.stateDict().keys()]).toEqual([...m.stateDict().keys()]);
    expect(values(again.inner.fc.rawParameter('weight'))).toEqual(values(m.inner.fc.rawParameter('weight')));
    m.dispose();
    again.dispose();
  });

  it('train() and eval() reach every descendant', () => {
    const m = new Outer(new Block());
    m.eval();
    expect([...m.namedModules().values()].map((x) => x.training)).toEqual([false, false, false, false]);
    m.inner.train();
    expect([m.training, m.inner.training, m.inner.fc.training, m.inner.drop.training]).toEqual([false, true, true, true]);
    m.train();
    expect([...m.namedModules().values()].every((x) => x.training)).toBe(true);
    m.dispose();
  });

  it('loadStateDict copies the values in (the caller keeps its tensors) and round-trips stateDict', () => {
    const a = new Outer(new Block());
    const b = new Outer(new Block());
    scope(() => a.assign({ 'inner.fc.weight': randomNormal([2, 3], key(1)), 'inner.scale': randomNormal([3], key(2)) }));
    const state = a.stateDict();
    b.loadStateDict(state);
    for (const [name, t] of state) expect(values(b.stateDict().get(name)!), name).toEqual(values(t));
    a.dispose(); // b holds copies: still readable
    expect(values(b.inner.fc.rawParameter('weight'))).toHaveLength(6);
    b.dispose();
  });

  it('loadStateDict refuses a shape or dtype mismatch naming the entry, both shapes; nothing changes, nothing leaks', () => {
    const m = new Outer(new Block());
    const before = new Map([...m.stateDict()].map(([k, v]) => [k, values(v)]));
    scope(() => {
      const good = Object.fromEntries([...m.stateDict()].map(([k, v]) => [k, v.add(1)]));
      const memory = defaultRuntime.memory();
      // the first entry is valid and would be applied by a loader that does not validate everything first
      expect(() => m.loadStateDict({ ...good, 'inner.fc.weight': tensor([[1, 2], [3, 4], [5, 6]]) })).toThrow(ShapeError);
      expect(() => m.loadStateDict({ ...good, 'inner.fc.weight': tensor([[1, 2], [3, 4], [5, 6]]) })).toThrow(
        "loadStateDict: 'inner.fc.weight' is float32[2,3] in the module; got float32[3,2]",
      );
      expect(() => m.loadStateDict({ ...good, 'inner.count': tensor(new Int32Array([0])) })).toThrow(/'inner.count' is float32\[1\] in the module; got int32\[1\]/);
      expect(() => m.loadStateDict({ 'inner.scale': good['inner.scale']!, extra: tensor([1]) })).toThrow(
        'loadStateDict: missing [inner.fc.weight, inner.fc.bias, inner.count], unexpected [extra]',
      );
      expect(defaultRuntime.memory().buffers).toBe(memory.buffers + 4); // the four tensors created as arguments above
    });
    for (const [k, v] of m.stateDict()) expect(values(v), k).toEqual(before.get(k));
    // non-strict: loads what matches, ignores the rest
    scope(() => m.loadStateDict({ 'inner.scale': tensor([7, 8, 9]), extra: tensor([1]) }, { strict: false }));
    expect(values(m.inner.rawParameter('scale'))).toEqual([7, 8, 9]);
    m.dispose();
  });

  it('assign refuses a wrong shape before replacing anything', () => {
    const m = new Outer(new Block());
    const w = values(m.inner.fc.rawParameter('weight'));
    scope(() => {
      expect(() => m.assign({ 'inner.fc.weight': full([2, 3], 1), 'inner.fc.bias': full([3], 1) })).toThrow(
        "assign: 'inner.fc.bias' is float32[2]; got float32[3]",
      );
    });
    expect(values(m.inner.fc.rawParameter('weight'))).toEqual(w);
    expect(() => m.setWeightTransform('inner.nope.weight', undefined)).toThrow(ValueError);
    expect(() => m.setWeightTransform('inner.fc.nope', undefined)).toThrow(/no parameter 'nope' in Linear; has weight, bias/);
    m.dispose();
  });
});

/** A layer, a forward pass returning one float tensor, built on the default runtime. */
interface LayerCase {
  readonly name: string;
  readonly make: () => Module;
  readonly forward: (m: Module) => Tensor;
}

const x3 = () => randomNormal([2, 3, 4], key(10)); // [B, T, 4] or [T, B, 4]
const layerCases: LayerCase[] = [
  { name: 'Linear', make: () => new Linear(4, 3, { seed: 0 }), forward: (m) => (m as Linear).forward(x3()) },
  { name: 'Embedding', make: () => new Embedding(5, 3, { seed: 0 }), forward: (m) => (m as Embedding).forward(tensor(new Int32Array([0, 4, 2]))) },
  { name: 'LayerNorm', make: () => new LayerNorm([4]), forward: (m) => (m as LayerNorm).forward(x3()) },
  { name: 'LSTM', make: () => new LSTM(4, 3, { numLayers: 2, seed: 0 }), forward: (m) => (m as LSTM).forward(x3()).output },
  {
    name: 'MultiHeadAttention',
    make: () => new MultiHeadAttention(4, 2, { batchFirst: true, seed: 0 }),
    forward: (m) => {
      const x = x3();
      return (m as MultiHeadAttention).forward(x, x, x, { causal: true });
    },
  },
  ...[false, true].map((normFirst) => ({
    name: `TransformerEncoderLayer (${normFirst ? 'pre' : 'post'}-norm)`,
    make: () => new TransformerEncoderLayer(4, 2, { dimFeedforward: 6, dropout: 0, normFirst, batchFirst: true, seed: 0 }),
    forward: (m: Module) => (m as TransformerEncoderLayer).forward(x3()),
  })),
  ...[false, true].map((normFirst) => ({
    name: `TransformerDecoderLayer (${normFirst ? 'pre' : 'post'}-norm)`,
    make: () => new TransformerDecoderLayer(4, 2, { dimFeedforward: 6, dropout: 0, normFirst, batchFirst: true, seed: 0 }),
    forward: (m: Module) => (m as TransformerDecoderLayer).forward(x3(), randomNormal([2, 2, 4], key(11))),
  })),
  { name: 'LearnedPositionalEncoding', make: () => new LearnedPositionalEncoding(4, 5, { batchFirst: true, seed: 0 }), forward: (m) => (m as LearnedPositionalEncoding).forward(x3()) },
  ...(['bjorck', 'projunn-d'] as const).map((parametrization) => ({
    name: `OrthogonalRNN (${parametrization})`,
    make: () => new OrthogonalRNN(4, 3, { parametrization, seed: 0 }),
    forward: (m: Module) => (m as OrthogonalRNN).forward(x3()).output,
  })),
  { name: 'Sequential', make: () => new Sequential(new Linear(4, 3, { seed: 0 }), new Tanh(), new Linear(3, 2, { seed: 1 })), forward: (m) => (m as Sequential).forward(x3()) },
];

describe('weight-transform hook: every weight of every layer is read through it', () => {
  for (const c of layerCases) {
    it(`${c.name}: each parameter's transform is called with its dotted name from the root, and its output is used`, () => {
      const layer = c.make();
      const root = new Outer(layer);
      const names = [...layer.namedParameters().keys()];
      expect(names.length).toBeGreaterThan(0);
      const clean = scope(() => values(c.forward(layer)));
      expect(clean.every(Number.isFinite)).toBe(true);
      for (const name of names) {
        const seen: WeightContext[] = [];
        // NaN propagates through every op, so the output shows whether the transformed value was used (a bias the
        // output is mathematically invariant to, like the key bias of attention, still turns it into NaN).
        root.setWeightTransform(`inner.${name}`, (w, ctx) => {
          seen.push(ctx);
          return w.mul(Number.NaN);
        });
        const out = scope(() => values(c.forward(layer)));
        root.setWeightTransform(`inner.${name}`, undefined);
        expect(seen.length, `${name}: transform not called`).toBeGreaterThan(0);
        expect(seen.every((s) => s.name === `inner.${name}`), `${name}: saw ${seen.map((s) => s.name).join(', ')}`).toBe(true);
        expect(out.some(Number.isNaN), `${name}: the transform's output is not used`).toBe(true);
      }
      // removing the transforms restores the exact output
      expect(scope(() => values(c.forward(layer)))).toEqual(clean);
      root.dispose();
    });
  }

  it('the context carries training mode, step, epoch and a per-weight key that changes with the step', () => {
    const root = new Outer(new Linear(2, 2, { seed: 0 }));
    const seen: WeightContext[] = [];
    for (const n of ['inner.weight', 'inner.bias']) root.setWeightTransform(n, (w, ctx) => (seen.push(ctx), w));
    root.setProgress({ step: 4, epoch: 1, seed: 9 });
    scope(() => root.inner.forward(tensor([[1, 2]])));
    root.eval().setProgress({ step: 5 });
    scope(() => root.inner.forward(tensor([[1, 2]])));
    expect(seen.map((s) => [s.name, s.training, s.step, s.epoch, s.key.seed])).toEqual([
      ['inner.weight', true, 4, 1, 9],
      ['inner.bias', true, 4, 1, 9],
      ['inner.weight', false, 5, 1, 9],
      ['inner.bias', false, 5, 1, 9],
    ]);
    expect(seen[0]!.key.stream).not.toBe(seen[1]!.key.stream);
    expect(seen[0]!.key).not.toEqual(seen[2]!.key);
    root.dispose();
  });
});
