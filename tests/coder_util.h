// coder_util.h — helpers shared by the coder tests (quantize_test,
// range_coder_test) and the coder's speed tool: deterministic random tables
// and messages, round trips, and an independent reference encoder.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "coder/quantize.h"
#include "coder/range_coder.h"

namespace nncomp::coder::testing {

using Table = std::vector<uint32_t>;  // n + 1 cumulative frequencies

// ---- deterministic helpers (no std:: distributions: they differ between
// standard libraries) --------------------------------------------------------

inline double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1p-53; }

inline uint64_t below(std::mt19937_64& rng, uint64_t n) { return rng() % n; }  // tiny bias is fine here

// Irwin-Hall approximation of N(0, 1): sum of 12 uniforms minus 6.
inline double normal01(std::mt19937_64& rng) {
  double s = 0.0;
  for (int i = 0; i < 12; ++i) s += uniform01(rng);
  return s - 6.0;
}

inline Table quantized(const std::vector<float>& p) {
  Table cdf(p.size() + 1);
  quantize_cdf(p.data(), static_cast<int>(p.size()), cdf.data());
  return cdf;
}

inline void expect_valid_table(const Table& cdf) {
  const int n = static_cast<int>(cdf.size()) - 1;
  ASSERT_GE(n, 1);
  EXPECT_EQ(cdf[0], 0u);
  EXPECT_EQ(cdf[n], kFreqTotal);
  for (int i = 0; i < n; ++i) ASSERT_GT(cdf[i + 1], cdf[i]) << "f_" << i << " == 0";
}

// Random table of a few shapes: 0 = random weights, 1 = peaked (power of a
// uniform), 2 = one dominant symbol, 3 = with exact zeros, 4 = uniform.
inline Table random_table(std::mt19937_64& rng, int n, int shape) {
  std::vector<float> p(n);
  for (int i = 0; i < n; ++i) {
    const double u = uniform01(rng);
    switch (shape) {
      case 0: p[i] = static_cast<float>(u); break;
      case 1: p[i] = static_cast<float>(std::pow(u, 12.0)); break;
      case 2: p[i] = 1e-9f * static_cast<float>(u); break;
      case 3: p[i] = (u < 0.5) ? 0.0f : static_cast<float>(u); break;
      default: p[i] = 1.0f; break;
    }
  }
  if (shape == 2) p[below(rng, n)] = 1.0f;
  double s = 0.0;
  for (float x : p) s += x;
  if (s > 0)
    for (float& x : p) x = static_cast<float>(x / s);
  return quantized(p);
}

inline int sample_from_table(std::mt19937_64& rng, const Table& cdf) {
  const uint32_t u = static_cast<uint32_t>(below(rng, kFreqTotal));
  int s = 0;
  while (cdf[s + 1] <= u) ++s;
  return s;
}

// A message: for each symbol, the index of its table and the symbol itself.
struct Message {
  std::vector<Table> tables;
  std::vector<int> which;
  std::vector<int> symbols;
};

inline std::vector<uint8_t> encode_message(const Message& m) {
  std::vector<uint8_t> out;
  RangeEncoder enc(&out);
  for (size_t i = 0; i < m.symbols.size(); ++i) enc.encode(m.tables[m.which[i]].data(), m.symbols[i]);
  enc.finish();
  return out;
}

// Decodes with exactly the stream's bytes and checks every symbol.
inline void expect_round_trip(const Message& m, const std::vector<uint8_t>& bytes) {
  RangeDecoder dec(bytes.data(), bytes.size());
  for (size_t i = 0; i < m.symbols.size(); ++i) {
    const Table& t = m.tables[m.which[i]];
    const int s = dec.decode(t.data(), static_cast<int>(t.size()) - 1);
    ASSERT_EQ(s, m.symbols[i]) << "mismatch at symbol " << i << " of " << m.symbols.size();
  }
}

// Ideal code length in bits of a message under its quantised tables.
inline double quantized_bits(const Message& m) {
  double bits = 0.0;
  for (size_t i = 0; i < m.symbols.size(); ++i) {
    const Table& t = m.tables[m.which[i]];
    const int s = m.symbols[i];
    bits -= std::log2(static_cast<double>(t[s + 1] - t[s]) / kFreqTotal);
  }
  return bits;
}

// ---- independent reference encoder -----------------------------------------
// Same interval arithmetic, but the low end is kept as an explicit big-endian
// byte string with naive carry propagation (no cache/pending logic), and the
// output is that string minus the implicit leading zero and trailing zeros.
class ReferenceEncoder {
 public:
  ReferenceEncoder() : big_(5, 0) {}  // implicit leading byte + 32-bit window
  void encode_range(uint32_t cum, uint32_t freq) {
    const uint64_t r = range_;
    const uint64_t lo = (r * cum) >> 24;
    const uint64_t hi = (r * (uint64_t{cum} + freq)) >> 24;
    add(lo);
    range_ = static_cast<uint32_t>(hi - lo);
    while (range_ < (1u << 24)) {
      range_ <<= 8;
      big_.push_back(0);
    }
  }
  std::vector<uint8_t> finish() {
    uint64_t w = 0;
    for (size_t i = big_.size() - 4; i < big_.size(); ++i) w = (w << 8) | big_[i];
    const uint64_t end = w + range_;
    uint64_t v = w;
    for (int k = 32; k >= 0; k -= 8) {
      const uint64_t mask = (uint64_t{1} << k) - 1;
      const uint64_t c = (w + mask) & ~mask;
      if (c < end) {
        v = c;
        break;
      }
    }
    add(v - w);
    EXPECT_EQ(big_[0], 0) << "carry into the implicit leading byte";
    std::vector<uint8_t> out(big_.begin() + 1, big_.end());
    while (!out.empty() && out.back() == 0) out.pop_back();
    return out;
  }

 private:
  void add(uint64_t x) {  // adds x (< 2^33) at the window's last byte
    size_t i = big_.size();
    uint64_t carry = x;
    while (carry != 0) {
      --i;
      carry += big_[i];
      big_[i] = static_cast<uint8_t>(carry);
      carry >>= 8;
    }
  }
  std::vector<uint8_t> big_;
  uint32_t range_ = 0xFFFFFFFFu;
};

inline std::vector<uint8_t> reference_encode(const Message& m) {
  ReferenceEncoder ref;
  for (size_t i = 0; i < m.symbols.size(); ++i) {
    const Table& t = m.tables[m.which[i]];
    const int s = m.symbols[i];
    ref.encode_range(t[s], t[s + 1] - t[s]);
  }
  return ref.finish();
}

}  // namespace nncomp::coder::testing
