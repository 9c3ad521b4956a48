// BigBuffer: mmap with a huge-page hint on Linux, aligned_alloc elsewhere.
#include "mix/big_buffer.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace nncomp::mix {

namespace {
std::atomic<uint64_t> g_live{0};
std::atomic<uint64_t> g_mapped{0};
}  // namespace

uint64_t BigBuffer::live_bytes() { return g_live.load(); }
uint64_t BigBuffer::mapped_bytes() { return g_mapped.load(); }

BigBuffer::BigBuffer(uint64_t bytes) : size_(bytes) {
  if (bytes == 0) return;
#if defined(__linux__)
  if (bytes >= (uint64_t{1} << 21)) {
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    madvise(p, bytes, MADV_HUGEPAGE);
    data_ = static_cast<uint8_t*>(p);
    mapped_ = true;
    g_live += size_;
    g_mapped += size_;
    return;
  }
#endif
  const uint64_t rounded = (bytes + 63) & ~uint64_t{63};
  void* p = std::aligned_alloc(64, rounded);
  if (!p) throw std::bad_alloc();
  std::memset(p, 0, rounded);
  data_ = static_cast<uint8_t*>(p);
  g_live += size_;
}

BigBuffer::~BigBuffer() { release(); }

BigBuffer& BigBuffer::operator=(BigBuffer&& o) noexcept {
  if (this != &o) {
    release();
    data_ = o.data_;
    size_ = o.size_;
    mapped_ = o.mapped_;
    o.data_ = nullptr;
    o.size_ = 0;
  }
  return *this;
}

void BigBuffer::release() {
  if (!data_) return;
  g_live -= size_;
  if (mapped_) g_mapped -= size_;
#if defined(__linux__)
  if (mapped_) {
    munmap(data_, size_);
    data_ = nullptr;
    return;
  }
#endif
  std::free(data_);
  data_ = nullptr;
}

}  // namespace nncomp::mix
