// Logistic-domain conversions in fixed point, built at compile time with
// integer arithmetic only (128-bit products), so every machine and compiler
// gets the same tables. Probabilities are 16-bit, p16 = P(1) * 2^16 in
// [1, 65535]; the "stretch" domain is ln(p / (1 - p)) in units of 1/256,
// clamped to [-2047, 2047] (about +-8.0), the domain of lpaq1 and paq8.
// log2_q16 / stretch_ratio give the stretch of an integer ratio a / b at full
// precision (for the neural model's subtree sums).
#pragma once

#include <array>
#include <bit>
#include <cstdint>

namespace nncomp::mix {

/// Largest magnitude of a stretch-domain value (2047 / 256 = 7.996).
inline constexpr int kStretchLimit = 2047;

namespace detail {

using U128 = unsigned __int128;

// e^(-1/256) in Q62 from its Taylor series (terms truncated; error < 2^-58).
constexpr uint64_t exp_minus_1_256_q62() {
  U128 term = U128{1} << 62;
  U128 sum = term;
  for (int k = 1; k < 12; ++k) {
    term /= static_cast<U128>(256 * k);
    sum = (k & 1) ? sum - term : sum + term;
  }
  return static_cast<uint64_t>(sum);
}

// kSquash[x + 2048] = squash(x) for x in [-2048, 2047]:
// for x >= 0, q = e^(-x/256) in Q62 by x repeated rounded multiplications
// by e^(-1/256); s = round(2^16 * 2^62 / (2^62 + q)), capped at 65535;
// for x < 0, 65536 - s(-x), at least 1.
constexpr std::array<uint16_t, 4096> make_squash_table() {
  std::array<uint32_t, 2049> pos{};  // s(x) for x = 0..2048
  const U128 c = exp_minus_1_256_q62();
  U128 q = U128{1} << 62;
  for (int x = 0; x <= 2048; ++x) {
    const U128 den = (U128{1} << 62) + q;
    pos[x] = static_cast<uint32_t>(((U128{1} << 78) + den / 2) / den);
    q = (q * c + (U128{1} << 61)) >> 62;
  }
  std::array<uint16_t, 4096> t{};
  for (int x = -2048; x <= 2047; ++x) {
    uint32_t v = x >= 0 ? pos[x] : 65536u - pos[-x];
    if (v > 65535u) v = 65535u;
    if (v < 1u) v = 1u;
    t[x + 2048] = static_cast<uint16_t>(v);
  }
  return t;
}

inline constexpr std::array<uint16_t, 4096> kSquash = make_squash_table();

// Of the x in [a, b], the one nearest to 0.
constexpr int nearest_to_zero(int a, int b) { return a > 0 ? a : (b < 0 ? b : 0); }

// kStretch[i] for the 12-bit probability bucket i = p16 >> 4, centre
// c = 16 i + 8: of the x in [-2047, 2047] whose squash(x) is nearest to c,
// the one nearest to 0 (squash has plateaus; on a tie between the value just
// below c and the one just above, the plateau holding the x nearer to 0).
// Antisymmetric, kStretch[4095 - i] = -kStretch[i], as squash(-x) =
// 65536 - squash(x) on [-2047, 2047].
constexpr std::array<int16_t, 4096> make_stretch_table() {
  std::array<int16_t, 4096> t{};
  auto sq = [](int x) { return static_cast<int>(kSquash[x + 2048]); };
  int hi = -2047;  // first x with squash(x) >= c (2048 if none)
  for (int i = 0; i < 4096; ++i) {
    const int c = 16 * i + 8;
    while (hi <= 2047 && sq(hi) < c) ++hi;
    int best = 0;
    int best_dist = 1 << 30;
    for (int side = 0; side < 2; ++side) {
      const int x = side == 0 ? hi - 1 : hi;  // the plateau below c, then the one at or above
      if (x < -2047 || x > 2047) continue;
      int a = x, b = x;
      while (a > -2047 && sq(a - 1) == sq(x)) --a;
      while (b < 2047 && sq(b + 1) == sq(x)) ++b;
      const int d = sq(x) > c ? sq(x) - c : c - sq(x);
      const int z = nearest_to_zero(a, b);
      const int az = z < 0 ? -z : z;
      const int ab = best < 0 ? -best : best;
      if (d < best_dist || (d == best_dist && az < ab)) {
        best = z;
        best_dist = d;
      }
    }
    t[i] = static_cast<int16_t>(best);
  }
  return t;
}

inline constexpr std::array<int16_t, 4096> kStretch = make_stretch_table();

// kLog2Frac[j] = round(2^16 * log2(1 + j/1024)), j = 0..1024, by the
// bit-by-bit squaring method on a Q62 mantissa (24 result bits, rounded).
constexpr std::array<uint32_t, 1025> make_log2_table() {
  std::array<uint32_t, 1025> t{};
  for (int j = 0; j <= 1024; ++j) {
    U128 y = (U128{1024 + static_cast<unsigned>(j)} << 62) / 1024;  // [1, 2] in Q62
    uint32_t bits = 0;
    int whole = 0;
    if (y >= (U128{1} << 63)) {  // j == 1024: log2(2) = 1
      whole = 1;
      y >>= 1;
    }
    for (int k = 0; k < 24; ++k) {
      y = (y * y) >> 62;
      bits <<= 1;
      if (y >= (U128{1} << 63)) {
        bits |= 1;
        y >>= 1;
      }
    }
    t[j] = (static_cast<uint32_t>(whole) << 16) + ((bits + 128u) >> 8);
  }
  return t;
}

inline constexpr std::array<uint32_t, 1025> kLog2Frac = make_log2_table();

}  // namespace detail

/// squash(x) = 2^16 / (1 + e^(-x/256)) rounded, in [1, 65535]; x is clamped
/// to [-2047, 2047] first. Table lookup (lpaq1's squash, at 16-bit output).
inline int squash(int x) {
  if (x > kStretchLimit) x = kStretchLimit;
  if (x < -kStretchLimit) x = -kStretchLimit;
  return detail::kSquash[static_cast<unsigned>(x + 2048)];
}

/// stretch(p16) ~ 256 ln(p / (1 - p)) for p16 in [0, 65535] (the argument is
/// masked to 16 bits), in [-2047, 2047]: the inverse of squash on the 12-bit
/// bucket p16 >> 4 (lpaq1's Stretch, inverting the squash table).
inline int stretch(uint32_t p16) { return detail::kStretch[(p16 & 0xFFFFu) >> 4]; }

/// log2(v) in Q16 for v >= 1 (v = 0 is treated as 1): the integer part from
/// the bit length, the fraction from kLog2Frac with linear interpolation on
/// the next 16 bits of the mantissa (floor). Range [0, 31 * 2^16 + 2^16).
inline int32_t log2_q16(uint32_t v) {
  if (v == 0) v = 1;
  const int e = 31 - std::countl_zero(v);
  const uint32_t m = v << (31 - e);  // leading one at bit 31
  const uint32_t j = (m >> 21) & 1023u;
  const uint32_t f = (m >> 5) & 0xFFFFu;
  const uint32_t a = detail::kLog2Frac[j];
  const uint32_t b = detail::kLog2Frac[j + 1];
  return (e << 16) + static_cast<int32_t>(a + (((b - a) * f) >> 16));
}

/// Stretch of the ratio a / b (a, b >= 1, e.g. the two halves of a subtree
/// of the neural cdf): floor((log2_q16(a) - log2_q16(b)) * K / 2^32 + 1/2)
/// with K = 11629080 = round(256 * ln 2 * 2^16), clamped to [-2047, 2047].
inline int stretch_ratio(uint32_t a, uint32_t b) {
  const int64_t d = static_cast<int64_t>(log2_q16(a)) - log2_q16(b);
  int64_t s = (d * 11629080 + (int64_t{1} << 31)) >> 32;
  if (s > kStretchLimit) s = kStretchLimit;
  if (s < -kStretchLimit) s = -kStretchLimit;
  return static_cast<int>(s);
}

}  // namespace nncomp::mix
