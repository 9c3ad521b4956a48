// APM / SSE (lpaq1 and paq8 APM): a table of 33 buckets per context maps
// the stretch of an input probability to a refined probability by linear
// interpolation between the two buckets around it; the nearer bucket learns
// the coded bit. Buckets are ordinary cells (counters.h), initialised to the
// identity (bucket j holds squash(128 j - 2048)).
#pragma once

#include <cstdint>

#include "mix/counters.h"
#include "mix/squash.h"

namespace nncomp::mix {

/// Buckets per APM context.
inline constexpr int kApmBuckets = 33;

/// Where a stretch value st falls: pos = (clamp(st) + 2048) * 32 / 4096
/// split into the lower bucket lo = pos_q12 >> 12 (0..31) and the weight
/// w = pos_q12 & 4095 of bucket lo + 1.
struct ApmPoint {
  uint32_t lo;
  uint32_t w;
};

inline ApmPoint apm_point(int st) {
  if (st > kStretchLimit) st = kStretchLimit;
  if (st < -kStretchLimit) st = -kStretchLimit;
  const uint32_t q = static_cast<uint32_t>(st + 2048) * 32u;  // 1..131040, 12 fraction bits
  return {q >> 12, q & 4095u};
}

/// Interpolated p16 of the buckets at `t` (33 cells of one context):
/// (p_lo * (4096 - w) + p_hi * w) >> 12.
inline uint32_t apm_p16(const uint32_t* t, ApmPoint a) {
  return (cell_p16(t[a.lo]) * (4096u - a.w) + cell_p16(t[a.lo + 1]) * a.w) >> 12;
}

/// Index (within the context's 33 cells) of the bucket that learns: the
/// nearer one, lo + (w >= 2048).
inline uint32_t apm_learner(ApmPoint a) { return a.lo + (a.w >> 11); }

/// Initial cell of bucket j: probability squash(128 j - 2048) as 22 bits.
inline uint32_t apm_initial_cell(int j) {
  return make_cell(static_cast<uint32_t>(squash(128 * j - 2048)) << 6);
}

}  // namespace nncomp::mix
