// fuzz_coder.cpp — libFuzzer target for coder/: quantize_cdf and the range coder.
//
// The first value taken from the input picks one of four checks; the rest of
// the input is split with FuzzedDataProvider:
//  0 quantize_cdf on n in 1..256 floats (small integer weights, special values
//    such as NaN, inf, -0 and subnormals, or raw bit patterns): the table
//    guarantees of quantize.h, and equality with a plain re-implementation of
//    the documented rule (which widens floats with an ordinary conversion, so
//    it also checks quantize.cpp's integer-only widening).
//  1 RangeDecoder on arbitrary bytes under valid tables: symbols in [0, n).
//  2 RangeDecoder under raw tables that break the contract (any entries, n < 1
//    included) and RangeEncoder::encode_range with any (cum, freq): memory
//    safety and termination only, as range_coder.h promises.
//  3 round trip: a symbol sequence under valid tables, encoded after some
//    existing bytes, finished and decoded, gives back the same symbols; the
//    stream format's promises (prefix kept, no trailing zero byte, empty
//    message -> empty stream) and a loose size bound hold.
// Every table lives in its own exactly-sized heap block, so that AddressSanitizer
// sees any read past cdf[n]. A violated property traps (libFuzzer keeps the input).
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <bit>
#include <cfloat>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "coder/quantize.h"
#include "coder/range_coder.h"

namespace {

using nncomp::coder::kFreqTotal;
using nncomp::coder::kMaxSymbols;
using nncomp::coder::quantize_cdf;
using nncomp::coder::RangeDecoder;
using nncomp::coder::RangeEncoder;

constexpr int kMaxMessage = 4096;  // symbols per check

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz_coder: FINDING: %s\n", what.c_str());
  std::fflush(stderr);
  __builtin_trap();
}

// n + 1 cumulative frequencies in a heap block of exactly that size.
struct Table {
  int n = 0;
  std::unique_ptr<uint32_t[]> cdf;
  explicit Table(int symbols, int entries)
      : n(symbols), cdf(std::make_unique<uint32_t[]>(static_cast<size_t>(entries))) {}
};

// One float per symbol: mostly small integer weights (unnormalised, which
// quantize_cdf accepts), sometimes a special value or a raw bit pattern.
float next_weight(FuzzedDataProvider& in) {
  static const float kSpecial[] = {
      0.0f, -0.0f, 1.0f, -1.0f, 0.5f, 1e-30f, 1e30f, -1e30f,
      std::numeric_limits<float>::quiet_NaN(), -std::numeric_limits<float>::quiet_NaN(),
      std::numeric_limits<float>::signaling_NaN(), std::numeric_limits<float>::infinity(),
      -std::numeric_limits<float>::infinity(), FLT_MIN, -FLT_MIN, FLT_MAX, -FLT_MAX,
      std::numeric_limits<float>::denorm_min(), std::bit_cast<float>(0x007FFFFFu),
      std::bit_cast<float>(0x00400000u), std::bit_cast<float>(0x00000003u),
      std::bit_cast<float>(0x3F7FFFFFu), std::bit_cast<float>(0x3F800001u), 1.0f / 3.0f,
      16777216.0f, 16777215.0f, 1e-45f, 2e-38f, 3.4e38f, 0.1f, 0.9f, 255.0f};
  static_assert(sizeof kSpecial / sizeof kSpecial[0] == 32);
  const uint8_t k = in.ConsumeIntegral<uint8_t>();
  if (k < 0xC0) return static_cast<float>(k);
  if (k < 0xE0) return kSpecial[k - 0xC0];
  return std::bit_cast<float>(in.ConsumeIntegral<uint32_t>());
}

// The rule of quantize.h, steps 1-6, written from the comment.
std::vector<uint32_t> reference_quantize(const std::vector<float>& p) {
  const int n = static_cast<int>(p.size());
  std::vector<double> w(p.size());
  double sum = 0.0;
  for (int i = 0; i < n; ++i) {
    w[i] = (std::isfinite(p[i]) && p[i] > 0.0f) ? static_cast<double>(p[i]) : 0.0;
    sum += w[i];
  }
  if (sum == 0.0) {
    std::fill(w.begin(), w.end(), 1.0);
    sum = static_cast<double>(n);
  }
  const int64_t budget = int64_t{kFreqTotal} - n;
  const double scale = static_cast<double>(budget) / sum;
  std::vector<int64_t> f(p.size());
  int64_t total = 0;
  for (int i = 0; i < n; ++i) {
    const double x = w[i] * scale;
    const int64_t q = x >= static_cast<double>(budget) ? budget : static_cast<int64_t>(x);
    f[i] = 1 + q;
    total += f[i];
  }
  const int m = static_cast<int>(std::max_element(f.begin(), f.end()) - f.begin());
  const int64_t d = int64_t{kFreqTotal} - total;
  if (d >= 0) {
    f[m] += d;
  } else {
    int64_t need = -d;
    const int64_t t0 = std::min(need, f[m] - 1);
    f[m] -= t0;
    need -= t0;
    for (int i = 0; i < n && need > 0; ++i) {
      if (i == m) continue;
      const int64_t t = std::min(need, f[i] - 1);
      f[i] -= t;
      need -= t;
    }
  }
  std::vector<uint32_t> cdf(p.size() + 1, 0);
  for (int i = 0; i < n; ++i) cdf[i + 1] = static_cast<uint32_t>(cdf[i] + f[i]);
  return cdf;
}

