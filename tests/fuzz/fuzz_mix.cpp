// fuzz_mix.cpp — libFuzzer target for mix/: the context-mixing predictor
// driving the range coder's binary path.
//
// The first value taken from the input picks one of three checks; the rest
// is split with FuzzedDataProvider:
//  0 hostile decoding: a small configuration (neural input on or off, some
//    model sets), 1..8 streams over 0..1500 bytes, each stream's decoder on
//    hostile bytes, and per byte a neural table that is missing, valid
//    (from fuzz weights), raw 32-bit garbage, flat, or one dominant symbol.
//    The full decoding loop must terminate, every p_bit must be in
//    [1, 65535], and the decoded bytes are written back into the history
//    as an engine would.
//  1 hostile configuration: every Config field from the input. config_problem
//    must agree with the constructor (it throws std::invalid_argument exactly
//    when a problem is named); an accepted configuration whose memory_bytes
//    fits the fuzzing budget is built and run for a few steps, and what it
//    allocated must stay within memory_bytes.
//  2 round trip: fuzz bytes coded by one predictor and decoded by a fresh
//    one, with or without valid neural tables, must come back unchanged.
// A violated property traps (libFuzzer keeps the input).
#include <fuzzer/FuzzedDataProvider.h>
#include <sanitizer/allocator_interface.h>

#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "coder/quantize.h"  // kFreqTotal
#include "coder/range_coder.h"
#include "mix/big_buffer.h"
#include "mix/coding.h"
#include "mix/config.h"
#include "mix/predictor.h"

namespace {

using nncomp::coder::RangeDecoder;
using nncomp::coder::RangeEncoder;
using nncomp::mix::Config;
using nncomp::mix::Predictor;

constexpr uint64_t kMemoryBudget = uint64_t{96} << 20;  // per built predictor

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz_mix: FINDING: %s\n", what.c_str());
  std::fflush(stderr);
  __builtin_trap();
}

// A configuration with small tables (fast to build), models from the input.
Config small_config(FuzzedDataProvider& in) {
  Config c = nncomp::mix::default_config();
  c.neural = in.ConsumeBool() ? 1 : 0;
  c.log2_slot_bytes = in.ConsumeIntegralInRange<uint8_t>(12, 16);
  c.log2_match = in.ConsumeIntegralInRange<uint8_t>(10, 12);
  c.log2_private_bytes = 12;
  c.log2_private_total = 16;
  c.match_min = in.ConsumeIntegralInRange<uint8_t>(2, 12);
  switch (in.ConsumeIntegralInRange<int>(0, 3)) {
    case 0: break;  // the default models
    case 1: c.models = nncomp::mix::kModelOrder1 | nncomp::mix::kModelMatch; break;
    case 2: c.models = nncomp::mix::kContextModels | nncomp::mix::kModelMatch | nncomp::mix::kModelApm; break;
    default: c.models = 0; break;
  }
  if (c.models == (nncomp::mix::kContextModels | nncomp::mix::kModelMatch | nncomp::mix::kModelApm))
    c.private_models = nncomp::mix::kModelOrder2 | nncomp::mix::kModelWord;
  if (!nncomp::mix::config_problem(c).empty()) fail("harness config rejected: " + nncomp::mix::config_problem(c));
  return c;
}

// A valid table from 256 small weights: f_i = 1 + w_i * 64, the rest of
// 2^24 given to symbol 0 (sum exactly 2^24, every f_i >= 1).
void weights_table(const uint8_t* w, uint32_t* cdf) {
  uint32_t sum = 0;
  for (int i = 0; i < 256; ++i) sum += 1 + 64u * w[i];
  cdf[0] = 0;
  for (int i = 0; i < 256; ++i) cdf[i + 1] = cdf[i] + 1 + 64u * w[i] + (i == 0 ? nncomp::coder::kFreqTotal - sum : 0u);
}

