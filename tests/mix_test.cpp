// Tests for mix/: every fast path against a slow obvious reference (squash /
// stretch / log2 against double math, the state table against its rule, the
// cell update against its formula, the SIMD mixer against the scalar one,
// the slot table against a plain bucket model, the hashed bit-history path
// against a map of every context's bit history, the neural subtree sums
// against direct sums); and the predictor end to end: round trips through
// the binary coder, compress-twice identity, independence of the stream
// order and thread count, save/load continuing to identical bits, hostile
// neural tables, config validation and the memory bound.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <new>
#include <random>
#include <thread>
#include <vector>

#include "coder/range_coder.h"
#include "mix/big_buffer.h"
#include "mix/coding.h"
#include "mix/config.h"
#include "mix/contexts.h"
#include "mix/counters.h"
#include "mix/mixer.h"
#include "mix/neural_input.h"
#include "mix/predictor.h"
#include "mix/slot_table.h"
#include "mix/squash.h"
#include "mix/state_table.h"

// ---- heap accounting for the memory bound (global operator new) ----------
namespace {
std::atomic<int64_t> g_heap_live{0};
}
// noinline: inlined into callers, GCC misreads the header arithmetic.
__attribute__((noinline)) void* operator new(std::size_t n) {
  void* p = std::malloc(n + 16);
  if (!p) throw std::bad_alloc();
  *static_cast<std::size_t*>(p) = n;
  g_heap_live += static_cast<int64_t>(n);
  return static_cast<char*>(p) + 16;
}
__attribute__((noinline)) void operator delete(void* p) noexcept {
  if (!p) return;
  char* q = static_cast<char*>(p) - 16;
  g_heap_live -= static_cast<int64_t>(*reinterpret_cast<std::size_t*>(q));
  std::free(q);
}
__attribute__((noinline)) void operator delete(void* p, std::size_t) noexcept { operator delete(p); }