void check_valid(const uint32_t* cdf, int n, const char* what) {
  if (cdf[0] != 0) fail(std::string(what) + ": cdf[0] = " + std::to_string(cdf[0]));
  if (cdf[n] != kFreqTotal) fail(std::string(what) + ": cdf[n] = " + std::to_string(cdf[n]));
  for (int i = 0; i < n; ++i)
    if (cdf[i + 1] <= cdf[i])
      fail(std::string(what) + ": cdf not strictly increasing at " + std::to_string(i));
}

void check_quantize(FuzzedDataProvider& in) {
  const int n = in.ConsumeIntegralInRange<int>(1, kMaxSymbols);
  std::vector<float> p(static_cast<size_t>(n));
  for (float& x : p) x = next_weight(in);
  Table t(n, n + 1);
  quantize_cdf(p.data(), n, t.cdf.get());
  check_valid(t.cdf.get(), n, "quantize_cdf");
  const std::vector<uint32_t> ref = reference_quantize(p);
  for (int i = 0; i <= n; ++i)
    if (t.cdf[i] != ref[i])
      fail("quantize_cdf differs from the documented rule at cdf[" + std::to_string(i) +
           "]: " + std::to_string(t.cdf[i]) + " vs " + std::to_string(ref[i]));
}

// A table satisfying the decoder's contract, in one of three shapes.
Table valid_table(FuzzedDataProvider& in) {
  const int n = in.ConsumeIntegralInRange<int>(1, kMaxSymbols);
  switch (in.ConsumeIntegralInRange<int>(0, 2)) {
    case 0: {  // through the quantiser
      std::vector<float> p(static_cast<size_t>(n));
      for (float& x : p) x = next_weight(in);
      Table t(n, n + 1);
      quantize_cdf(p.data(), n, t.cdf.get());
      return t;
    }
    case 1: {  // arbitrary distinct cut points (frequencies the quantiser may not give)
      std::set<uint32_t> cuts;
      for (int i = 0; i + 1 < n; ++i)
        cuts.insert(1 + in.ConsumeIntegral<uint32_t>() % (kFreqTotal - 1));
      const int m = static_cast<int>(cuts.size()) + 1;
      Table t(m, m + 1);
      int i = 0;
      t.cdf[i++] = 0;
      for (uint32_t c : cuts) t.cdf[i++] = c;
      t.cdf[i] = kFreqTotal;
      return t;
    }
    default: {  // one dominant symbol, every other frequency 1
      const int big = in.ConsumeIntegralInRange<int>(0, n - 1);
      Table t(n, n + 1);
      t.cdf[0] = 0;
      for (int i = 0; i < n; ++i)
        t.cdf[i + 1] = t.cdf[i] + (i == big ? kFreqTotal - static_cast<uint32_t>(n - 1) : 1u);
      return t;
    }
  }
}

std::vector<Table> valid_tables(FuzzedDataProvider& in) {
  std::vector<Table> tables;
  const int k = in.ConsumeIntegralInRange<int>(1, 4);
  for (int i = 0; i < k; ++i) {
    tables.push_back(valid_table(in));
    check_valid(tables.back().cdf.get(), tables.back().n, "harness table");
  }
  return tables;
}

void check_decode_garbage(FuzzedDataProvider& in) {
  const std::vector<Table> tables = valid_tables(in);
  const int count = in.ConsumeIntegralInRange<int>(0, kMaxMessage);
  const std::vector<uint8_t> stream = in.ConsumeRemainingBytes<uint8_t>();
  RangeDecoder dec(stream.empty() ? nullptr : stream.data(), stream.size());
  for (int i = 0; i < count; ++i) {
    const Table& t = tables[static_cast<size_t>(i) % tables.size()];
    const int s = dec.decode(t.cdf.get(), t.n);
    if (s < 0 || s >= t.n)
      fail("decode returned " + std::to_string(s) + " for n = " + std::to_string(t.n));
  }
}

