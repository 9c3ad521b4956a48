// Tests for the range coder's binary path (encode_bit / decode_bit): it is
// exactly the two-symbol table {bit 1: [0, p1*2^8), bit 0: [p1*2^8, 2^24)}
// on the byte-level coder (same bytes as encode_range, decoded by decode()
// and by decode_bit alike), it round-trips under random and extreme
// probabilities, its coding loss is small, and hostile input terminates.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "coder/range_coder.h"

namespace nncomp::coder {
namespace {

struct Decision {
  int bit;
  uint32_t p1;
};

// Decisions of a few shapes: random p and bits drawn from p (0), extreme
// probabilities with the likely and the unlikely bit (1), long runs of
// certain bits (2), uniform random bits under random p (3).
std::vector<Decision> decisions(uint64_t seed, int n, int shape) {
  std::mt19937_64 rng(seed);
  std::vector<Decision> d(n);
  for (int i = 0; i < n; ++i) {
    uint32_t p1 = 1 + static_cast<uint32_t>(rng() % 65535);
    int bit;
    switch (shape) {
      case 1:
        p1 = (rng() & 1) ? 1 + static_cast<uint32_t>(rng() % 4) : 65535 - static_cast<uint32_t>(rng() % 4);
        bit = (rng() % 16 == 0) ? (p1 < 32768) : (p1 >= 32768);
        break;
      case 2:
        p1 = 65535;
        bit = 1;
        break;
      case 3: bit = static_cast<int>(rng() & 1); break;
      default: bit = (rng() % 65536) < p1; break;
    }
    d[i] = {bit, p1};
  }
  return d;
}

TEST(BinaryCoder, SameBytesAsTwoSymbolTable) {
  for (int shape = 0; shape < 4; ++shape) {
    for (uint64_t seed = 1; seed <= 5; ++seed) {
      const auto d = decisions(seed * 31 + shape, 20000, shape);
      std::vector<uint8_t> a, b;
      RangeEncoder ea(&a), eb(&b);
      for (const Decision& x : d) {
        ea.encode_bit(x.bit, x.p1);
        const uint32_t cut = x.p1 << 8;
        if (x.bit) {
          eb.encode_range(0, cut);
        } else {
          eb.encode_range(cut, kFreqTotal - cut);
        }
      }
      ea.finish();
      eb.finish();
      ASSERT_EQ(a, b) << "shape " << shape << " seed " << seed;
    }
  }
}

TEST(BinaryCoder, DecodeBitInvertsAndMatchesTableDecode) {
  for (int shape = 0; shape < 4; ++shape) {
    const auto d = decisions(77 + shape, 50000, shape);
    std::vector<uint8_t> out;
    RangeEncoder enc(&out);
    for (const Decision& x : d) enc.encode_bit(x.bit, x.p1);
    enc.finish();
    RangeDecoder bin(out.data(), out.size());
    RangeDecoder tab(out.data(), out.size());
    for (size_t i = 0; i < d.size(); ++i) {
      const uint32_t cdf[3] = {0, d[i].p1 << 8, kFreqTotal};
      const int sym = tab.decode(cdf, 2);
      const int bit = bin.decode_bit(d[i].p1);
      ASSERT_EQ(bit, d[i].bit) << "decision " << i << " shape " << shape;
      ASSERT_EQ(sym, bit ? 0 : 1) << "decision " << i;
    }
  }
}

TEST(BinaryCoder, AppendsAfterExistingBytesAndEmptyMessage) {
  std::vector<uint8_t> out = {1, 2, 3};
  {
    RangeEncoder enc(&out);
    enc.finish();
  }
  EXPECT_EQ(out, (std::vector<uint8_t>{1, 2, 3}));
  RangeEncoder enc(&out);
  const auto d = decisions(5, 1000, 0);
  for (const Decision& x : d) enc.encode_bit(x.bit, x.p1);
  enc.finish();
  ASSERT_GT(out.size(), 3u);
  EXPECT_EQ(out[0], 1);
  EXPECT_NE(out.back(), 0);  // trailing zeros are dropped
  RangeDecoder dec(out.data() + 3, out.size() - 3);
  for (const Decision& x : d) ASSERT_EQ(dec.decode_bit(x.p1), x.bit);
}

// Coding loss against the ideal sum of -log2 p: under 0.01% plus the flush
// for a long message (the 32-bit range makes the split error ~2^-24).
TEST(BinaryCoder, CodingLossIsSmall) {
  const auto d = decisions(9, 2000000, 0);
  std::vector<uint8_t> out;
  RangeEncoder enc(&out);
  double ideal = 0;
  for (const Decision& x : d) {
    enc.encode_bit(x.bit, x.p1);
    ideal -= std::log2((x.bit ? x.p1 : 65536 - x.p1) / 65536.0);
  }
  enc.finish();
  const double loss = (8.0 * out.size() - ideal) / ideal;
  EXPECT_LT(loss, 1e-4) << out.size() << " bytes, ideal " << ideal / 8;
}

TEST(BinaryCoder, OutOfRangeProbabilitiesAreClampedAlike) {
  std::vector<uint8_t> a, b;
  RangeEncoder ea(&a), eb(&b);
#ifdef NDEBUG
  const uint32_t bad[2] = {0, 70000};
  const uint32_t good[2] = {1, 65535};
  for (int i = 0; i < 100; ++i) {
    ea.encode_bit(i & 1, bad[i % 2]);
    eb.encode_bit(i & 1, good[i % 2]);
  }
#endif
  ea.finish();
  eb.finish();
  EXPECT_EQ(a, b);
}

TEST(BinaryCoder, HostileInputTerminates) {
  std::mt19937_64 rng(3);
  for (int trial = 0; trial < 100; ++trial) {
    std::vector<uint8_t> junk(rng() % 64);
    for (auto& c : junk) c = static_cast<uint8_t>(rng());
    RangeDecoder dec(junk.data(), junk.size());
    int ones = 0;
    for (int i = 0; i < 10000; ++i) ones += dec.decode_bit(1 + static_cast<uint32_t>(rng() % 65535));
    EXPECT_LE(ones, 10000);
  }
  RangeDecoder empty(nullptr, 0);
  for (int i = 0; i < 1000; ++i) (void)empty.decode_bit(32768);
  EXPECT_GT(empty.overrun(), 0u);
}

}  // namespace
}  // namespace nncomp::coder
