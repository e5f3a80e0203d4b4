#include <cstdlib>
#include <cstring>
#include <initializer_list>

#include "kernels.h"

namespace nibble {

bool cpu_supports_isa(const char* isa) {
  if (std::strcmp(isa, "baseline") == 0) return true;
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (std::strcmp(isa, "avx2") == 0) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (std::strcmp(isa, "avx512") == 0)
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("fma");
#endif
  return false;
}

namespace {
const KernelTable* table_for(const char* isa) {
#if defined(__x86_64__) || defined(__i386__)
  if (std::strcmp(isa, "avx512") == 0) return &kernels_avx512();
  if (std::strcmp(isa, "avx2") == 0) return &kernels_avx2();
#endif
  if (std::strcmp(isa, "baseline") == 0) return &kernels_baseline();
  return nullptr;
}

const KernelTable* best() {
  const char* forced = std::getenv("NIBBLE_NATIVE_ISA");
  if (forced != nullptr && cpu_supports_isa(forced) && table_for(forced) != nullptr) return table_for(forced);
  for (const char* isa : {"avx512", "avx2"})
    if (cpu_supports_isa(isa) && table_for(isa) != nullptr) return table_for(isa);
  return &kernels_baseline();
}

const KernelTable* active = nullptr;
}  // namespace

const KernelTable& active_kernels() {
  if (active == nullptr) active = best();
  return *active;
}

bool set_active_isa(const char* isa) {
  if (!cpu_supports_isa(isa) || table_for(isa) == nullptr) return false;
  active = table_for(isa);
  return true;
}

}  // namespace nibble
