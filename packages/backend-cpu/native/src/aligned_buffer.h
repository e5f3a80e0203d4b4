// Growable 64-byte-aligned scratch memory. Only native scratch lives here; JS-visible memory is always owned by JS.
#pragma once
#include <cstdlib>
#include <cstring>
#include <new>
#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace nibble {

class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  ~AlignedBuffer() { std::free(data_); }

  float* floats(size_t count) {
    size_t bytes = (count * sizeof(float) + 63) & ~size_t{63};
    if (bytes > capacity_) {
      std::free(data_);
      // Buffers of 2 MiB and more are aligned to 2 MiB and asked for transparent huge pages: physically contiguous,
      // a weight block reused every step (an LSTM's Wh share) then spreads evenly over the L2's sets, which 4 KiB
      // pages scattered in physical memory do not, and the TLB covers it.
      const bool huge = bytes >= kHugePage;
      if (huge) bytes = (bytes + kHugePage - 1) & ~(kHugePage - 1);
      data_ = std::aligned_alloc(huge ? kHugePage : 64, bytes);
      if (data_ == nullptr) {
        capacity_ = 0;
        throw std::bad_alloc();
      }
#if defined(__linux__) && defined(MADV_HUGEPAGE)
      if (huge) madvise(data_, bytes, MADV_HUGEPAGE);  // advice only: a refusal leaves 4 KiB pages
#endif
      capacity_ = bytes;
    }
    return static_cast<float*>(data_);
  }
  void release() {
    std::free(data_);
    data_ = nullptr;
    capacity_ = 0;
  }
  size_t capacity() const { return capacity_; }
  /** The memory of the last floats() call (null before the first). */
  float* data() const { return static_cast<float*>(data_); }

 private:
  static constexpr size_t kHugePage = size_t{2} << 20;
  void* data_ = nullptr;
  size_t capacity_ = 0;
};

}  // namespace nibble
