// api_util.h — helpers shared by the tests of the public API: configs, inputs,
// error expectations, deadlines and resealed containers.
#pragma once

#include <gtest/gtest.h>
#include <xxhash.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <future>
#include <iterator>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "nncomp/nncomp.h"
#include "src/container.h"
#include "tests/source_dir.h"

namespace nncomp::test {

using Bytes = std::vector<uint8_t>;

inline Config tiny() { return profile("gpt", "tiny"); }
/// The tiny profile without the context mixer: format version 1.
inline Config tiny_v1() {
  Config c = tiny();
  c.mixer.mode = MixerMode::kNone;
  return c;
}

inline RunOptions one_thread() {
  RunOptions o;
  o.threads = 1;
  return o;
}

// Deterministic text-like bytes: words, spaces, punctuation and newlines.
inline Bytes text(size_t n, uint64_t seed = 7) {
  static const char* const kWords[] = {"the",   "of",      "and",   "compression", "model",
                                       "byte",  "stream",  "range", "coder",       "a",
                                       "to",    "is",      "in",    "[[link]]",    "1999",
                                       "with",  "entropy", "that",  "Wikipedia",   "neural"};
  std::mt19937_64 rng(seed);
  std::string s;
  while (s.size() < n) {
    s += kWords[rng() % std::size(kWords)];
    const uint64_t r = rng() % 16;
    s += r == 0 ? ".\n" : r == 1 ? ", " : " ";
  }
  return Bytes(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(n));
}

inline Bytes random_bytes(size_t n, uint64_t seed = 42) {
  std::mt19937_64 rng(seed);
  Bytes b(n);
  for (auto& x : b) x = static_cast<uint8_t>(rng() >> 56);
  return b;
}

// The whole file at `path` (a test failure if it cannot be opened).
inline Bytes read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << "cannot open " << path;
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline Bytes read_sample() { return read_file(source_dir() + "/data/enwik5"); }

// Runs `f`, which must throw nncomp::Error of `kind`; returns its message ("" if not).
inline std::string expect_error(const std::function<void()>& f, ErrorKind kind) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(static_cast<int>(e.kind()), static_cast<int>(kind)) << "message: " << e.what();
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "threw a non-nncomp exception: " << e.what();
    return {};
  }
  ADD_FAILURE() << "did not throw";
  return {};
}

inline bool contains(const std::string& s, const std::string& what) {
  return s.find(what) != std::string::npos;
}

// Runs `f` on its own thread and rethrows what it throws; if it has not returned
// after `seconds`, reports a hang and ends the process (a thread cannot be
// cancelled, and a hung test must fail rather than stall the suite).
inline void within(double seconds, const std::string& what, const std::function<void()>& f) {
  auto task = std::make_shared<std::packaged_task<void()>>(f);
  std::future<void> done = task->get_future();
  std::thread([task] { (*task)(); }).detach();
  if (done.wait_for(std::chrono::duration<double>(seconds)) == std::future_status::timeout) {
    std::fprintf(stderr, "FAILED: %s: did not return within %.0f s (hangs); aborting the test\n",
                 what.c_str(), seconds);
    std::fflush(stdout);
    std::fflush(stderr);
    std::_Exit(1);
  }
  done.get();
}

// Compress with tiny/1 thread, decompress, compare; returns the container.
inline Bytes round_trip(const Bytes& input, const Config& config = tiny()) {
  Stats cs, ds;
  Bytes file = compress(input, config, one_thread(), &cs);
  const Bytes back = decompress(file, one_thread(), &ds);
  EXPECT_EQ(back.size(), input.size());
  EXPECT_TRUE(back == input) << "round trip of " << input.size() << " bytes is not byte-exact";
  EXPECT_EQ(cs.original_size, input.size());
  EXPECT_EQ(cs.compressed_size, file.size());
  EXPECT_EQ(ds.original_size, input.size());
  EXPECT_EQ(ds.compressed_size, file.size());
  EXPECT_EQ(ds.payload_size, cs.payload_size);
  // The decoder replays the encoder's computation, so even the float sum agrees.
  EXPECT_EQ(std::bit_cast<uint64_t>(ds.ideal_bits), std::bit_cast<uint64_t>(cs.ideal_bits));
  return file;
}

// The divergence checkpoints of `input` as docs/FORMAT.md defines them: per group
// of `segs_per_cp` segments, low 32 bits of XXH64 of the group's bytes, stream-major,
// ended streams contributing nothing.
inline std::vector<uint32_t> spec_checkpoints(const Bytes& input, const EngineConfig& e,
                                       uint32_t segs_per_cp) {
  const uint64_t n = input.size(), L = (n + e.n_streams - 1) / e.n_streams;
  const uint64_t group = uint64_t{segs_per_cp} * e.seg_len;
  std::vector<uint32_t> out;
  for (uint64_t p0 = 0; p0 < L; p0 += group) {
    const uint64_t p1 = std::min(L, p0 + group);
    Bytes cat;
    for (uint64_t s = 0; s < e.n_streams; ++s) {
      const uint64_t begin = s * L, len = begin >= n ? 0 : std::min(L, n - begin);
      if (std::min(p1, len) > p0)
        cat.insert(cat.end(), input.begin() + static_cast<std::ptrdiff_t>(begin + p0),
                   input.begin() + static_cast<std::ptrdiff_t>(begin + std::min(p1, len)));
    }
    static const uint8_t kEmpty = 0;
    out.push_back(static_cast<uint32_t>(XXH64(cat.empty() ? &kEmpty : cat.data(), cat.size(), 0)));
  }
  return out;
}

// Re-serialise a parsed container after `edit` changed its header/streams; all
// checksums are valid again, so only the engine can notice the change.
inline Bytes reseal(const Bytes& file, const std::function<void(Header&, std::vector<Bytes>&)>& edit) {
  ParsedContainer p = parse_container(file);
  std::vector<Bytes> streams;
  for (const auto& s : p.streams) streams.emplace_back(s.begin(), s.end());
  edit(p.header, streams);
  return write_container(p.header, streams);
}

}  // namespace nncomp::test
