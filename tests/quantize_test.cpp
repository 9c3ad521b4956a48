// Tests for the format-v1 quantisation rule (coder/quantize.h): hand-computed
// vectors, the single-symbol table, non-finite and negative inputs, and the
// table invariants on random inputs.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "coder/quantize.h"
#include "tests/coder_util.h"

namespace nncomp::coder {
namespace {

using namespace testing;

// ============================== quantize_cdf =================================

TEST(Quantize, HandComputedVectors) {
  // Powers of two: sum = 1 exactly, scale = 2^24 - 4 = 16777212;
  // f = 1 + {8388606, 4194303, 2097151, 2097151} (2097151.5 floors), sum is
  // 16777215, remainder 1 goes to f_0.
  EXPECT_EQ(quantized({0.5f, 0.25f, 0.125f, 0.125f}),
            (Table{0, 8388608, 12582912, 14680064, 16777216}));
  // float(0.1)+float(0.2)+float(0.7) = 0.99999999254941...;
  // scale = 16777213 / sum = 16777213.125..; floors 1677721, 3355442,
  // 11744048; f sum 16777214, remainder 2 goes to f_2.
  EXPECT_EQ(quantized({0.1f, 0.2f, 0.7f}), (Table{0, 1677722, 5033165, 16777216}));
  // Cleaning: 0, NaN and -1 get f = 1; argmax is the 0.4 entry.
  EXPECT_EQ(quantized({0.3f, 0.0f, 0.3f, std::numeric_limits<float>::quiet_NaN(), 0.4f, -1.0f}),
            (Table{0, 5033164, 5033165, 10066329, 10066330, 16777215, 16777216}));
  // A lone subnormal gets everything except the minimum frequency of the zero.
  EXPECT_EQ(quantized({1e-40f, 0.0f}), (Table{0, 16777215, 16777216}));
  // All zero -> uniform: each w = 1, scale = (2^24-5)/5, f = 3355443 each,
  // remainder 1 to f_0. Identical to five equal probabilities.
  const Table uniform5{0, 3355444, 6710887, 10066330, 13421773, 16777216};
  EXPECT_EQ(quantized({0.f, 0.f, 0.f, 0.f, 0.f}), uniform5);
  EXPECT_EQ(quantized({0.2f, 0.2f, 0.2f, 0.2f, 0.2f}), uniform5);
}

TEST(Quantize, SingleSymbolAlwaysFullTotal) {
  const float inf = std::numeric_limits<float>::infinity();
  for (float p : {1.0f, 0.0f, 1e-30f, 1e-45f, 7.0f, -1.0f, inf, -inf,
                  std::numeric_limits<float>::quiet_NaN(), 0.99999f}) {
    EXPECT_EQ(quantized({p}), (Table{0, kFreqTotal})) << p;
  }
}

TEST(Quantize, NonFiniteAndNegativeAreZero) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  const Table ref = quantized({0.5f, 0.0f, 0.5f, 0.0f, 0.0f, 0.0f});
  EXPECT_EQ(quantized({0.5f, nan, 0.5f, inf, -inf, -0.25f}), ref);
  EXPECT_EQ(quantized({0.5f, -nan, 0.5f, -0.0f, -1e-40f, -3.0f}), ref);
  // Everything unusable -> uniform.
  EXPECT_EQ(quantized({nan, inf, -1.0f, 0.0f}), quantized({1.0f, 1.0f, 1.0f, 1.0f}));
  expect_valid_table(quantized({nan, inf, -1.0f, 0.0f}));
  // Huge finite values do not overflow.
  expect_valid_table(quantized({3e38f, 3e38f, 3e38f, 1.0f}));
  const Table big = quantized({3e38f, 3e38f});
  expect_valid_table(big);
  EXPECT_LE(big[1] - (kFreqTotal - big[1]), 2u);  // equal halves up to the remainder
}

TEST(Quantize, InvariantsOnRandomInputs) {
  std::mt19937_64 rng(12345);
  for (int iter = 0; iter < 3000; ++iter) {
    const int n = 1 + static_cast<int>(below(rng, 256));
    std::vector<float> p(n);
    const int shape = static_cast<int>(below(rng, 5));
    for (int i = 0; i < n; ++i) {
      const double u = uniform01(rng);
      if (shape == 0) p[i] = static_cast<float>(u);
      if (shape == 1) p[i] = static_cast<float>(std::pow(u, 30.0));            // many tiny
      if (shape == 2) p[i] = (u < 0.7) ? 0.0f : static_cast<float>(u);         // exact zeros
      if (shape == 3) p[i] = static_cast<float>(u * 1e-39);                    // subnormals
      if (shape == 4) p[i] = (u < 0.1) ? 1e-45f : static_cast<float>(u * u);   // min subnormal
    }
    double s = 0.0;
    for (float x : p) s += x;
    // Normalise in float (like a softmax), then perturb the total by up to
    // +-1e-5 so the sum is not exactly 1.
    const double skew = 1.0 + (uniform01(rng) * 2.0 - 1.0) * 1e-5;
    if (s > 0)
      for (float& x : p) x = static_cast<float>(x / s * skew);
    const Table cdf = quantized(p);
    expect_valid_table(cdf);
    // Quality: every f_i is within n + 1 of p_i/sum * 2^24.
    double fs = 0.0;
    for (float x : p) fs += x;
    if (fs > 0) {
      for (int i = 0; i < n; ++i) {
        const double want = p[i] / fs * kFreqTotal;
        const double got = static_cast<double>(cdf[i + 1] - cdf[i]);
        ASSERT_LE(std::fabs(got - want), n + 1.0) << "n=" << n << " i=" << i;
      }
    }
    // Determinism: a second call gives the same integers.
    ASSERT_EQ(quantized(p), cdf);
  }
}

TEST(Quantize, SumsSlightlyOffOne) {
  // Scaling all probabilities by a common factor close to 1 must not change
  // validity; large tables with one dominant entry absorb the remainder there.
  std::vector<float> p(256, 1e-6f);
  p[100] = 1.0f - 255e-6f;
  for (double k : {1.0 - 1e-5, 1.0 - 1e-7, 1.0, 1.0 + 1e-7, 1.0 + 1e-5}) {
    std::vector<float> q = p;
    for (float& x : q) x = static_cast<float>(x * k);
    const Table cdf = quantized(q);
    expect_valid_table(cdf);
    EXPECT_NEAR(static_cast<double>(cdf[101] - cdf[100]), (1.0 - 255e-6) * kFreqTotal, 300.0);
  }
}

}  // namespace
}  // namespace nncomp::coder
