import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EOS_TOKEN, UNK_TOKEN, Vocabulary } from './vocabulary.js';
import { DataArgumentError } from './errors.js';

const arbUnits = fc.array(fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'ab', 'é', '😀', '<eos>'), { maxLength: 12 }), {
  maxLength: 12,
});

describe('Vocabulary', () => {
  it('decode(encode(tokens)) gives the tokens back, with tokens below minCount as <unk>', () => {
    fc.assert(
      fc.property(arbUnits, fc.integer({ min: 1, max: 4 }), (units, minCount) => {
        const vocab = Vocabulary.build(units, { minCount });
        const counts = new Map<string, number>();
        for (const t of units.flat()) counts.set(t, (counts.get(t) ?? 0) + 1);
        for (const unit of units) {
          const expected = unit.map((t) => (t === EOS_TOKEN || (counts.get(t) ?? 0) >= minCount ? t : UNK_TOKEN));
          expect(vocab.decode(vocab.encode(unit))).toEqual(expected);
        }
      }),
    );
  });

  it('puts <unk>, <eos> first, then tokens by decreasing count with ties in code-unit order', () => {
    const vocab = Vocabulary.build([['b', 'a', 'c', 'c'], ['a', 'd', 'c']]);
    expect(vocab.tokens).toEqual(['<unk>', '<eos>', 'c', 'a', 'b', 'd']);
    expect(vocab.unkId).toBe(0);
    expect(vocab.eosId).toBe(1);
    expect(Vocabulary.build([['b', 'a', 'c', 'c'], ['a', 'd', 'c']], { maxSize: 4 }).tokens).toEqual([
      '<unk>',
      '<eos>',
      'c',
      'a',
    ]);
  });

  it('does not depend on the order of the units', () => {
    fc.assert(
      fc.property(arbUnits, (units) => {
        expect(Vocabulary.build([...units].reverse()).tokens).toEqual(Vocabulary.build(units).tokens);
      }),
    );
  });

  it('reads strings by code point and appends <eos> after each unit', () => {
    const vocab = Vocabulary.build(['héllo 😀', 'oh']);
    expect(vocab.decode(vocab.encode('😀h'))).toEqual(['😀', 'h']);
    const stream = vocab.encodeUnits(['hi', 'oh']);
    expect(vocab.decode(stream)).toEqual(['h', '<unk>', '<eos>', 'o', 'h', '<eos>']);
  });

  it('round-trips through its token list', () => {
    const vocab = Vocabulary.build([['x', 'y', 'y']]);
    const restored = Vocabulary.fromTokens(vocab.tokens);
    expect(restored.tokens).toEqual(vocab.tokens);
    expect(restored.encode(['y', 'x', 'z'])).toEqual(vocab.encode(['y', 'x', 'z']));
    expect(() => Vocabulary.fromTokens(['x'])).toThrow(DataArgumentError);
    expect(() => Vocabulary.fromTokens(['<unk>', '<eos>', 'a', 'a'])).toThrow(/distinct/);
  });

  it('rejects out-of-range ids and minCount 0', () => {
    const vocab = Vocabulary.build([['a']]);
    expect(() => vocab.tokenOf(3)).toThrow(/Vocabulary.tokenOf: id must be an integer in \[0, 2\], got 3/);
    expect(() => Vocabulary.build([], { minCount: 0 })).toThrow(DataArgumentError);
  });
});
