// Keys that name immutable weights for the addon's packed-copy reuse (prepared LSTM weights, the native backend's
// weight buffers). The addon keeps one packed copy per kind and compares keys, so a key must never name two
// different weights: one counter for the whole process, never reset. 2^53 keys do not run out.
let last = 0;

/** A key no weight has had before. */
export function nextWeightKey(): number {
  return ++last;
}
