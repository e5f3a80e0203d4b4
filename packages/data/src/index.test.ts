import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as data from './index.js';

describe('@nibble/data public surface', () => {
  it('exports the datasets, batching and RNG', () => {
    for (const name of ['PhiloxRandom', 'permutation', 'shuffle', 'batches', 'batchIndices', 'copyTask', 'copyTaskBaseline',
      'addingProblem', 'loadMnist', 'sequentialMnist', 'Vocabulary', 'loadBrownCorpus', 'wordLevelBrown',
      'loadSotuCorpus', 'characterLevelSotu', 'batchify', 'languageModelWindows'] as const) {
      expect(typeof data[name]).toBe('function');
    }
  });

  it('no source module imports a node: built-in statically, so the synthetic tasks load in a browser bundle', () => {
    const dir = fileURLToPath(new URL('.', import.meta.url));
    const sources = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    expect(sources.length).toBeGreaterThan(10);
    for (const file of sources) {
      const text = readFileSync(`${dir}/${file}`, 'utf8');
      expect(text, file).not.toMatch(/^\s*import\s[^;]*from\s+['"]node:/m);
    }
  });
});