namespace nncomp::mix {
namespace {

// ---- deterministic test data ----------------------------------------------

// Text-like bytes: words from a small vocabulary, wiki markup, newlines, some
// long repeats (for the match model).
std::vector<uint8_t> sample_text(size_t n, uint64_t seed) {
  static const char* kWords[] = {"the", "of", "and", "[[link]]", "{{cite}}", "&amp;", "<page>", "</page>",
                                 "compression", "model", "Context", "mixing", "==Heading==", "|", "1987", "is"};
  std::mt19937_64 rng(seed);
  std::vector<uint8_t> out;
  while (out.size() < n) {
    if (out.size() > 200 && rng() % 50 == 0) {  // repeat an earlier stretch
      const size_t from = rng() % (out.size() - 100);
      const size_t len = 20 + rng() % 80;
      for (size_t i = 0; i < len && out.size() < n; ++i) out.push_back(out[from + i]);
      continue;
    }
    const char* w = kWords[rng() % 16];
    for (const char* c = w; *c && out.size() < n; ++c) out.push_back(static_cast<uint8_t>(*c));
    if (out.size() < n) out.push_back(rng() % 9 == 0 ? '\n' : ' ');
  }
  return out;
}

// A neural stand-in: an adaptive order-1 model giving exact integer tables
// over 2^24 (every frequency >= 1, sum exactly 2^24).
struct FakeNeural {
  std::vector<uint32_t> counts = std::vector<uint32_t>(256 * 256, 0);
  void table(int prev, uint32_t* cdf) const {
    const uint32_t* c = &counts[256 * prev];
    uint64_t total = 0;
    for (int i = 0; i < 256; ++i) total += c[i];
    uint32_t f[256];
    uint32_t sum = 0;
    for (int i = 0; i < 256; ++i) {
      f[i] = 1 + (total ? static_cast<uint32_t>((uint64_t{c[i]} * (coder::kFreqTotal - 256)) / total) : 65535);
      sum += f[i];
    }
    int best = 0;
    for (int i = 1; i < 256; ++i)
      if (f[i] > f[best]) best = i;
    f[best] += coder::kFreqTotal - sum;  // sum <= 2^24 by construction
    cdf[0] = 0;
    for (int i = 0; i < 256; ++i) cdf[i + 1] = cdf[i] + f[i];
  }
  void learn(int prev, int byte) { counts[256 * prev + byte] += 1; }
};

// A small configuration (fast to build) with every model on.
Config small_config(bool neural) {
  Config c = default_config();
  c.neural = neural ? 1 : 0;
  c.log2_slot_bytes = 18;
  c.log2_match = 14;
  c.log2_private_bytes = 14;
  c.log2_private_total = 18;
  return c;
}

uint64_t stream_size(uint64_t n, uint64_t L, uint32_t s) {
  const uint64_t a = s * L;
  return a >= n ? 0 : std::min(L, n - a);
}

enum class Order { kForward, kReverse, kThreads };

// Runs the lockstep loop over data (encoding) and returns every p_bit in
// (stream, position, bit) order; cdfs from FakeNeural per stream if neural;
// end_parts > 1 splits end_step into that many parts run on threads.
std::vector<std::vector<uint32_t>> run_probs(const Config& c, const std::vector<uint8_t>& data, uint32_t n_streams,
                                             Order order, bool neural, uint32_t end_parts = 1) {
  const uint64_t n = data.size();
  const uint64_t L = (n + n_streams - 1) / n_streams;
  Predictor p(c, n_streams);
  p.set_history(data.data(), L, n);
  std::vector<std::vector<uint32_t>> probs(n_streams);
  std::vector<FakeNeural> nn(neural ? n_streams : 0);
  auto one = [&](uint32_t s, uint64_t t) {
    if (t >= stream_size(n, L, s)) return;
    uint32_t cdf[257];
    const int byte = data[s * L + t];
    const int prev = t ? data[s * L + t - 1] : 0;
    if (neural) nn[s].table(prev, cdf);
    p.begin_byte(s, neural ? cdf : nullptr);
    for (int b = 7; b >= 0; --b) {
      probs[s].push_back(p.p_bit(s));
      p.update_bit(s, (byte >> b) & 1);
    }
    if (neural) nn[s].learn(prev, byte);
  };
  for (uint64_t t = 0; t < L; ++t) {
    p.begin_step(t);
    if (order == Order::kForward) {
      for (uint32_t s = 0; s < n_streams; ++s) one(s, t);
    } else if (order == Order::kReverse) {
      for (uint32_t s = n_streams; s-- > 0;) one(s, t);
    } else {
      std::vector<std::thread> th;
      for (uint32_t k = 0; k < 3; ++k)
        th.emplace_back([&, k] {
          for (uint32_t s = k; s < n_streams; s += 3) one(s, t);
        });
      for (auto& x : th) x.join();
    }
    if (end_parts <= 1) {
      p.end_step();
    } else {  // the parts on threads, then the serial finish
      std::vector<std::thread> th;
      for (uint32_t k = 0; k < end_parts; ++k) th.emplace_back([&, k] { p.end_step_part(end_parts - 1 - k, end_parts); });
      for (auto& x : th) x.join();
      p.end_step_finish();
    }
  }
  return probs;
}

struct Coded {
  std::vector<std::vector<uint8_t>> streams;
  uint64_t ideal_q16 = 0;
};

Coded encode_all(const Config& c, const std::vector<uint8_t>& data, uint32_t n_streams, bool neural) {
  const uint64_t n = data.size();
  const uint64_t L = (n + n_streams - 1) / n_streams;
  Predictor p(c, n_streams);
  p.set_history(data.data(), L, n);
  Coded out;
  out.streams.resize(n_streams);
  std::vector<coder::RangeEncoder> enc;
  for (uint32_t s = 0; s < n_streams; ++s) enc.emplace_back(&out.streams[s]);
  std::vector<FakeNeural> nn(n_streams);
  for (uint64_t t = 0; t < L; ++t) {
    p.begin_step(t);
    for (uint32_t s = 0; s < n_streams; ++s) {
      if (t >= stream_size(n, L, s)) continue;
      uint32_t cdf[257];
      const int prev = t ? data[s * L + t - 1] : 0;
      nn[s].table(prev, cdf);
      out.ideal_q16 += encode_byte(p, s, neural ? cdf : nullptr, data[s * L + t], enc[s]);
      nn[s].learn(prev, data[s * L + t]);
    }
    p.end_step();
  }
  for (auto& e : enc) e.finish();
  return out;
}

std::vector<uint8_t> decode_all(const Config& c, const Coded& in, uint64_t n, uint32_t n_streams, bool neural) {
  const uint64_t L = (n + n_streams - 1) / n_streams;
  std::vector<uint8_t> buf(n, 0);
  Predictor p(c, n_streams);
  p.set_history(buf.data(), L, n);
  std::vector<coder::RangeDecoder> dec;
  for (uint32_t s = 0; s < n_streams; ++s) dec.emplace_back(in.streams[s].data(), in.streams[s].size());
  std::vector<FakeNeural> nn(n_streams);
  for (uint64_t t = 0; t < L; ++t) {
    p.begin_step(t);
    for (uint32_t s = 0; s < n_streams; ++s) {
      if (t >= stream_size(n, L, s)) continue;
      uint32_t cdf[257];
      const int prev = t ? buf[s * L + t - 1] : 0;
      nn[s].table(prev, cdf);
      const int byte = decode_byte(p, s, neural ? cdf : nullptr, dec[s]);
      buf[s * L + t] = static_cast<uint8_t>(byte);
      nn[s].learn(prev, byte);
    }
    p.end_step();
  }
  return buf;
}

// ---- fixed-point tables ---------------------------------------------------

TEST(Squash, RangeSymmetryAndAccuracy) {
  for (int x = -2047; x <= 2047; ++x) {
    const int s = squash(x);
    ASSERT_GE(s, 1);
    ASSERT_LE(s, 65535);
    ASSERT_EQ(s, 65536 - squash(-x)) << x;
    if (x > -2047) {
      ASSERT_GE(s, squash(x - 1));
    }
    const double exact = 65536.0 / (1.0 + std::exp(-x / 256.0));
    ASSERT_NEAR(s, exact, 0.5 + 1e-9) << x;
  }
  EXPECT_EQ(squash(0), 32768);
  EXPECT_EQ(squash(100000), squash(2047));
  EXPECT_EQ(squash(-100000), squash(-2047));
}

TEST(Stretch, InverseOfSquashAndAntisymmetric) {
  for (uint32_t i = 0; i < 4096; ++i) ASSERT_EQ(stretch(16 * i), -stretch(16 * (4095 - i))) << i;
  for (int x = -1500; x <= 1500; ++x) ASSERT_NEAR(stretch(static_cast<uint32_t>(squash(x))), x, 12) << x;
  for (uint32_t p = 16; p < 65536 - 16; p += 16) {
    const double q = (p + 8) / 65536.0;
    const double exact = 256.0 * std::log(q / (1 - q));
    if (std::fabs(exact) < 2000) {
      ASSERT_NEAR(stretch(p), exact, 5.0) << p;
    }
  }
}

TEST(Log2, MatchesDoubleAndStretchRatioMatchesLog) {
  for (uint32_t k = 0; k < 32; ++k) ASSERT_EQ(log2_q16(1u << k), static_cast<int32_t>(k << 16));
  std::mt19937_64 rng(1);
  for (int i = 0; i < 100000; ++i) {
    const uint32_t v = 1 + static_cast<uint32_t>(rng() >> (rng() % 40 + 24));
    ASSERT_NEAR(log2_q16(v), std::log2(static_cast<double>(v)) * 65536.0, 2.0) << v;
    const uint32_t a = 1 + static_cast<uint32_t>(rng() % (1u << 24));
    const uint32_t b = 1 + static_cast<uint32_t>(rng() % (1u << 24));
    const double exact = 256.0 * std::log(static_cast<double>(a) / b);
    const int s = stretch_ratio(a, b);
    ASSERT_EQ(s, -stretch_ratio(b, a));
    if (std::fabs(exact) < 2040) {
      ASSERT_NEAR(s, exact, 1.0) << a << "/" << b;
    }
    if (exact > 2100) {
      ASSERT_EQ(s, 2047);
    }
  }
  EXPECT_EQ(stretch_ratio(12345, 12345), 0);
}

// ---- bit histories and cells ----------------------------------------------

TEST(StateTable, FollowsItsRule) {
  EXPECT_EQ(kStates.n0[0], 0);
  EXPECT_EQ(kStates.n1[0], 0);
  EXPECT_LE(kStates.size, 255);
  // Reference rule, written out: increment, discount the other (<=5 kept,
  // 6 -> 5, 7 -> 6, more -> 7), then lower until within lpaq1's bounds.
  auto limit = [](int lo) { return lo == 0 ? 41 : lo == 1 ? 40 : lo == 2 ? 12 : lo == 3 ? 5 : lo == 4 ? 4 : -1; };
  auto ok = [&](int a, int b) { return std::max(a, b) <= limit(std::min(a, b)); };
  for (int s = 0; s < kStates.size; ++s)
    for (int bit = 0; bit < 2; ++bit) {
      int inc = (bit ? kStates.n1[s] : kStates.n0[s]) + 1;
      int oth = bit ? kStates.n0[s] : kStates.n1[s];
      oth = oth <= 5 ? oth : oth == 6 ? 5 : oth == 7 ? 6 : 7;
      while (!ok(inc, oth)) (oth > 0 ? oth : inc) -= 1;
      const int t = kStates.next[s][bit];
      ASSERT_LT(t, kStates.size);
      ASSERT_EQ(bit ? kStates.n1[t] : kStates.n0[t], inc) << s << " " << bit;
      ASSERT_EQ(bit ? kStates.n0[t] : kStates.n1[t], oth) << s << " " << bit;
    }
  // Every pair within the bounds is a state exactly once.
  std::map<std::pair<int, int>, int> seen;
  for (int s = 0; s < kStates.size; ++s) seen[{kStates.n0[s], kStates.n1[s]}] += 1;
  for (const auto& [k, v] : seen) {
    EXPECT_EQ(v, 1);
    EXPECT_TRUE(ok(k.first, k.second));
  }
}

TEST(Cell, UpdateIsTheStateMapFormula) {
  std::mt19937_64 rng(2);
  for (int i = 0; i < 200000; ++i) {
    const uint32_t p = static_cast<uint32_t>(rng() % (1u << 22));
    const uint32_t n = static_cast<uint32_t>(rng() % 1024);
    const uint32_t limit = 1 + static_cast<uint32_t>(rng() % 1023);
    const int y = static_cast<int>(rng() & 1);
    uint32_t cell = (p << 10) | n;
    cell_update(cell, y, limit);
    const int64_t target = y ? (1 << 22) - 1 : 0;
    const int64_t step = ((target - static_cast<int64_t>(p)) * ((1 << 17) / (2 * n + 3)));
    const int64_t want = static_cast<int64_t>(p) + (step >= 0 ? step >> 16 : -((-step + 65535) >> 16));
    ASSERT_EQ(cell >> 10, static_cast<uint32_t>(want));
    ASSERT_EQ(cell & 1023, n < limit ? n + 1 : n);
    // and it is (y - p) / (n + 1.5) up to rounding
    ASSERT_NEAR(static_cast<double>(cell >> 10), p + (target - static_cast<double>(p)) / (n + 1.5),
                2.0 + std::fabs(target - static_cast<double>(p)) * 1e-4);
  }
}

TEST(Mixer, SimdPathsMatchReference) {
  std::mt19937_64 rng(3);
  for (int it = 0; it < 100000; ++it) {
    const int n = 4 * (1 + static_cast<int>(rng() % 8));
    int32_t x[32], w[32], w2[32], w3[32];
    for (int i = 0; i < n; ++i) {
      x[i] = static_cast<int32_t>(rng() % 4095) - 2047;
      if (rng() % 5 == 0) x[i] = (rng() & 1) ? 2047 : -2047;
      w[i] = static_cast<int32_t>(rng() % (2u * kWeightLimit + 1)) - kWeightLimit;
      if (rng() % 9 == 0) w[i] = (rng() & 1) ? kWeightLimit : -kWeightLimit;
      w2[i] = w3[i] = w[i];
    }
    ASSERT_EQ(mixer_dot(x, w, n), mixer_dot_reference(x, w, n));
    ASSERT_EQ(mixer_dot_sse2(x, w, n), mixer_dot_reference(x, w, n));
    const int err = static_cast<int>(rng() % 65535) - 32767;
    mixer_train(x, w, n, err);
    mixer_train_reference(x, w2, n, err);
    mixer_train_sse2(x, w3, n, err);
    for (int i = 0; i < n; ++i) {
      ASSERT_EQ(w[i], w2[i]);
      ASSERT_EQ(w3[i], w2[i]);
    }
  }
}

// ---- hashed bit histories -------------------------------------------------

// The slot table against a plain model of its documented behaviour.
TEST(SlotTable, MatchesBucketModel) {
  constexpr int kLog2 = 12;  // 64 buckets: many replacements
  SlotTable t(kLog2);
  struct RefSlot {
    uint8_t check = 0;
    uint8_t s[15] = {};
  };
  std::vector<std::array<RefSlot, 4>> ref(64);
  std::mt19937_64 rng(4);
  std::vector<uint64_t> keys(400);
  for (auto& k : keys) k = rng();
  for (int it = 0; it < 200000; ++it) {
    const uint64_t h = keys[rng() % keys.size()];
    auto& b = ref[h >> (64 - 6)];
    const uint8_t check = static_cast<uint8_t>(h);
    int found = -1;
    for (int i = 0; i < 4 && found < 0; ++i)
      if (b[i].check == check) found = i;
    const uint8_t* got = t.find(h);
    ASSERT_EQ(got != nullptr, found >= 0);
    if (got) {
      ASSERT_EQ(0, std::memcmp(got, b[found].s, 15));
    }
    if (rng() % 2) {
      if (found < 0) {
        int v = 0;
        for (int i = 1; i < 4; ++i)
          if (kStates.n0[b[i].s[0]] + kStates.n1[b[i].s[0]] < kStates.n0[b[v].s[0]] + kStates.n1[b[v].s[0]]) v = i;
        b[v] = RefSlot{};
        b[v].check = check;
        found = v;
      }
      const uint32_t nib = static_cast<uint32_t>(rng() % 16);
      uint8_t* slot = t.insert(h);
      slot_apply_nibble(slot, nib);
      uint32_t node = 1;
      for (int k = 3; k >= 0; --k) {
        const int bit = (nib >> k) & 1;
        b[found].s[node - 1] = kStates.next[b[found].s[node - 1]][bit];
        node = 2 * node + bit;
      }
      ASSERT_EQ(0, std::memcmp(slot, b[found].s, 15));
    }
  }
}

// The predictor's per-context path (hash, nibble slots, node states) against
// a map from (context bytes, partial byte) to the state replayed from every
// earlier bit in that context, for an order-2 context on a big table.
TEST(BitHistory, HashedPathMatchesSlowReference) {
  const auto data = sample_text(20000, 5);
  SlotTable t(22);
  std::map<std::pair<uint32_t, uint32_t>, uint8_t> ref;  // (c2c1, c0 with leading 1) -> state
  History h;
  for (uint64_t pos = 0; pos < data.size(); ++pos) {
    const uint64_t hc = context_hash(kCtxOrder2, h, pos, data.data());
    const uint32_t ctx = static_cast<uint32_t>(h.c8 & 0xFFFF);
    const int byte = data[pos];
    const uint8_t* first = t.find(hc);
    const uint32_t hi = static_cast<uint32_t>(byte) >> 4;
    const uint8_t* second = t.find(hash64(hc, 16 + hi));
    uint32_t c0 = 1;
    for (int b = 7; b >= 0; --b) {
      const uint32_t bitpos = 7 - static_cast<uint32_t>(b);
      const uint8_t* slot = bitpos < 4 ? first : second;
      const uint32_t node = bitpos < 4 ? c0 : ((1u << (bitpos - 4)) | (c0 & ((1u << (bitpos - 4)) - 1)));
      const uint8_t got = slot ? slot[node - 1] : 0;
      auto it = ref.find({ctx, c0});
      ASSERT_EQ(got, it == ref.end() ? 0 : it->second) << "pos " << pos << " bit " << bitpos;
      const int bit = (byte >> b) & 1;
      ref[{ctx, c0}] = kStates.next[it == ref.end() ? 0 : it->second][bit];
      c0 = 2 * c0 + static_cast<uint32_t>(bit);
    }
    slot_apply_nibble(t.insert(hc), hi);
    slot_apply_nibble(t.insert(hash64(hc, 16 + hi)), static_cast<uint32_t>(byte) & 15);
    history_step(h, static_cast<uint32_t>(byte), pos, data.data());
  }
}

// ---- neural input -----------------------------------------------------------

TEST(Neural, SubtreeMassesAndArgmaxMatchDirectSums) {
  std::mt19937_64 rng(6);
  FakeNeural nn;
  for (int trial = 0; trial < 50; ++trial) {
    for (int k = 0; k < 200; ++k) nn.learn(trial % 7, static_cast<int>(rng() % (1 + rng() % 256)));
    uint32_t cdf[257];
    nn.table(trial % 7, cdf);
    ArgmaxTree am;
    am.build(cdf);
    for (uint32_t c0 = 1; c0 < 256; ++c0) {
      const int k = 31 - __builtin_clz(c0);
      const uint32_t lo = (c0 - (1u << k)) << (8 - k), hi = lo + (256u >> k), mid = (lo + hi) / 2;
      uint64_t m0 = 0, m1 = 0;
      uint32_t best = lo;
      for (uint32_t i = lo; i < hi; ++i) {
        const uint32_t f = cdf[i + 1] - cdf[i];
        (i < mid ? m0 : m1) += f;
        if (f > cdf[best + 1] - cdf[best]) best = i;
      }
      uint32_t g0, g1;
      neural_masses(cdf, c0, g0, g1);
      ASSERT_EQ(g0, m0);
      ASSERT_EQ(g1, m1);
      ASSERT_EQ(am.best[c0], best) << c0;
      // P(1) = m1 / (m0 + m1) in the stretch domain
      const double exact = 256.0 * std::log(static_cast<double>(m1) / m0);
      if (std::fabs(exact) < 2040) {
        ASSERT_NEAR(stretch_ratio(g1, g0), exact, 1.0);
      }
    }
  }
  // A table that breaks the contract gives clamped masses, no wrap-around.
  uint32_t bad[257];
  for (int i = 0; i <= 256; ++i) bad[i] = static_cast<uint32_t>(rng());
  for (uint32_t c0 = 1; c0 < 256; ++c0) {
    uint32_t g0, g1;
    neural_masses(bad, c0, g0, g1);
    ASSERT_GE(g0, 1u);
    ASSERT_LE(g0, 1u << 24);
    ASSERT_GE(g1, 1u);
    ASSERT_LE(g1, 1u << 24);
  }
}

// ---- the predictor end to end ----------------------------------------------

TEST(Predictor, RoundTripsAndIsDeterministic) {
  const auto data = sample_text(30000, 7);
  for (const uint32_t n_streams : {1u, 5u, 16u})
    for (const bool neural : {false, true}) {
      const Config c = small_config(neural);
      const Coded a = encode_all(c, data, n_streams, neural);
      const Coded b = encode_all(c, data, n_streams, neural);
      ASSERT_EQ(a.streams, b.streams) << "compress twice, " << n_streams << " streams";
      ASSERT_EQ(decode_all(c, a, data.size(), n_streams, neural), data) << n_streams << " streams";
      uint64_t bytes = 0;
      for (const auto& s : a.streams) bytes += s.size();
      const double ideal = a.ideal_q16 / 65536.0 / 8;
      EXPECT_LT(bytes, ideal * 1.001 + 8 * n_streams) << "coding loss";
      EXPECT_LT(bytes, data.size() / 3) << "the sample text is very compressible";
    }
}

TEST(Predictor, DefaultConfigRoundTrips) {
  const auto data = sample_text(6000, 8);
  const Config c = default_config();
  const Coded a = encode_all(c, data, 2, true);
  ASSERT_EQ(decode_all(c, a, data.size(), 2, true), data);
}

TEST(Predictor, IndependentOfStreamOrderAndThreads) {
  const auto data = sample_text(16 * 150 + 7, 9);
  const Config c = small_config(true);
  const auto fwd = run_probs(c, data, 16, Order::kForward, true);
  EXPECT_EQ(fwd, run_probs(c, data, 16, Order::kReverse, true));
  EXPECT_EQ(fwd, run_probs(c, data, 16, Order::kThreads, true));
  EXPECT_EQ(fwd, run_probs(c, data, 16, Order::kThreads, true, 3));
  EXPECT_EQ(fwd, run_probs(c, data, 16, Order::kForward, true, 7));
}

TEST(Predictor, SaveLoadContinuesToIdenticalBits) {
  const auto data = sample_text(8 * 600, 10);
  const uint32_t n_streams = 8;
  const uint64_t L = data.size() / n_streams;
  const Config c = small_config(false);
  auto run = [&](Predictor& p, uint64_t from, uint64_t to, std::vector<uint32_t>& probs) {
    for (uint64_t t = from; t < to; ++t) {
      p.begin_step(t);
      for (uint32_t s = 0; s < n_streams; ++s) {
        p.begin_byte(s, nullptr);
        for (int b = 7; b >= 0; --b) {
          probs.push_back(p.p_bit(s));
          p.update_bit(s, (data[s * L + t] >> b) & 1);
        }
      }
      p.end_step();
    }
  };
  std::vector<uint32_t> whole, parts;
  {
    Predictor p(c, n_streams);
    p.set_history(data.data(), L, data.size());
    run(p, 0, L, whole);
  }
  std::vector<uint8_t> state;
  {
    Predictor p(c, n_streams);
    p.set_history(data.data(), L, data.size());
    run(p, 0, L / 2, parts);
    state = p.save();
    EXPECT_EQ(p.steps_done(), L / 2);
  }
  Predictor q(c, n_streams);
  q.load(state);
  q.set_history(data.data(), L, data.size());
  EXPECT_EQ(q.steps_done(), L / 2);
  run(q, L / 2, L, parts);
  EXPECT_EQ(whole, parts);
  EXPECT_EQ(q.save().size(), state.size());
  // Bad states are refused and leave the predictor usable.
  Predictor other(small_config(true), n_streams);
  EXPECT_THROW(other.load(state), std::invalid_argument);
  Predictor fewer(c, n_streams - 1);
  EXPECT_THROW(fewer.load(state), std::invalid_argument);
  auto cut = state;
  cut.resize(cut.size() - 1);
  EXPECT_THROW(q.load(cut), std::invalid_argument);
  auto junk = state;
  junk[0] ^= 1;
  EXPECT_THROW(q.load(junk), std::invalid_argument);
}

TEST(Predictor, HostileNeuralTablesStayInRange) {
  const auto data = sample_text(3000, 11);
  Predictor p(small_config(true), 1);
  p.set_history(data.data(), data.size(), data.size());
  std::mt19937_64 rng(12);
  for (uint64_t t = 0; t < data.size(); ++t) {
    uint32_t cdf[257];
    const int kind = static_cast<int>(t % 4);
    for (int i = 0; i <= 256; ++i)
      cdf[i] = kind == 0 ? static_cast<uint32_t>(rng()) : kind == 1 ? 0 : kind == 2 ? 0xFFFFFFFFu : 1u << 24;
    p.begin_step(t);
    p.begin_byte(0, cdf);
    for (int b = 7; b >= 0; --b) {
      const uint32_t pr = p.p_bit(0);
      ASSERT_GE(pr, 1u);
      ASSERT_LE(pr, 65535u);
      p.update_bit(0, (data[t] >> b) & 1);
    }
    p.end_step();
  }
}

TEST(Predictor, SetHistoryChecksItsArguments) {
  Predictor p(small_config(false), 4);
  uint8_t buf[16] = {};
  EXPECT_THROW(p.set_history(buf, 3, 16), std::invalid_argument);         // 3 * 4 < 16
  EXPECT_THROW(p.set_history(nullptr, 4, 16), std::invalid_argument);     // no buffer
  EXPECT_THROW(p.set_history(buf, 17, 16), std::invalid_argument);        // stream longer than input
  EXPECT_THROW(p.set_history(buf, 1, uint64_t{1} << 32), std::invalid_argument);
  EXPECT_NO_THROW(p.set_history(buf, 4, 16));
  EXPECT_NO_THROW(p.set_history(nullptr, 0, 0));
  EXPECT_THROW(Predictor(small_config(false), 0), std::invalid_argument);
  EXPECT_THROW(Predictor(small_config(false), 65537), std::invalid_argument);
}

// ---- configuration ------------------------------------------------------------

TEST(Config, ProblemNamesTheField) {
  EXPECT_EQ(config_problem(default_config()), "");
  EXPECT_EQ(config_problem(small_config(true)), "");
  struct Case {
    const char* field;
    void (*spoil)(Config&);
  };
  const Case cases[] = {
      {"rule_version", [](Config& c) { c.rule_version = 2; }},
      {"neural", [](Config& c) { c.neural = 2; }},
      {"log2_slot_bytes", [](Config& c) { c.log2_slot_bytes = 33; }},
      {"log2_slot_bytes", [](Config& c) { c.log2_slot_bytes = 11; }},
      {"log2_match", [](Config& c) { c.log2_match = 31; }},
      {"log2_private_bytes", [](Config& c) { c.log2_private_bytes = 29; }},
      {"log2_private_total", [](Config& c) { c.log2_private_total = 35; }},
      {"match_min", [](Config& c) { c.match_min = 1; }},
      {"mixer_lr", [](Config& c) { c.mixer_lr = 0; }},
      {"final_lr", [](Config& c) { c.final_lr = 0; }},
      {"sm_limit", [](Config& c) { c.sm_limit = 128; }},
      {"models", [](Config& c) { c.models |= 1u << 20; }},
      {"private_models", [](Config& c) { c.private_models |= kModelMatch; }},
      {"contexts", [](Config& c) {
         c.models |= kContextModels;
         c.private_models = kContextModels;
       }},
  };
  for (const Case& k : cases) {
    Config c = default_config();
    k.spoil(c);
    const std::string p = config_problem(c);
    EXPECT_NE(p.find(k.field), std::string::npos) << k.field << ": " << p;
    EXPECT_EQ(p.find('\n'), std::string::npos);
    EXPECT_THROW(Predictor(c, 1), std::invalid_argument);
  }
}

TEST(Config, SizedForShrinksOnlyAndKeepsEnwik6) {
  const Config d = default_config();
  for (const uint32_t n : {1u, 16u}) {
    const Config e = sized_for(d, 1000000, n);
    EXPECT_EQ(e.log2_slot_bytes, d.log2_slot_bytes);
    EXPECT_EQ(e.log2_match, d.log2_match);
    EXPECT_EQ(e.log2_private_bytes, d.log2_private_bytes);
  }
  for (const uint64_t size : {uint64_t{0}, uint64_t{1}, uint64_t{100000}, uint64_t{1} << 40}) {
    const Config e = sized_for(d, size, 7);
    EXPECT_EQ(config_problem(e), "");
    EXPECT_LE(e.log2_slot_bytes, d.log2_slot_bytes);
    EXPECT_LE(e.log2_match, d.log2_match);
    EXPECT_LE(e.log2_private_bytes, d.log2_private_bytes);
    EXPECT_LE(memory_bytes(e, 7), memory_bytes(d, 7));
  }
  EXPECT_EQ(sized_for(d, 100000, 1).log2_slot_bytes, 24);
}

TEST(Config, MemoryBytesIsAnUpperBound) {
  std::vector<std::pair<Config, uint32_t>> cases;
  for (const uint32_t n : {1u, 2u, 16u, 100u}) {
    cases.push_back({small_config(false), n});
    cases.push_back({small_config(true), n});
  }
  Config all = small_config(true);
  all.models = kContextModels | kModelMatch | kModelApm;
  all.private_models = kModelOrder1 | kModelOrder2 | kModelOrder3 | kModelWord;
  cases.push_back({all, 3});
  cases.push_back({default_config(), 1});
  cases.push_back({default_config(), 16});
  for (const auto& [c, n] : cases) {
    const int64_t heap0 = g_heap_live.load();
    const uint64_t big0 = BigBuffer::live_bytes();
    {
      Predictor p(c, n);
      const uint64_t used = static_cast<uint64_t>(g_heap_live.load() - heap0) + (BigBuffer::live_bytes() - big0);
      EXPECT_LE(used, memory_bytes(c, n)) << n << " streams";
      EXPECT_GE(used, memory_bytes(c, n) / 2) << "a loose bound is no use";
    }
  }
  EXPECT_LE(memory_bytes(default_config(), 16), uint64_t{256} << 20);
  EXPECT_LE(memory_bytes(default_config(), 256), uint64_t{256} << 20);
}

}  // namespace
}  // namespace nncomp::mix
