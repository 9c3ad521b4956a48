// The neural model's byte distribution as bit predictions, in exact integer
// arithmetic (cmix byte-model / paq8px ByteModelToBitModel idea). With the
// bits of the byte coded so far (MSB first) the consistent bytes form the
// range [lo, hi) = [(c0 - 2^k) << (8 - k), ... + 2^(8 - k)) for the partial
// byte c0 = 1 b7 .. (k bits, leading 1); with mid = (lo + hi) / 2,
//   P(next bit = 1) = (cdf[hi] - cdf[mid]) / (cdf[hi] - cdf[lo]),
// whose stretch is stretch_ratio(cdf[hi] - cdf[mid], cdf[mid] - cdf[lo]).
// The most likely byte of the subtree (an argmax tree over the 256
// frequencies, node index = c0) is available as a context; rule 1 does not
// use it (as a mixer selector or APM context it measured no gain, see
// docs/mix.md), only the neural confidence level.
#pragma once

#include <cstdint>

#include "mix/squash.h"

namespace nncomp::mix {

/// The two masses of the subtree of partial byte c0 (1..255): m1 = mass of
/// the upper half (next bit 1), m0 = lower half. Differences are taken in
/// 64-bit signed arithmetic and clamped to [1, 2^24], so any table (even one
/// breaking the contract: not increasing, wrong ends) gives defined values.
inline void neural_masses(const uint32_t* cdf, uint32_t c0, uint32_t& m0, uint32_t& m1) {
  const int k = 31 - __builtin_clz(c0);  // bits known
  const uint32_t width = 256u >> k;
  const uint32_t lo = (c0 - (1u << k)) * width;
  const uint32_t mid = lo + width / 2;
  const uint32_t hi = lo + width;
  auto mass = [](uint32_t a, uint32_t b) {
    int64_t d = static_cast<int64_t>(b) - static_cast<int64_t>(a);
    if (d < 1) d = 1;
    if (d > (int64_t{1} << 24)) d = int64_t{1} << 24;
    return static_cast<uint32_t>(d);
  };
  m0 = mass(cdf[lo], cdf[mid]);
  m1 = mass(cdf[mid], cdf[hi]);
}

/// Argmax tree of a byte distribution: best[node] for node = c0 in 1..255 is
/// the most probable byte of that subtree (the lower byte on a tie), with
/// frequency f_i = cdf[i + 1] - cdf[i] (unsigned 32-bit difference).
struct ArgmaxTree {
  uint8_t best[256];
  /// Builds the tree from a 257-entry table. 255 comparisons.
  void build(const uint32_t* cdf);
};

}  // namespace nncomp::mix
