// avx512 instance of kernels.inc (compiler flags for this file come from binding.gyp).
#define NIB_NS isa_avx512
#define NIB_VL 16
#define NIB_MR 14
#define NIB_MR_SHORT 8
#define NIB_NAME "avx512"
#include "kernels.inc"

namespace nibble {
const KernelTable& kernels_avx512() { return isa_avx512::table(); }
}  // namespace nibble
