import { requireInteger } from './argument-checks.js';
import { DataArgumentError } from './errors.js';

/** Token standing for every token outside the vocabulary. Always id 0. */
export const UNK_TOKEN = '<unk>';
/** Token marking the end of a sentence (word level) or document (character level). Always id 1. */
export const EOS_TOKEN = '<eos>';

/** Options of {@link Vocabulary.build}. */
export interface VocabularyOptions {
  /** Keep only tokens seen at least this often; rarer ones become `<unk>`. Default 1. */
  readonly minCount?: number;
  /** Keep at most this many tokens in total, specials included (the most frequent win). Default: no limit. */
  readonly maxSize?: number;
}

/** Growable Int32Array used while encoding streams whose length is not known in advance. */
class IdBuffer {
  private data: Int32Array;
  length = 0;
  constructor(capacity: number) {
    this.data = new Int32Array(Math.max(16, capacity));
  }
  push(id: number): void {
    if (this.length === this.data.length) {
      const grown = new Int32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = id;
  }
  toArray(): Int32Array {
    return this.data.slice(0, this.length);
  }
}

function sizeHint(tokens: Iterable<string>): number {
  return typeof tokens === 'string' || Array.isArray(tokens) ? (tokens as { length: number }).length : 1024;
}

/**
 * A token ↔ id mapping with `<unk>` (id 0) and `<eos>` (id 1), then the kept tokens by decreasing count, ties broken
 * by code-unit order, so the same text always gives the same ids. Works for words (units are `string[]`) and for
 * characters (units are strings, iterated by code point).
 *
 * @example
 * ```ts
 * const vocab = Vocabulary.build([['the', 'cat'], ['the', 'dog']], { minCount: 2 });
 * vocab.tokens; // ['<unk>', '<eos>', 'the']
 * vocab.encode(['the', 'cat']); // Int32Array [2, 0]
 * vocab.decode([2, 0, 1]); // ['the', '<unk>', '<eos>']
 * ```
 */
export class Vocabulary {
  /** Tokens by id. */
  readonly tokens: readonly string[];
  readonly unkId = 0;
  readonly eosId = 1;
  private readonly ids: Map<string, number>;

  private constructor(tokens: readonly string[]) {
    this.tokens = tokens;
    this.ids = new Map(tokens.map((t, i) => [t, i]));
  }

  /**
   * Counts the tokens of `units` (typically the training split only) and keeps those seen at least `minCount` times.
   */
  static build(units: Iterable<Iterable<string>>, options: VocabularyOptions = {}): Vocabulary {
    const minCount = requireInteger('Vocabulary.build', 'minCount', options.minCount ?? 1, 1);
    const maxSize = requireInteger('Vocabulary.build', 'maxSize', options.maxSize ?? Number.MAX_SAFE_INTEGER, 2);
    const counts = new Map<string, number>();
    for (const unit of units) {
      for (const token of unit) counts.set(token, (counts.get(token) ?? 0) + 1);
    }
    counts.delete(UNK_TOKEN);
    counts.delete(EOS_TOKEN);
    const kept = [...counts.entries()]
      .filter(([, count]) => count >= minCount)
      .sort(([a, ca], [b, cb]) => cb - ca || (a < b ? -1 : a > b ? 1 : 0))
      .slice(0, maxSize - 2)
      .map(([token]) => token);
    return new Vocabulary([UNK_TOKEN, EOS_TOKEN, ...kept]);
  }

  /**
   * Restores a vocabulary from its `tokens` list (e.g. saved next to a checkpoint). It must start with `<unk>`, `<eos>`
   * and hold no duplicates.
   */
  static fromTokens(tokens: readonly string[]): Vocabulary {
    if (tokens[0] !== UNK_TOKEN || tokens[1] !== EOS_TOKEN) {
      throw new DataArgumentError(
        `Vocabulary.fromTokens: tokens must start with '${UNK_TOKEN}', '${EOS_TOKEN}', got ${JSON.stringify(tokens.slice(0, 2))}`,
      );
    }
    if (new Set(tokens).size !== tokens.length) {
      throw new DataArgumentError(`Vocabulary.fromTokens: tokens must be distinct, got ${tokens.length - new Set(tokens).size} duplicates`);
    }
    return new Vocabulary([...tokens]);
  }

  /** Number of tokens, specials included: the size of the embedding and of the softmax. */
  get size(): number {
    return this.tokens.length;
  }

  /** Whether `token` has its own id (is not mapped to `<unk>`). */
  has(token: string): boolean {
    return this.ids.has(token);
  }

  /** Id of `token`, or {@link unkId} when it is not in the vocabulary. */
  idOf(token: string): number {
    return this.ids.get(token) ?? this.unkId;
  }

  /** Token of `id`; throws unless 0 ≤ id < size. */
  tokenOf(id: number): string {
    const token = this.tokens[id];
    if (token === undefined) {
      throw new DataArgumentError(`Vocabulary.tokenOf: id must be an integer in [0, ${this.size - 1}], got ${id}`);
    }
    return token;
  }

  /** Ids of a token sequence (a string is read by code point). */
  encode(tokens: Iterable<string>): Int32Array {
    const out = new IdBuffer(sizeHint(tokens));
    for (const token of tokens) out.push(this.idOf(token));
    return out.toArray();
  }

  /** Ids of several units (sentences or documents), each followed by `<eos>`, as one stream. */
  encodeUnits(units: Iterable<Iterable<string>>): Int32Array {
    const out = new IdBuffer(1 << 16);
    for (const unit of units) {
      for (const token of unit) out.push(this.idOf(token));
      out.push(this.eosId);
    }
    return out.toArray();
  }

  /** Tokens of a sequence of ids. */
  decode(ids: ArrayLike<number>): string[] {
    return Array.from(ids, (id) => this.tokenOf(id));
  }
}
