// Implementation of the format-v1 quantisation rule documented in quantize.h.
// Every double operation is a single rounded op on normal numbers (floats are
// widened by integer bit manipulation), so FTZ/DAZ modes and FMA contraction
// cannot change the resulting integers.
#include "coder/quantize.h"

#include <bit>
#include <cassert>
#include <cfloat>
#include <cstdint>

#if defined(__FAST_MATH__)
#error "coder/quantize.cpp must not be compiled with -ffast-math (file format rule)"
#endif
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD > 0
#error "coder/quantize.cpp needs FLT_EVAL_METHOD == 0 (no excess precision)"
#endif

namespace nncomp::coder {
namespace {

// Exact float -> double widening of a finite, strictly positive float; returns
// 0.0 for zero, negative, NaN and infinite inputs. Integer-only, so the result
// does not depend on denormals-are-zero / flush-to-zero CPU flags.
double clean_weight(float p) {
  const uint32_t bits = std::bit_cast<uint32_t>(p);
  if (bits >> 31) return 0.0;  // negative (or -0, or NaN with sign bit)
  uint32_t exp = bits >> 23;   // 0..255 (sign bit is 0)
  uint32_t man = bits & 0x7FFFFFu;
  if (exp == 0xFFu) return 0.0;  // +inf or NaN
  if (exp == 0) {
    if (man == 0) return 0.0;  // +0
    // Subnormal: value = man * 2^-149; normalise so that bit 23 is set.
    const int shift = std::countl_zero(man) - 8;  // man < 2^23 -> shift >= 1
    man = (man << shift) & 0x7FFFFFu;
    // Biased float exponent would be 1 - shift; rebias to double below.
    const uint64_t dexp = static_cast<uint64_t>(1 - shift - 127 + 1023);
    return std::bit_cast<double>((dexp << 52) | (static_cast<uint64_t>(man) << 29));
  }
  const uint64_t dexp = static_cast<uint64_t>(exp) - 127 + 1023;
  return std::bit_cast<double>((dexp << 52) | (static_cast<uint64_t>(man) << 29));
}

}  // namespace

void quantize_cdf(const float* probs, int n, uint32_t* cdf) noexcept {
  assert(n >= 1 && n <= kMaxSymbols);
  if (n < 1) return;  // nothing sensible to write; precondition violated
  if (n > kMaxSymbols) n = kMaxSymbols;

  double w[kMaxSymbols];
  double sum = 0.0;
  for (int i = 0; i < n; ++i) {
    w[i] = clean_weight(probs[i]);
    sum += w[i];  // index order, one rounding per add
  }
  if (!(sum > 0.0)) {  // all weights zero -> uniform
    for (int i = 0; i < n; ++i) w[i] = 1.0;
    sum = static_cast<double>(n);
  }

  const uint32_t budget = kFreqTotal - static_cast<uint32_t>(n);  // T - n
  const double budget_d = static_cast<double>(budget);
  const double scale = budget_d / sum;

  uint32_t f[kMaxSymbols];
  int64_t total = 0;
  int argmax = 0;
  for (int i = 0; i < n; ++i) {
    const double x = w[i] * scale;
    const uint32_t q = (x >= budget_d) ? budget : static_cast<uint32_t>(x);
    f[i] = 1u + q;
    total += f[i];
    if (f[i] > f[argmax]) argmax = i;  // strict '>' keeps the first index on ties
  }

  int64_t d = static_cast<int64_t>(kFreqTotal) - total;
  if (d >= 0) {
    f[argmax] += static_cast<uint32_t>(d);
  } else {
    int64_t need = -d;
    const int64_t take_max = static_cast<int64_t>(f[argmax]) - 1;
    const int64_t t0 = need < take_max ? need : take_max;
    f[argmax] -= static_cast<uint32_t>(t0);
    need -= t0;
    for (int i = 0; i < n && need > 0; ++i) {
      if (i == argmax) continue;
      const int64_t avail = static_cast<int64_t>(f[i]) - 1;
      const int64_t t = need < avail ? need : avail;
      f[i] -= static_cast<uint32_t>(t);
      need -= t;
    }
    // need == 0 here: each f_i <= T - n + 1, so the sum of the f_i - 1 is
    // always at least total - T.
  }

  uint32_t acc = 0;
  cdf[0] = 0;
  for (int i = 0; i < n; ++i) {
    acc += f[i];
    cdf[i + 1] = acc;
  }
  assert(cdf[n] == kFreqTotal);
}

}  // namespace nncomp::coder
