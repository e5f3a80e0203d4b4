// Threaded entry points behind the N-API bindings. Arguments are validated in TypeScript and again (bounds only)
// in addon.cc before these run; these functions assume valid sizes.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels.h"

namespace nibble {

// Elementwise over an output of `rank` dims; a/b strides are element strides per output dim (0 = broadcast) and
// their last-dim stride must be 0 or 1.
void binary_broadcast(BinaryOp op, int rank, const long* shape, const float* a, const long* as, const float* b,
                      const long* bs, float* out);
/** Comparisons (0 lt, 1 le, 2 eq, 3 ne) into 0/1 bytes, broadcast like binary_broadcast. */
void compare_broadcast(int op, int rank, const long* shape, const float* a, const long* as, const float* b,
                       const long* bs, uint8_t* out);
/** Dense casts: bytes (bool / uint8) to float32, and float32 to bool (x != 0). */
void cast_u8_f32(long n, const uint8_t* x, float* out);
void cast_f32_bool(long n, const float* x, uint8_t* out);
void unary_op(UnaryOp op, long n, const float* x, float* out);
/** out[r] = reduce(x[r, 0:cols]); op 0 = sum, 1 = max. */
void reduce_rows(int op, long rows, long cols, const float* x, float* out);

/**
 * sum (op 0) or max (op 1) of x viewed as [outer, reduced, inner] over its middle axis, into out [outer, inner];
 * inputs are taken in index order and sums accumulate in double, like the TypeScript kernels (bit-identical).
 */
void reduce_block(int op, long outer, long reduced, long inner, const float* x, float* out);
/** dst[i·dst_strides] = src[i·src_strides] for every index i of `shape` (element strides, all ≥ 0). */
void copy_strided(int rank, const long* shape, const float* src, const long* src_strides, float* dst,
                  const long* dst_strides);

/** Per-row (channel) parameters when params == rows, one set for all when params == 1. */
void fake_quant(long rows, long cols, const float* x, const float* scale, const float* zero, long params, float qmin,
                float qmax, float* out);

/** y[m, n] = x[m, :] · dequant(W[n, :]) for packed int8 / int4 rows (see kernels.inc for the formula). */
void int8_matmul(long m, long k, long n, const float* x, const int8_t* w, const float* scale, const float* zero,
                 long group, float* y);
void int4_matmul(long m, long k, long n, const float* x, const uint8_t* w, bool is_signed, const float* scale,
                 const float* zero, long group, float* y);
/** y[m, r] = Σ_s codebook[codes[r, s]] · x[m, s·d:(s+1)·d] with a K×d codebook and S = k/d codes per row. */
void pq_matmul(long m, long k, long n, const float* x, const float* codebook, long centroids, long d,
               const uint8_t* codes, float* y);

struct LstmWeights {
  long input, hidden;
  const float* wx;    // [I, 4H]
  const float* wh;    // [H, 4H]
  const float* bias;  // [4H] or null
  // Nonzero: names weights that are unchanged since the last call with this key (prepared weights), so the packed
  // copies of Wx and Wh from that call are still valid and are reused.
  long key = 0;
};

/** Whole-sequence forward, time-major x [T, B, I]. gates [T, B, 4H] may be null (inference). */
void lstm_forward(const LstmWeights& w, long steps, long batch, const float* x, const float* h0, const float* c0,
                  float* hs, float* cs, float* gates);

struct LstmGrads {
  float* dx;   // [T, B, I] (overwritten)
  float* dwx;  // [I, 4H] (accumulated)
  float* dwh;  // [H, 4H] (accumulated)
  float* db;   // [4H] (accumulated) or null
  float* dh0;  // [B, H] (overwritten) or null
  float* dc0;  // [B, H] (overwritten) or null
};

/** Whole-sequence backward through the saved forward (hs, cs, gates). dhs [T, B, H]; dh_last/dc_last may be null. */
void lstm_backward(const LstmWeights& w, long steps, long batch, const float* x, const float* h0, const float* c0,
                   const float* hs, const float* cs, const float* gates, const float* dhs, const float* dh_last,
                   const float* dc_last, const LstmGrads& g);

/**
 * The lstmSequence capability: xProj rows at xp + b·xb + t·xt (4H contiguous floats each), wh [H, 4H], h0 and c0
 * [B, H], all dense; writes Y [B, T, 2, H] (h_t, then c_t). A nonzero `wh_key` says that Wh is immutable and
 * names it uniquely, so that a repeated call (inference) reuses its packed copy (see LstmSmallBatch::pack).
 */
void lstm_projected_forward(long B, long T, long H, const float* xp, long xb, long xt, const float* wh,
                            const float* h0, const float* c0, float* y, float* gates, long wh_key = 0);
/**
 * Its backward (the lstmSequenceGrad capability): gy like Y; writes gxp [B, T, 4H], gwh, gh0, gc0 (overwritten).
 * `saved_gates` are the forward's activated gates [B, T, 4H] when it kept them, or null to recompute them.
 */
void lstm_projected_backward(long B, long T, long H, const float* xp, long xb, long xt, const float* wh,
                             const float* h0, const float* c0, const float* y, const float* gy,
                             const float* saved_gates, float* gxp, float* gwh, float* gh0, float* gc0);

/** Microbenchmarks: returns FLOP/s over `threads` threads; bytes/s of a read-only sweep over `bytes`. */
double fma_peak(long iterations, int threads);
double stream_read(size_t bytes, int repeats, int threads);

size_t ops_scratch_bytes();
/** softmax over the last axis of a dense [rows, n] block. */
void softmax_rows(long rows, long n, const float* x, float* y);
/** Its backward over the same rows: gx = y·(g − Σ g·y) per row, from the output y and its gradient g. */
void softmax_grad_rows(long rows, long n, const float* y, const float* g, float* gx);
/** Layer normalization over the last axis of a dense [rows, d] block. */
void layer_norm_rows(long rows, long d, const float* x, const float* gamma, const float* beta, float eps, float* y);
/**
 * Its backward: gx [rows, d], and the column sums g_gamma = Σ gy·x̂, g_beta = Σ gy [d]. The sums are formed in fixed
 * row chunks and added in chunk order, so results do not depend on the thread count.
 */
void layer_norm_grad_rows(long rows, long d, const float* x, const float* gamma, const float* gy, float eps, float* gx,
                          float* g_gamma, float* g_beta);
void release_ops_scratch();
size_t lstm_scratch_bytes();
void release_lstm_scratch();

}  // namespace nibble
