// avx2 instance of kernels.inc (compiler flags for this file come from binding.gyp).
#define NIB_NS isa_avx2
#define NIB_VL 8
#define NIB_MR 6
#define NIB_MR_SHORT 4
#define NIB_NAME "avx2"
#include "kernels.inc"

namespace nibble {
const KernelTable& kernels_avx2() { return isa_avx2::table(); }
}  // namespace nibble
