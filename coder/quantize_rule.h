// quantize_rule.h — the format-v1 quantisation rule (quantize.h) as one inline
// function compiled twice from this source: by the host compiler for
// coder/quantize.cpp and by nvcc for the GPU kernel in coder/quantize_cuda.cu,
// so both sides run the same operations in the same order.
//
// Every double operation is a single rounded op on normal numbers (floats are
// widened by integer bit manipulation), so FTZ/DAZ modes cannot change the
// resulting integers; both compilers are told not to contract a·b + c into an
// FMA (-ffp-contract=off, nvcc --fmad=false). IEEE binary64 +, ×, ÷ are
// correctly rounded on the CPU and on CUDA devices alike.
#pragma once

#include <cstdint>
#include <cstring>

#include "coder/quantize.h"

#if defined(__CUDACC__)
#define NNCOMP_HOST_DEVICE __host__ __device__
#else
#define NNCOMP_HOST_DEVICE
#endif

namespace nncomp::coder::rule {

/// Exact float -> double widening of a finite, strictly positive float; 0.0
/// for zero, negative, NaN and infinite inputs. Integer-only.
NNCOMP_HOST_DEVICE inline double clean_weight(float p) {
  uint32_t bits;
  std::memcpy(&bits, &p, sizeof bits);
  if (bits >> 31) return 0.0;  // negative (or -0, or NaN with sign bit)
  const uint32_t exp = bits >> 23;  // 0..255 (sign bit is 0)
  uint32_t man = bits & 0x7FFFFFu;
  if (exp == 0xFFu) return 0.0;  // +inf or NaN
  uint64_t dexp;
  if (exp == 0) {
    if (man == 0) return 0.0;  // +0
    // Subnormal: value = man · 2^-149; shift until bit 23 is set.
    int shift = 0;
    while (!(man & 0x800000u)) {
      man <<= 1;
      ++shift;
    }
    man &= 0x7FFFFFu;
    dexp = static_cast<uint64_t>(1 - shift - 127 + 1023);
  } else {
    dexp = static_cast<uint64_t>(exp) - 127 + 1023;
  }
  const uint64_t out = (dexp << 52) | (static_cast<uint64_t>(man) << 29);
  double d;
  std::memcpy(&d, &out, sizeof d);
  return d;
}

/// The rule of quantize.h for 1 ≤ n ≤ kMaxSymbols (the caller checks n).
NNCOMP_HOST_DEVICE inline void quantize_cdf(const float* probs, int n, uint32_t* cdf) {
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

  const int64_t d = static_cast<int64_t>(kFreqTotal) - total;
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
}

}  // namespace nncomp::coder::rule
