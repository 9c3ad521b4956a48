// Match model (lpaq1 / paq8 idea): an index maps a hash of the last
// min_len bytes to the position that followed them last time; a stream
// whose recent bytes match an earlier occurrence predicts the byte that came
// after it. Lockstep rules (see docs/mix.md): positions are global indices
// into the stream-major buffer (the original file order); a position q is
// known at step t iff q < N and (q mod L) < t. Lookups and inserts happen
// only in the serial end-of-step phase, all lookups before all inserts, so
// a candidate always points at a byte known at the next step; a candidate
// is verified by comparing bytes backwards (known bytes only) and accepted
// if at least min_len agree.
#pragma once

#include <cstdint>

#include "mix/big_buffer.h"

namespace nncomp::mix {

/// Longest match length counted by a lookup's backward verification.
inline constexpr uint32_t kMatchVerifyMax = 48;

/// Per-stream match state.
struct MatchState {
  uint64_t ptr = 0;  ///< global position of the predicted byte (valid if len > 0)
  uint32_t len = 0;  ///< verified match length in bytes, 0 = no match
};

class MatchIndex {
 public:
  /// 2^log2_entries entries of uint32 positions (0 = empty). Throws std::bad_alloc.
  explicit MatchIndex(int log2_entries) : mem_(uint64_t{4} << log2_entries), mask_((uint64_t{1} << log2_entries) - 1) {}

  /// Entry for hash h (its low bits). 0 = empty.
  uint32_t get(uint64_t h) const { return reinterpret_cast<const uint32_t*>(mem_.data())[h & mask_]; }
  void set(uint64_t h, uint32_t pos) { reinterpret_cast<uint32_t*>(mem_.data())[h & mask_] = pos; }
  /// Starts loading the entry of h into the cache (no effect on results).
  void prefetch(uint64_t h) const { __builtin_prefetch(reinterpret_cast<const uint32_t*>(mem_.data()) + (h & mask_)); }

  uint8_t* data() { return mem_.data(); }
  const uint8_t* data() const { return mem_.data(); }
  uint64_t size_bytes() const { return mem_.size(); }

 private:
  BigBuffer mem_;
  uint64_t mask_;
};

/// Length of the verified match between the bytes before `cand` and the
/// bytes before `cur` (the next position of a stream whose first byte is at
/// `stream_start`), counting backwards while both bytes are known at step
/// `t_next` and equal, at most max_len. buf = the stream-major buffer of N
/// bytes, stream length L.
uint32_t match_verify(const uint8_t* buf, uint64_t n, uint64_t stream_len, uint64_t t_next, uint64_t cand,
                      uint64_t cur, uint64_t stream_start, uint32_t max_len);

}  // namespace nncomp::mix
