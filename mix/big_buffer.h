// A zero-filled, 64-byte-aligned heap block for the big shared tables. On
// Linux, blocks of 2 MiB and more come from anonymous mmap: pages are zeroed
// on demand (fast start; untouched parts cost no memory) and carry a
// transparent-huge-page hint against TLB misses on random access.
#pragma once

#include <cstddef>
#include <cstdint>

namespace nncomp::mix {

class BigBuffer {
 public:
  BigBuffer() = default;
  /// Allocates `bytes` zero bytes. Throws std::bad_alloc.
  explicit BigBuffer(uint64_t bytes);
  ~BigBuffer();
  BigBuffer(BigBuffer&& o) noexcept : data_(o.data_), size_(o.size_), mapped_(o.mapped_) {
    o.data_ = nullptr;
    o.size_ = 0;
  }
  BigBuffer& operator=(BigBuffer&& o) noexcept;
  BigBuffer(const BigBuffer&) = delete;
  BigBuffer& operator=(const BigBuffer&) = delete;

  /// Bytes held by all live BigBuffers of the process, and the part of them
  /// obtained from mmap rather than the heap (for memory tests).
  static uint64_t live_bytes();
  static uint64_t mapped_bytes();

  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }

 private:
  void release();
  uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
  bool mapped_ = false;
};

/// A fixed-size zeroed array of trivially copyable T on a BigBuffer.
template <typename T>
class BigArray {
 public:
  BigArray() = default;
  explicit BigArray(uint64_t n) : mem_(n * sizeof(T)), n_(n) {}
  T* data() { return reinterpret_cast<T*>(mem_.data()); }
  const T* data() const { return reinterpret_cast<const T*>(mem_.data()); }
  uint64_t size() const { return n_; }
  T& operator[](uint64_t i) { return data()[i]; }
  const T& operator[](uint64_t i) const { return data()[i]; }

 private:
  BigBuffer mem_;
  uint64_t n_ = 0;
};

}  // namespace nncomp::mix
