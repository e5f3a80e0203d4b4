import { SPLIT_NAMES, type Splits } from './splits.js';
import { Vocabulary, type VocabularyOptions } from './vocabulary.js';

/**
 * A text corpus cut into units (sentences of words, or whole documents of characters) and split by document.
 * `U` is a unit: `readonly string[]` for words, `string` for characters (read by code point).
 */
export interface TextCorpus<U extends Iterable<string>> {
  /** Units of each split, in document order. */
  readonly units: Splits<readonly U[]>;
  /** Ids of the documents in each split; no document is in two splits. */
  readonly documentIds: Splits<readonly string[]>;
}

/** A corpus turned into id streams: every unit is followed by `<eos>`. */
export interface EncodedCorpus {
  /** Built from the training split only, so valid/test tokens unseen in training become `<unk>`. */
  readonly vocabulary: Vocabulary;
  /** Int32Array id stream of each split. */
  readonly ids: Splits<Int32Array>;
}

/**
 * Builds the vocabulary on the training units and encodes all three splits.
 *
 * @example
 * ```ts
 * const { vocabulary, ids } = encodeCorpus(await loadBrownCorpus(), { minCount: 3 });
 * const columns = batchify(ids.train, 32); // then languageModelWindows(columns, { sequenceLength: 35 })
 * ```
 */
export function encodeCorpus<U extends Iterable<string>>(
  corpus: TextCorpus<U>,
  options: VocabularyOptions = {},
): EncodedCorpus {
  const vocabulary = Vocabulary.build(corpus.units.train, options);
  const [train, valid, test] = SPLIT_NAMES.map((split) => vocabulary.encodeUnits(corpus.units[split])) as [
    Int32Array,
    Int32Array,
    Int32Array,
  ];
  return { vocabulary, ids: { train, valid, test } };
}
