// Out-of-line parts of the range coder: construction and the minimal flush.
// finish() picks the point of the final interval with the most trailing zero
// bytes, flushes it, and drops the trailing zeros (the decoder supplies them).
#include "coder/range_coder.h"

#include <stdexcept>

namespace nncomp::coder {

RangeEncoder::RangeEncoder(std::vector<uint8_t>* out) : out_(out), start_(out->size()) {}

void RangeEncoder::finish() {
  assert(!finished_);
  if (finished_) return;
  finished_ = true;
  // Any value V with low <= V < low + range decodes every symbol correctly
  // (the decoder pads with zero bytes). Take the one with the most trailing
  // zero bytes: range >= 2^24 always contains a multiple of 2^24, so at most
  // one byte of the window is non-zero; a multiple of 2^32 (carry or not)
  // makes the whole window zero.
  const uint64_t end = low_ + range_;  // exclusive, < 2^33
  for (int k = 32; k >= 0; k -= 8) {
    const uint64_t mask = (uint64_t{1} << k) - 1;
    const uint64_t v = (low_ + mask) & ~mask;
    if (v < end) {
      low_ = v;
      break;
    }
  }
  // Five shifts move the cache, the pending bytes and all four window bytes
  // out (as in LZMA's Flush); then the zero tail is dropped.
  for (int i = 0; i < 5; ++i) shift_low();
  while (out_->size() > start_ && out_->back() == 0) out_->pop_back();
}

RangeDecoder::RangeDecoder(const uint8_t* data, size_t size) : data_(data), size_(data ? size : 0) {
  // LZMA's decoder reads 5 bytes, the first always zero; the encoder does not
  // write that byte, so 4 bytes fill the 32-bit code.
  for (int i = 0; i < 4; ++i) code_ = (code_ << 8) | next_byte();
}

void RangeEncoder::restore(const Registers& r, std::span<const uint8_t> written) {
  if (finished_) throw std::invalid_argument("range encoder: restore after finish()");
  if (r.low >> 33 != 0 || r.range < kTop)
    throw std::invalid_argument("range encoder: registers out of range");
  out_->resize(start_);
  out_->insert(out_->end(), written.begin(), written.end());
  low_ = r.low;
  range_ = r.range;
  cache_ = r.cache;
  have_cache_ = r.have_cache;
  pending_ff_ = r.pending_ff;
}

void RangeDecoder::restore(const Registers& r) {
  if (r.pos > size_ || r.range < kTop)
    throw std::invalid_argument("range decoder: registers out of range");
  pos_ = static_cast<size_t>(r.pos);
  overrun_ = static_cast<size_t>(r.overrun);
  code_ = r.code;
  range_ = r.range;
}

}  // namespace nncomp::coder
