// LSTM steps at batch ≤ 4 (inference at batch 1): each step is a matrix-vector product with Wh, memory-bound unless
// Wh stays in the cores' L2 across steps. Each pool thread owns a range of hidden units: it keeps the Wh columns of
// all four gates of its units in one contiguous packed block (written by itself, so it starts in its own L2) and,
// right after its share of h·Wh, runs the gate nonlinearities of its units. One pinned pool job per step.
#pragma once

#include "aligned_buffer.h"

namespace nibble {

/** Where one step reads and writes, per batch row b (row pointers are base + b·stride). */
struct LstmStepIo {
  const float* h_prev;  // null at t = 0 without an initial state
  long h_prev_stride;
  const float* c_prev;  // null: zero
  long c_prev_stride;
  float* z;  // [B, 4H]: the input projection on entry; scratch afterwards
  const float* bias;  // [4H] or null
  float* h;
  float* c;
  long out_stride;  // of h and c
  float* gates;     // activated gates [B, 4H] rows at gates + b·gates_stride, or null
  long gates_stride;
};

class LstmSmallBatch {
 public:
  /** Whether a batch of `batch` rows with hidden size H takes this path. */
  static bool applies(long batch, long hidden);
  /**
   * Packs Wh ([H, 4H] row-major) for the current pool size and this batch size; call once per sequence. A nonzero
   * `key` names an immutable Wh (the backend passes its buffer's id, never reused): when the last pack had the same
   * key, hidden size, batch layout and pool size, the block is still valid and is not written again.
   */
  void pack(const float* wh, long hidden, long batch, long key = 0);
  /** One step: z += h_prev·Wh, then the gates, h and c of every unit; `batch` must be the one given to pack(). */
  void step(long batch, const LstmStepIo& io) const;
  size_t scratch_bytes() const { return packed_.capacity() + local_.capacity(); }
  void release() {
    key_ = 0;
    packed_.release();
    local_.release();
  }

 private:
  long begin(long t) const;
  long hidden_ = 0, tasks_ = 1;
  bool panels_ = false;  // Wh blocks in 64-column panels (batch 1), else row-contiguous
  long key_ = 0;         // the key of the Wh in packed_ (0: none or unknown)
  AlignedBuffer packed_;
  mutable AlignedBuffer local_;  // per thread: its units' [4][units] gate pre-activations
};

}  // namespace nibble
