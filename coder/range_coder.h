// Byte-oriented range coder over frequency tables with total 2^24.
// Carry handling follows Igor Pavlov's LZMA range encoder (33-bit low, one
// cached byte plus a count of pending 0xFF bytes); the interval split is the
// exact multiplicative split floor(range * cum / 2^24), so no range is wasted
// on a division remainder. Hot paths are inline; the rest is in the .cpp.
// A binary path (encode_bit / decode_bit, used by mix/) codes one decision
// as the two-symbol table {bit 1: [0, p1*2^8), bit 0: [p1*2^8, 2^24)} on the
// same coder, so the stream format below describes it unchanged.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "coder/quantize.h"

namespace nncomp::coder {

/// Range encoder writing one self-contained stream.
///
/// Method: LZMA rc (Igor Pavlov) with 32-bit range, 64-bit low and carry
/// propagation through a cached byte and a count of pending 0xFF bytes. A
/// symbol [cum, cum+freq) of a 2^24 total narrows [low, low+range) to
///   lo = floor(range*cum / 2^24), hi = floor(range*(cum+freq) / 2^24),
///   low += lo, range = hi - lo,
/// then bytes are shifted out while range < 2^24 (the "multiplicative split"
/// of Subbotin-style / arithmetic-coding practice). Because range >= 2^24
/// before every symbol, every freq >= 1 keeps a non-empty interval.
///
/// Stream format: LZMA's always-zero leading byte is not written, and finish()
/// writes only the bytes needed to identify the final interval and drops
/// trailing zero bytes (the decoder reads bytes past the end as zero). An
/// empty message gives an empty stream. The stream does not record its own
/// length nor the symbol count; the caller stores both.
class RangeEncoder {
 public:
  /// Appends the stream to *out (existing contents are kept untouched).
  /// @param out non-null; must outlive the encoder. Throws nothing (except
  ///            std::bad_alloc from growing *out).
  explicit RangeEncoder(std::vector<uint8_t>* out);

  /// Encodes `symbol` under a table produced by quantize_cdf.
  /// Preconditions (asserted in debug builds): cdf has a valid entry at
  /// symbol and symbol+1, cdf is non-decreasing with cdf[symbol+1] >
  /// cdf[symbol] and cdf[symbol+1] <= 2^24; finish() not yet called.
  void encode(const uint32_t* cdf, int symbol) {
    encode_range(cdf[symbol], cdf[symbol + 1] - cdf[symbol]);
  }

  /// Encodes the sub-interval [cum, cum+freq) of the total 2^24.
  /// Preconditions (asserted): freq >= 1, cum + freq <= 2^24, not finished.
  /// Violations in release builds produce an undecodable stream but never
  /// hang or touch memory other than *out.
  void encode_range(uint32_t cum, uint32_t freq) {
    assert(!finished_);
    assert(freq >= 1 && cum < kFreqTotal && freq <= kFreqTotal - cum);
    const uint64_t r = range_;
    const uint64_t lo = (r * cum) >> kFreqBits;
    const uint64_t hi = (r * (static_cast<uint64_t>(cum) + freq)) >> kFreqBits;
    low_ += lo;
    range_ = static_cast<uint32_t>(hi - lo);
    if (range_ == 0) range_ = 1;  // only reachable when preconditions fail
    while (range_ < kTop) {
      range_ <<= 8;
      shift_low();
    }
  }

  /// Encodes one binary decision: the two-symbol table over 2^24 with bit 1
  /// = [0, p1*2^8) and bit 0 = [p1*2^8, 2^24), i.e. exactly
  /// encode_range(0, p1 << 8) for bit 1 and encode_range(p1 << 8,
  /// 2^24 - (p1 << 8)) for bit 0 (same bytes, tested), without the general
  /// path's second multiplication: the split is bound = (range * p1) >> 16.
  /// @param bit  0 or 1 (any non-zero value counts as 1).
  /// @param p1   P(bit = 1) in units of 2^-16, 1 <= p1 <= 65535 (asserted;
  ///             release builds clamp it into that range, which keeps both
  ///             intervals non-empty since range >= 2^24).
  /// Throws nothing (except std::bad_alloc from growing *out).
  void encode_bit(int bit, uint32_t p1) {
    assert(!finished_);
    assert(p1 >= 1 && p1 <= 65535);
    p1 = p1 < 1 ? 1 : (p1 > 65535 ? 65535 : p1);
    const uint32_t bound = static_cast<uint32_t>((static_cast<uint64_t>(range_) * p1) >> 16);
    if (bit) {
      range_ = bound;
    } else {
      low_ += bound;
      range_ -= bound;
    }
    while (range_ < kTop) {
      range_ <<= 8;
      shift_low();
    }
  }

