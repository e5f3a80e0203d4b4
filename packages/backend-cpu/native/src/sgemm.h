#pragma once
#include <cstddef>

namespace nibble {

/** A strided float matrix operand: element (b, i, j) is at data[b·batch + i·row + j·col]. */
struct StridedMatrix {
  const float* data;
  long row, col, batch;
};

/**
 * C[b] (+)= A[b]·B[b] for b < batch, A[b] M×K, B[b] K×N, C row-major with leading dimension ldc and batch stride
 * ldcb. Any strides (transposes, broadcast batch = 0) are absorbed by packing.
 */
void sgemm(long batch, long m, long n, long k, StridedMatrix a, StridedMatrix b, float* c, long ldc, long ldcb,
           bool accumulate);

/** Bytes of scratch the gemm driver holds (packed panels); freed by release_gemm_scratch(). */
size_t gemm_scratch_bytes();
void release_gemm_scratch();

}  // namespace nibble
