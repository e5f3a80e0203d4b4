#include "openblas.h"

#if defined(__unix__) || defined(__APPLE__)
#include <dlfcn.h>
#define NIBBLE_HAVE_DLOPEN 1
#endif

namespace nibble {

namespace {
enum { kRowMajor = 101, kNoTrans = 111 };
using SgemmFn = void (*)(int, int, int, int, int, int, float, const float*, int, const float*, int, float, float*, int);
using NameFn = char* (*)();
using SetThreadsFn = void (*)(int);
using GetThreadsFn = int (*)();
SgemmFn sgemm_fn = nullptr;
SetThreadsFn set_threads_fn = nullptr;
}  // namespace

OpenBlasInfo openblas_load(const std::string& path) {
  OpenBlasInfo info{false, "", "", "", 0};
#ifdef NIBBLE_HAVE_DLOPEN
  void* lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    const char* err = dlerror();
    info.reason = err != nullptr ? err : "dlopen failed";
    return info;
  }
  sgemm_fn = reinterpret_cast<SgemmFn>(dlsym(lib, "cblas_sgemm"));
  set_threads_fn = reinterpret_cast<SetThreadsFn>(dlsym(lib, "openblas_set_num_threads"));
  auto core = reinterpret_cast<NameFn>(dlsym(lib, "openblas_get_corename"));
  auto config = reinterpret_cast<NameFn>(dlsym(lib, "openblas_get_config"));
  auto threads = reinterpret_cast<GetThreadsFn>(dlsym(lib, "openblas_get_num_threads"));
  if (sgemm_fn == nullptr) {
    info.reason = path + " has no cblas_sgemm";
    return info;
  }
  info.ok = true;
  if (core != nullptr) info.core = core();
  if (config != nullptr) info.config = config();
  if (threads != nullptr) info.threads = threads();
#else
  (void)path;
  info.reason = "dlopen is not available on this platform";
#endif
  return info;
}

void openblas_set_threads(int threads) {
  if (set_threads_fn != nullptr) set_threads_fn(threads);
}

void openblas_sgemm(long m, long n, long k, const float* a, const float* b, float* c) {
  if (sgemm_fn == nullptr) return;
  sgemm_fn(kRowMajor, kNoTrans, kNoTrans, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), 1.f, a,
           static_cast<int>(k), b, static_cast<int>(n), 0.f, c, static_cast<int>(n));
}

}  // namespace nibble
