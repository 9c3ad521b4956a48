// layout.h — how an input is cut into streams (docs/FORMAT.md, "Engine
// conventions the format relies on").
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <span>
#include <vector>

namespace nncomp {

/// The streams of an input of `original_size` bytes: stream s holds bytes
/// [s·stream_len, s·stream_len + original_stream_sizes[s]) of the original.
/// The engine's token buffer is stream-major with stream_len bytes per
/// stream, zero past each stream's end. (The coded size of each stream is
/// Header::stream_sizes.)
struct StreamLayout {
  uint64_t original_size = 0;  ///< bytes of the original
  uint64_t stream_len = 0;     ///< L = ceil(original_size / n_streams)
  std::vector<uint64_t> original_stream_sizes;  ///< bytes of the original in each stream (≤ L)

  StreamLayout(uint64_t size, uint32_t n_streams) : original_size(size) {
    stream_len = (size + n_streams - 1) / n_streams;
    for (uint32_t s = 0; s < n_streams; ++s) {
      const uint64_t begin = s * stream_len;
      original_stream_sizes.push_back(begin >= size ? 0 : std::min(stream_len, size - begin));
    }
  }
  uint32_t n_streams() const { return static_cast<uint32_t>(original_stream_sizes.size()); }
  /// Whether stream s still has a byte at position pos.
  bool live(uint32_t s, uint64_t pos) const { return pos < original_stream_sizes[s]; }
  /// Bytes of the original at stream positions [p0, p1) of all streams.
  uint64_t bytes_in(uint64_t p0, uint64_t p1) const {
    uint64_t n = 0;
    for (uint64_t size : original_stream_sizes) n += std::min(p1, size) - std::min(p0, size);
    return n;
  }
};

/// A zeroed buffer of `size` bytes whose pages are committed only when
/// written (calloc maps large blocks from the kernel's zero pages): a
/// decoder's token buffer is sized by the file's original_size, and a hostile
/// or diverging file should cost memory only for the bytes it really decodes.
class ZeroBuffer {
 public:
  explicit ZeroBuffer(size_t size)
      : data_(static_cast<uint8_t*>(std::calloc(size ? size : 1, 1))), size_(size) {
    if (!data_) throw std::bad_alloc();
  }
  std::span<uint8_t> span() { return {data_.get(), size_}; }
  const uint8_t* data() const { return data_.get(); }

 private:
  struct Free {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  std::unique_ptr<uint8_t, Free> data_;
  size_t size_;
};

}  // namespace nncomp