  /// Flushes the final interval. Call exactly once; no encode afterwards.
  /// Writes at most cached/pending bytes plus one byte of the final window,
  /// minus any trailing zero bytes. Throws nothing (except std::bad_alloc).
  void finish();

  /// Bytes this encoder has appended to *out so far (final after finish()).
  size_t bytes_written() const { return out_->size() - start_; }
  /// Those bytes.
  std::span<const uint8_t> written() const { return {out_->data() + start_, bytes_written()}; }

  /// The encoder between two symbols, for saving a run and continuing it in
  /// another process (docs/RESUME.md): the registers and the bytes written
  /// so far. An encoder on an empty output given restore(registers(),
  /// bytes) of another writes from then on exactly the bytes the other would.
  struct Registers {
    uint64_t low = 0;
    uint32_t range = 0xFFFFFFFFu;
    uint8_t cache = 0;
    bool have_cache = false;
    uint64_t pending_ff = 0;
  };
  Registers registers() const { return {low_, range_, cache_, have_cache_, pending_ff_}; }
  /// Throws std::invalid_argument for registers no encoder can be in
  /// (low ≥ 2^33, range < 2^24) or after finish().
  void restore(const Registers& r, std::span<const uint8_t> written);

 private:
  static constexpr uint32_t kTop = 1u << 24;  // normalisation threshold

  // Moves the top byte of the 32-bit window out of low_ (LZMA ShiftLow).
  void shift_low() {
    if (static_cast<uint32_t>(low_) < 0xFF000000u || (low_ >> 32) != 0) {
      emit_pending(static_cast<uint8_t>(low_ >> 32));
      cache_ = static_cast<uint8_t>(low_ >> 24);
      have_cache_ = true;
    } else {
      ++pending_ff_;  // top byte 0xFF with no carry: undecided until later
    }
    low_ = (low_ & 0x00FFFFFFu) << 8;
  }

  // Writes cache_ + carry and the pending 0xFF bytes (which become 0x00 on a
  // carry). The very first cache is LZMA's implicit zero byte: not written.
  void emit_pending(uint8_t carry) {
    if (have_cache_) {
      out_->push_back(static_cast<uint8_t>(cache_ + carry));
    } else {
      assert(carry == 0);  // the initial interval lies below 2^32
    }
    for (; pending_ff_ != 0; --pending_ff_) out_->push_back(static_cast<uint8_t>(0xFFu + carry));
  }

  std::vector<uint8_t>* out_;
  size_t start_;             // out_->size() at construction
  uint64_t low_ = 0;         // 32-bit window plus carry bit 32
  uint32_t range_ = 0xFFFFFFFFu;
  uint8_t cache_ = 0;        // last byte not yet written (may receive a carry)
  bool have_cache_ = false;  // false until the implicit leading byte is dropped
  bool finished_ = false;
  uint64_t pending_ff_ = 0;  // 0xFF bytes waiting behind cache_
};

/// Range decoder for a stream written by RangeEncoder.
///
/// Reads bytes past `size` as zero (counted by overrun()). Needs the same
/// sequence of tables as the encoder and must be given exactly the stream's
/// bytes: bytes following the stream, if passed in `size`, are NOT ignored.
/// Memory-safe and terminating for any input bytes and any table contents.
class RangeDecoder {
 public:
  /// @param data  stream bytes (may be null if size == 0); must outlive the
  ///              decoder. Reads the first 4 bytes immediately.
  /// @param size  stream length in bytes. Throws nothing.
  RangeDecoder(const uint8_t* data, size_t size);

