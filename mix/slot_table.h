// The shared hash table of bit histories (lpaq1's HashTable<16> idea, our
// layout): 64-byte buckets of 4 slots. A bucket holds the 4 slots' check
// bytes (bytes 0..3) then 4 x 15 state bytes; a slot is the 15 bit-history
// states of one nibble of one context (node k = 1..15 at offset k - 1; node
// 1 for the nibble's first bit, 2..3 for the second, 4..7, 8..15: node = the
// nibble's bits so far with a leading 1). A context hash selects a bucket
// (its top bits) and a check byte (its low byte). find() is read-only (used
// during a step, concurrently); insert() may replace a slot (used in the
// serial end-of-step phase): the first slot with the check byte, else the
// one of lowest priority, the total count n0 + n1 of its node-1 state (the
// first on a tie), whose states are zeroed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include "mix/big_buffer.h"
#include "mix/state_table.h"

namespace nncomp::mix {

/// States per slot, slots per bucket, bytes per bucket.
inline constexpr int kSlotStates = 15;
inline constexpr int kSlotsPerBucket = 4;
inline constexpr int kBucketBytes = 64;

/// Index (0..3) of the first of the 4 check bytes in `checks` (bucket bytes
/// 0..3, little-endian) equal to `check`, or 4 if none.
inline int slot_match(uint32_t checks, uint8_t check) {
  const uint32_t x = checks ^ (0x01010101u * check);
  const uint32_t zero = (x - 0x01010101u) & ~x & 0x80808080u;  // lowest set flag marks the first zero byte
  return zero ? __builtin_ctz(zero) >> 3 : 4;
}

class SlotTable {
 public:
  /// Allocates 2^log2_bytes zero bytes (log2_bytes in 12..40, checked by
  /// the caller's config_problem). Throws std::bad_alloc.
  explicit SlotTable(int log2_bytes)
      : mem_(uint64_t{1} << log2_bytes), shift_(64 - (log2_bytes - 6)) {}

  /// The 15 states of the slot of hash h, or nullptr if the bucket holds
  /// none with its check byte. Read-only.
  const uint8_t* find(uint64_t h) const {
    const uint8_t* b = bucket(h);
    uint32_t checks;
    std::memcpy(&checks, b, 4);
    const int i = slot_match(checks, static_cast<uint8_t>(h));
    return i < kSlotsPerBucket ? b + 4 + kSlotStates * i : nullptr;
  }

  /// The 15 states of the slot of hash h, created (check byte set, states
  /// zeroed) by replacing the bucket's lowest-priority slot if absent.
  uint8_t* insert(uint64_t h);

  /// Index of the bucket of h (0 .. 2^(log2_bytes - 6) - 1).
  uint64_t bucket_index(uint64_t h) const { return h >> shift_; }

  /// Starts loading the bucket of h into the cache (no effect on results).
  void prefetch(uint64_t h) const { __builtin_prefetch(bucket(h)); }

  uint8_t* data() { return mem_.data(); }
  const uint8_t* data() const { return mem_.data(); }
  uint64_t size_bytes() const { return mem_.size(); }

 private:
  const uint8_t* bucket(uint64_t h) const { return mem_.data() + ((h >> shift_) << 6); }
  uint8_t* bucket(uint64_t h) { return mem_.data() + ((h >> shift_) << 6); }

  BigBuffer mem_;
  int shift_;  // 64 - log2(number of buckets)
};

/// Replays the four bits of one nibble on a slot's 15 states: from node 1,
/// each bit moves the node's state to kStates.next[state][bit] and descends
/// to node 2 * node + bit. nibble = the 4 bits, most significant first.
inline void slot_apply_nibble(uint8_t* slot, uint32_t nibble) {
  uint32_t node = 1;
  for (int k = 3; k >= 0; --k) {
    const int bit = (nibble >> k) & 1;
    slot[node - 1] = kStates.next[slot[node - 1]][bit];
    node = 2 * node + static_cast<uint32_t>(bit);
  }
}

}  // namespace nncomp::mix
