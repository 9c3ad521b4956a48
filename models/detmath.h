// detmath.h — transcendental functions that give the same bits on every machine.
//
// The decoder must rebuild every constant the encoder used (RoPE tables, init
// scales). libm results may differ in the last bit between C libraries, so the
// few transcendental values the models need are computed here with only
// +, −, ×, ÷ on IEEE binary64 (each a single rounded operation; the project is
// compiled with -ffp-contract=off). Accuracy is ~1e-15 relative: plenty for
// constants, and bit-reproducible, which is what matters.
#pragma once

#include <cstdint>
#include <limits>

namespace nncomp::detmath {

inline constexpr double kLn2 = 0.693147180559945309417232121458;
inline constexpr double kPi = 3.14159265358979323846264338328;

/// e^x (0 below −745, +inf above 709, NaN for NaN): x = k·ln2 + r with |r| ≤ ln2/2, Taylor series of e^r
/// (25 terms, far past convergence), then scaled by 2^k with exact products.
inline double exp(double x) {
  if (!(x > -745.0)) return x != x ? x : 0.0;  // NaN stays NaN; underflow
  if (x > 709.0) return std::numeric_limits<double>::infinity();
  double kf = x / kLn2;
  int64_t k = static_cast<int64_t>(kf < 0 ? kf - 0.5 : kf + 0.5);
  double r = x - static_cast<double>(k) * kLn2;
  double term = 1.0, sum = 1.0;
  for (int i = 1; i < 25; ++i) {
    term = term * r / i;
    sum = sum + term;
  }
  double two = k >= 0 ? 2.0 : 0.5;
  for (int64_t i = 0, n = k >= 0 ? k : -k; i < n; ++i) sum = sum * two;
  return sum;
}

/// ln x for finite x > 0 (NaN for x ≤ 0 or NaN, +inf for +inf): x = m·2^k with m in [1, 2), ln m = 2·atanh((m−1)/(m+1))
/// by its series (converges fast since |(m−1)/(m+1)| ≤ 1/3).
inline double log(double x) {
  if (!(x > 0.0)) return std::numeric_limits<double>::quiet_NaN();
  if (x > std::numeric_limits<double>::max()) return x;  // +inf
  int k = 0;
  while (x >= 2.0) { x = x * 0.5; ++k; }
  while (x < 1.0) { x = x * 2.0; --k; }
  double z = (x - 1.0) / (x + 1.0), z2 = z * z, term = z, sum = 0.0;
  for (int i = 1; i < 80; i += 2) {
    sum = sum + term / i;
    term = term * z2;
  }
  return 2.0 * sum + static_cast<double>(k) * kLn2;
}

/// base^e for base > 0.
inline double pow(double base, double e) { return exp(e * log(base)); }

/// sin and cos of x (any finite x): reduced to [−π, π] by an exact-ish
/// multiple of 2π, then Taylor series (30 terms).
inline void sincos(double x, double* s, double* c) {
  double n = x / (2.0 * kPi);
  int64_t k = static_cast<int64_t>(n < 0 ? n - 0.5 : n + 0.5);
  double r = x - static_cast<double>(k) * (2.0 * kPi);
  double r2 = r * r, ts = r, tc = 1.0, ss = r, cc = 1.0;
  for (int i = 1; i < 30; ++i) {
    ts = -ts * r2 / ((2.0 * i) * (2.0 * i + 1.0));
    tc = -tc * r2 / ((2.0 * i - 1.0) * (2.0 * i));
    ss = ss + ts;
    cc = cc + tc;
  }
  *s = ss;
  *c = cc;
}

/// sqrt is correctly rounded by IEEE 754 itself; std::sqrt is safe to use.

}  // namespace nncomp::detmath