  /// Decodes one symbol under `cdf` (n + 1 entries, the table the encoder
  /// used) and returns it; always in [0, n), even for garbage input.
  /// Contract: 1 <= n, cdf[0] = 0, cdf non-decreasing with every
  /// cdf[i+1] > cdf[i], cdf[n] = 2^24 (checked by assertions in debug builds
  /// only). A table violating the contract only yields wrong symbols: reads
  /// stay within cdf[0..n] and the call terminates. n < 1 is not allowed
  /// (asserted; treated as n == 1 in release, which reads cdf[0] and cdf[1]).
  /// Cost: one 64-bit division, ceil(log2 n) comparisons and two
  /// multiplications. Throws nothing.
  int decode(const uint32_t* cdf, int n) {
    assert(n >= 1);
    assert(cdf_is_valid(cdf, n));
    if (n < 1) n = 1;
    const uint64_t r = range_;
    // floor(r * c / 2^24) <= code  <=>  c <= t, with
    // t = floor(((code + 1) * 2^24 - 1) / r), so one division replaces a
    // multiplication per search step. t may exceed 2^32 for garbage input.
    const uint64_t t = (((static_cast<uint64_t>(code_) + 1) << kFreqBits) - 1) / r;
    // Largest s in [0, n) with cdf[s] <= t.
    const uint32_t* base = cdf;
    int len = n;
    while (len > 1) {
      const int half = len >> 1;
      base = (base[half] <= t) ? base + half : base;
      len -= half;
    }
    const uint32_t lo = static_cast<uint32_t>((r * base[0]) >> kFreqBits);
    const uint32_t hi = static_cast<uint32_t>((r * base[1]) >> kFreqBits);
    code_ -= lo;
    range_ = hi - lo;
    if (range_ == 0) range_ = 1;  // only reachable for a hostile table
    while (range_ < kTop) {
      range_ <<= 8;
      code_ = (code_ << 8) | next_byte();
    }
    return static_cast<int>(base - cdf);
  }

  /// Decodes one binary decision coded by RangeEncoder::encode_bit with the
  /// same p1 (units 2^-16, 1..65535; clamped like the encoder) and returns
  /// it (0 or 1). Equals decode() under the table {0, p1 << 8, 2^24} (symbol
  /// 0 = bit 1), computed without a division: bit 1 iff code < (range*p1)>>16.
  /// Memory-safe and terminating for any input bytes. Throws nothing.
  int decode_bit(uint32_t p1) {
    p1 = p1 < 1 ? 1 : (p1 > 65535 ? 65535 : p1);
    const uint32_t bound = static_cast<uint32_t>((static_cast<uint64_t>(range_) * p1) >> 16);
    int bit;
    if (code_ < bound) {
      range_ = bound;
      bit = 1;
    } else {
      code_ -= bound;
      range_ -= bound;
      bit = 0;
    }
    while (range_ < kTop) {
      range_ <<= 8;
      code_ = (code_ << 8) | next_byte();
    }
    return bit;
  }

  /// Number of bytes requested past the end of the stream so far (those read
  /// as zero). A valid stream can show a few (<= 4 plus the bytes finish()
  /// dropped), so this is a corruption hint, not a proof. Throws nothing.
  size_t overrun() const { return overrun_; }

  /// Whether every byte of the stream has been read. A decoder of a valid
  /// stream reads all of it (the encoder's flush leaves no byte the decoder
  /// does not need), so unread bytes at the end mean bytes that do not
  /// belong to the stream. Throws nothing.
  bool exhausted() const { return pos_ >= size_; }

  /// The decoder between two symbols (docs/RESUME.md): restore() on a
  /// decoder of the same stream continues exactly where registers() was
  /// taken. restore throws std::invalid_argument for a position past the
  /// stream or a range below 2^24.
  struct Registers {
    uint64_t pos = 0, overrun = 0;
    uint32_t code = 0, range = 0xFFFFFFFFu;
  };
  Registers registers() const { return {pos_, overrun_, code_, range_}; }
  void restore(const Registers& r);

 private:
  static constexpr uint32_t kTop = 1u << 24;

  uint32_t next_byte() {
    if (pos_ < size_) return data_[pos_++];
    ++overrun_;
    return 0;
  }

  static bool cdf_is_valid(const uint32_t* cdf, int n) {
    if (n < 1 || cdf[0] != 0 || cdf[n] != kFreqTotal) return false;
    for (int i = 0; i < n; ++i)
      if (cdf[i + 1] <= cdf[i]) return false;
    return true;
  }

  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  size_t overrun_ = 0;
  uint32_t code_ = 0;
  uint32_t range_ = 0xFFFFFFFFu;
};

}  // namespace nncomp::coder