void check_hostile(FuzzedDataProvider& in) {
  // Decoder: n may be < 1 (then the decoder reads cdf[0] and cdf[1]).
  const int n = in.ConsumeIntegralInRange<int>(-2, kMaxSymbols);
  const int symbols = std::max(n, 1);
  Table t(n, symbols + 1);
  for (int i = 0; i <= symbols; ++i) {
    switch (in.ConsumeIntegralInRange<int>(0, 3)) {
      case 0: t.cdf[i] = in.ConsumeIntegral<uint32_t>(); break;
      case 1: t.cdf[i] = in.ConsumeIntegral<uint32_t>() & (kFreqTotal - 1); break;
      case 2: t.cdf[i] = kFreqTotal; break;
      default: t.cdf[i] = i == 0 ? 0 : t.cdf[i - 1] + in.ConsumeIntegral<uint8_t>(); break;
    }
  }
  const int count = in.ConsumeIntegralInRange<int>(0, kMaxMessage);
  const std::vector<uint8_t> stream = in.ConsumeBytes<uint8_t>(in.ConsumeIntegral<uint16_t>());
  RangeDecoder dec(stream.empty() ? nullptr : stream.data(), stream.size());
  for (int i = 0; i < count; ++i) {
    const int s = dec.decode(t.cdf.get(), n);
    if (s < 0 || s >= symbols)
      fail("decode under a hostile table returned " + std::to_string(s) + " for n = " +
           std::to_string(n));
  }

  // Encoder: any (cum, freq); at most 3 bytes per symbol plus the flush.
  std::vector<uint8_t> out;
  RangeEncoder enc(&out);
  const int pairs = in.ConsumeIntegralInRange<int>(0, kMaxMessage);
  for (int i = 0; i < pairs; ++i) {
    const uint32_t cum = in.ConsumeIntegral<uint32_t>();
    const uint32_t freq = in.ConsumeIntegral<uint32_t>();
    enc.encode_range(cum, freq);
  }
  enc.finish();
  if (out.size() > 3 * static_cast<size_t>(pairs) + 6)
    fail("hostile encode wrote " + std::to_string(out.size()) + " bytes for " +
         std::to_string(pairs) + " symbols");
}

void check_round_trip(FuzzedDataProvider& in) {
  const std::vector<Table> tables = valid_tables(in);
  const std::vector<uint8_t> prefix = in.ConsumeBytes<uint8_t>(in.ConsumeIntegralInRange(0, 8));
  const int count = in.ConsumeIntegralInRange<int>(0, kMaxMessage);
  std::vector<int> symbols(static_cast<size_t>(count));
  double ideal_bits = 0.0;  // code length under the integer tables
  for (int i = 0; i < count; ++i) {
    const Table& t = tables[static_cast<size_t>(i) % tables.size()];
    const uint32_t v = in.ConsumeIntegral<uint32_t>();
    int s;
    if (v & 1) {  // any symbol, however improbable
      s = static_cast<int>((v >> 1) % static_cast<uint32_t>(t.n));
    } else {  // sampled from the table
      const uint32_t u = (v >> 8) & (kFreqTotal - 1);
      const uint32_t* cdf = t.cdf.get();
      s = static_cast<int>(std::upper_bound(cdf, cdf + t.n + 1, u) - cdf) - 1;
    }
    symbols[static_cast<size_t>(i)] = s;
    ideal_bits -= std::log2(static_cast<double>(t.cdf[s + 1] - t.cdf[s]) / kFreqTotal);
  }

  std::vector<uint8_t> out = prefix;
  RangeEncoder enc(&out);
  for (int i = 0; i < count; ++i) {
    const Table& t = tables[static_cast<size_t>(i) % tables.size()];
    enc.encode(t.cdf.get(), symbols[static_cast<size_t>(i)]);
  }
  enc.finish();
  const size_t written = enc.bytes_written();
  if (out.size() != prefix.size() + written) fail("bytes_written() disagrees with the output");
  if (!std::equal(prefix.begin(), prefix.end(), out.begin()))
    fail("encoder changed existing bytes");
  if (count == 0 && written != 0) fail("empty message gave a non-empty stream");
  if (written > 0 && out.back() == 0) fail("stream ends with a zero byte");
  // Each symbol loses at most 1 bit to the floor of the split (the new range
  // is at least floor(r*f/2^24) >= r*f/2^25); the flush adds a few bytes.
  if (static_cast<double>(written) * 8.0 > ideal_bits + count + 64.0)
    fail("stream of " + std::to_string(written) + " bytes for " + std::to_string(ideal_bits) +
         " ideal bits and " + std::to_string(count) + " symbols");

  const std::vector<uint8_t> stream(out.begin() + static_cast<std::ptrdiff_t>(prefix.size()),
                                    out.end());
  RangeDecoder dec(stream.empty() ? nullptr : stream.data(), stream.size());
  for (int i = 0; i < count; ++i) {
    const Table& t = tables[static_cast<size_t>(i) % tables.size()];
    const int s = dec.decode(t.cdf.get(), t.n);
    if (s != symbols[static_cast<size_t>(i)])
      fail("round trip: symbol " + std::to_string(i) + " of " + std::to_string(count) +
           " decoded as " + std::to_string(s) + ", encoded " +
           std::to_string(symbols[static_cast<size_t>(i)]));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  switch (in.ConsumeIntegralInRange<int>(0, 3)) {
    case 0: check_quantize(in); break;
    case 1: check_decode_garbage(in); break;
    case 2: check_hostile(in); break;
    default: check_round_trip(in); break;
  }
  return 0;
}