// One neural table (257 entries) of a shape chosen by the input; false for
// "no table".
bool next_table(FuzzedDataProvider& in, uint32_t* cdf) {
  switch (in.ConsumeIntegralInRange<int>(0, 4)) {
    case 0: return false;
    case 1: {  // valid
      uint8_t w[256] = {};
      const std::vector<uint8_t> b = in.ConsumeBytes<uint8_t>(256);
      for (size_t i = 0; i < b.size(); ++i) w[i] = b[i];
      weights_table(w, cdf);
      return true;
    }
    case 2:  // raw garbage (breaks every promise of the contract)
      for (int i = 0; i <= 256; ++i) cdf[i] = in.ConsumeIntegral<uint32_t>();
      return true;
    case 3:  // flat: not increasing
      for (int i = 0; i <= 256; ++i) cdf[i] = 0;
      return true;
    default: {  // one dominant symbol
      const int big = in.ConsumeIntegral<uint8_t>();
      cdf[0] = 0;
      for (int i = 0; i < 256; ++i) cdf[i + 1] = cdf[i] + (i == big ? nncomp::coder::kFreqTotal - 255 : 1u);
      return true;
    }
  }
}

void check_decode_hostile(FuzzedDataProvider& in) {
  const Config c = small_config(in);
  const uint32_t n_streams = in.ConsumeIntegralInRange<uint32_t>(1, 8);
  const uint64_t n = in.ConsumeIntegralInRange<uint32_t>(0, 1500);
  const uint64_t L = n ? (n + n_streams - 1) / n_streams : 0;
  std::vector<std::vector<uint8_t>> coded(n_streams);
  for (auto& s : coded) s = in.ConsumeBytes<uint8_t>(in.ConsumeIntegralInRange<size_t>(0, 64));
  std::vector<uint8_t> buf(n, 0);
  Predictor p(c, n_streams);
  p.set_history(buf.data(), L, n);
  std::vector<RangeDecoder> dec;
  for (auto& s : coded) dec.emplace_back(s.empty() ? nullptr : s.data(), s.size());
  uint32_t cdf[257];
  for (uint64_t t = 0; t < L; ++t) {
    p.begin_step(t);
    for (uint32_t s = 0; s < n_streams; ++s) {
      if (s * L + t >= n || t >= L) continue;
      const bool have = next_table(in, cdf);
      p.begin_byte(s, have ? cdf : nullptr);
      int byte = 0;
      for (int b = 0; b < 8; ++b) {
        const uint32_t pr = p.p_bit(s);
        if (pr < 1 || pr > 65535) fail("p_bit out of range: " + std::to_string(pr));
        const int bit = dec[s].decode_bit(pr);
        byte = 2 * byte + bit;
        p.update_bit(s, bit);
      }
      buf[s * L + t] = static_cast<uint8_t>(byte);
    }
    p.end_step();
  }
}

