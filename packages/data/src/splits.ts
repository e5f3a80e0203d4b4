/** The three fixed splits every real dataset in this package provides. */
export type SplitName = 'train' | 'valid' | 'test';

/** One value per split. */
export type Splits<T> = { readonly [S in SplitName]: T };

/** All split names, in the order train, valid, test. */
export const SPLIT_NAMES: readonly SplitName[] = ['train', 'valid', 'test'];

/**
 * The split of the document at position `index` (in a fixed document order) under the 8:1:1 interleaved rule used by
 * the text corpora: index mod 10 = 8 → valid, 9 → test, otherwise train. Interleaving keeps every genre or era in all
 * three splits while no document is in two.
 */
export function interleavedSplitOf(index: number): SplitName {
  const r = index % 10;
  return r === 8 ? 'valid' : r === 9 ? 'test' : 'train';
}
