// Benchmark-only bridge to the system OpenBLAS, loaded with dlopen so the addon never links against it.
#pragma once
#include <string>

namespace nibble {

struct OpenBlasInfo {
  bool ok;
  std::string reason;  // why it is unavailable
  std::string core;    // openblas_get_corename(): the kernel family OpenBLAS picked
  std::string config;  // openblas_get_config()
  int threads;
};

OpenBlasInfo openblas_load(const std::string& path);
void openblas_set_threads(int threads);
/** Row-major C = A·B (M×K times K×N), no transposes. Requires a successful openblas_load. */
void openblas_sgemm(long m, long n, long k, const float* a, const float* b, float* c);

}  // namespace nibble
