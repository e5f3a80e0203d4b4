// baseline instance of kernels.inc (compiler flags for this file come from binding.gyp).
#define NIB_NS isa_baseline
#define NIB_VL 4
#define NIB_MR 6
#define NIB_MR_SHORT 4
#define NIB_NAME "baseline"
#include "kernels.inc"

namespace nibble {
const KernelTable& kernels_baseline() { return isa_baseline::table(); }
}  // namespace nibble