void check_config(FuzzedDataProvider& in) {
  Config c;
  c.rule_version = in.ConsumeIntegral<uint8_t>();
  c.neural = in.ConsumeIntegral<uint8_t>();
  c.log2_slot_bytes = in.ConsumeIntegral<uint8_t>();
  c.log2_match = in.ConsumeIntegral<uint8_t>();
  c.log2_private_bytes = in.ConsumeIntegral<uint8_t>();
  c.log2_private_total = in.ConsumeIntegral<uint8_t>();
  c.match_min = in.ConsumeIntegral<uint8_t>();
  c.mixer_lr = in.ConsumeIntegral<uint8_t>();
  c.final_lr = in.ConsumeIntegral<uint8_t>();
  c.sm_limit = in.ConsumeIntegral<uint8_t>();
  c.models = in.ConsumeIntegral<uint32_t>();
  c.private_models = in.ConsumeIntegral<uint32_t>();
  const uint32_t n_streams = in.ConsumeIntegralInRange<uint32_t>(0, 70000);
  const std::string problem = nncomp::mix::config_problem(c);
  if (problem.find('\n') != std::string::npos) fail("config_problem is not one line");
  const bool bad_streams = n_streams == 0 || n_streams > 65536;
  if (!problem.empty() || bad_streams) {
    try {
      Predictor p(c, n_streams);
      fail("Predictor accepted what config_problem refused: " + problem);
    } catch (const std::invalid_argument&) {
    }
    return;
  }
  const uint64_t bound = nncomp::mix::memory_bytes(c, n_streams);
  if (bound > kMemoryBudget) return;  // a decoder would refuse such a header
  const size_t heap0 = __sanitizer_get_current_allocated_bytes();
  const uint64_t big0 = nncomp::mix::BigBuffer::mapped_bytes();
  Predictor p(c, n_streams);
  const uint64_t used = (__sanitizer_get_current_allocated_bytes() - heap0) + (nncomp::mix::BigBuffer::mapped_bytes() - big0);
  if (used > bound) fail("allocated " + std::to_string(used) + " > memory_bytes " + std::to_string(bound));
  const uint64_t n = n_streams * uint64_t{4};
  std::vector<uint8_t> data = in.ConsumeBytes<uint8_t>(n);
  data.resize(n, 'a');
  p.set_history(data.data(), 4, n);
  for (uint64_t t = 0; t < 4; ++t) {
    p.begin_step(t);
    for (uint32_t s = 0; s < n_streams && s < 64; ++s) {
      p.begin_byte(s, nullptr);
      for (int b = 7; b >= 0; --b) p.update_bit(s, (data[s * 4 + t] >> b) & 1);
    }
    p.end_step();
  }
}

void check_round_trip(FuzzedDataProvider& in) {
  const Config c = small_config(in);
  const uint32_t n_streams = in.ConsumeIntegralInRange<uint32_t>(1, 5);
  const bool neural = in.ConsumeBool();
  const std::vector<uint8_t> data = in.ConsumeBytes<uint8_t>(2000);
  const uint64_t n = data.size();
  const uint64_t L = n ? (n + n_streams - 1) / n_streams : 0;
  // Valid tables derived from the data's previous byte (same on both sides).
  auto table = [](int prev, uint32_t* cdf) {
    uint8_t w[256];
    for (int i = 0; i < 256; ++i) w[i] = static_cast<uint8_t>((i * 37 + prev * 11) & 63);
    weights_table(w, cdf);
  };
  std::vector<std::vector<uint8_t>> coded(n_streams);
  {
    Predictor p(c, n_streams);
    p.set_history(data.data(), L, n);
    std::vector<RangeEncoder> enc;
    for (auto& s : coded) enc.emplace_back(&s);
    uint32_t cdf[257];
    for (uint64_t t = 0; t < L; ++t) {
      p.begin_step(t);
      for (uint32_t s = 0; s < n_streams; ++s) {
        if (s * L + t >= n) continue;
        table(t ? data[s * L + t - 1] : 0, cdf);
        nncomp::mix::encode_byte(p, s, neural ? cdf : nullptr, data[s * L + t], enc[s]);
      }
      p.end_step();
    }
    for (auto& e : enc) e.finish();
  }
  std::vector<uint8_t> buf(n, 0);
  Predictor p(c, n_streams);
  p.set_history(buf.data(), L, n);
  std::vector<RangeDecoder> dec;
  for (auto& s : coded) dec.emplace_back(s.empty() ? nullptr : s.data(), s.size());
  uint32_t cdf[257];
  for (uint64_t t = 0; t < L; ++t) {
    p.begin_step(t);
    for (uint32_t s = 0; s < n_streams; ++s) {
      if (s * L + t >= n) continue;
      table(t ? buf[s * L + t - 1] : 0, cdf);
      buf[s * L + t] = static_cast<uint8_t>(nncomp::mix::decode_byte(p, s, neural ? cdf : nullptr, dec[s]));
    }
    p.end_step();
  }
  if (buf != data) fail("round trip differs (" + std::to_string(n) + " bytes, " + std::to_string(n_streams) + " streams)");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  switch (in.ConsumeIntegralInRange<int>(0, 2)) {
    case 0: check_decode_hostile(in); break;
    case 1: check_config(in); break;
    default: check_round_trip(in); break;
  }
  return 0;
}
