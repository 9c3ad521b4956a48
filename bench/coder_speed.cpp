// coder_speed.cpp — nncomp-coder-speed: throughput of the range coder's
// inline hot paths on 256-symbol tables like the model's (peaked, quantised
// by the format's rule), for the benchmark notes; asserts nothing but the
// round trip.
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "coder/quantize.h"
#include "coder/range_coder.h"

namespace {

using Table = std::vector<uint32_t>;

// A peaked distribution (powers of uniforms), quantised by the format's rule.
Table peaked_table(std::mt19937_64& rng) {
  std::vector<float> p(256);
  double sum = 0;
  for (float& x : p) {
    x = static_cast<float>(std::pow(static_cast<double>(rng() >> 11) * 0x1p-53, 12.0));
    sum += x;
  }
  for (float& x : p) x = static_cast<float>(x / sum);
  Table cdf(257);
  nncomp::coder::quantize_cdf(p.data(), 256, cdf.data());
  return cdf;
}

int sample(std::mt19937_64& rng, const Table& cdf) {
  const auto u = static_cast<uint32_t>(rng() % nncomp::coder::kFreqTotal);
  int s = 0;
  while (cdf[s + 1] <= u) ++s;
  return s;
}

}  // namespace

int main() {
  std::mt19937_64 rng(5);
  std::vector<Table> tables;
  for (int i = 0; i < 16; ++i) tables.push_back(peaked_table(rng));
  constexpr int kSymbols = 2000000;
  std::vector<int> syms(kSymbols), which(kSymbols);
  for (int i = 0; i < kSymbols; ++i) {
    which[i] = static_cast<int>(rng() % tables.size());
    syms[i] = sample(rng, tables[which[i]]);
  }
  std::vector<uint8_t> out;
  const auto t0 = std::chrono::steady_clock::now();
  nncomp::coder::RangeEncoder enc(&out);
  for (int i = 0; i < kSymbols; ++i) enc.encode(tables[which[i]].data(), syms[i]);
  enc.finish();
  const auto t1 = std::chrono::steady_clock::now();
  nncomp::coder::RangeDecoder dec(out.data(), out.size());
  int bad = 0;
  for (int i = 0; i < kSymbols; ++i) bad += dec.decode(tables[which[i]].data(), 256) != syms[i];
  const auto t2 = std::chrono::steady_clock::now();
  const auto ns = [](auto a, auto b) {
    return std::chrono::duration<double, std::nano>(b - a).count();
  };
  fmt::print("range coder, n = 256: encode {:.1f} ns/symbol, decode {:.1f} ns/symbol, {:.2f} bits/symbol{}\n",
             ns(t0, t1) / kSymbols, ns(t1, t2) / kSymbols,
             static_cast<double>(out.size()) * 8.0 / kSymbols, bad ? " (ROUND TRIP FAILED)" : "");
  return bad ? 1 : 0;
}
