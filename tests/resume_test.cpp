// resume_test.cpp — resumable runs through the public API (docs/RESUME.md):
// a run continued from any state it saved gives exactly the bytes of the
// uninterrupted run, in both directions, for every model kind with and
// without the mixer and for the context mixer alone; and a state that does
// not belong to the run is refused, naming why, before any work.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "nncomp/nncomp.h"
#include "src/run_state.h"
#include "tests/api_util.h"

namespace nncomp {
namespace {

using namespace test;  // NOLINT: helpers of api_util.h

struct Case {
  const char* kind;
  MixerMode mixer;
};

std::string name(const Case& c) {
  return std::string(c.kind) + (c.mixer == MixerMode::kNone ? "/none" : "/cm");
}

Config config_of(const Case& c) {
  Config config = profile(c.kind, "tiny");
  config.mixer.mode = c.mixer;
  return config;
}

// A run that saves a state after every segment (save_every_seconds 0).
RunOptions saving(std::vector<Bytes>* states) {
  RunOptions o = one_thread();
  o.save_every_seconds = 0;
  o.save_state = [states](std::vector<uint8_t> s) { states->push_back(std::move(s)); };
  return o;
}

RunOptions resuming(const Bytes& state) {
  RunOptions o = one_thread();
  o.resume_state = state;
  return o;
}

// Three states of a run: early, middle, late.
std::vector<const Bytes*> three(const std::vector<Bytes>& states) {
  EXPECT_GE(states.size(), 3u);
  if (states.size() < 3) return {};
  return {&states[0], &states[states.size() / 2], &states.back()};
}

class Resume : public ::testing::TestWithParam<Case> {};

TEST_P(Resume, ContinuedRunsGiveTheUninterruptedBytesBothWays) {
  const Config config = config_of(GetParam());
  // At least a few segments (kind none codes 1024 steps of one stream at a time).
  const Bytes input = text(config.model.kind == ModelKind::kNone ? 8000 : 3000);
  const Bytes file = compress(input, config, one_thread());

  // Compression: a saving run gives the same file; so does every continuation.
  std::vector<Bytes> states;
  Stats saved_stats;
  EXPECT_TRUE(compress(input, config, saving(&states), &saved_stats) == file)
      << "saving states changed the compressed bytes";
  EXPECT_EQ(saved_stats.state_saves, states.size());
  for (const Bytes* state : three(states)) {
    Stats st;
    EXPECT_TRUE(compress(input, config, resuming(*state), &st) == file)
        << "a compression continued from a state differs from the uninterrupted one";
    EXPECT_GT(st.resumed_bytes, 0u);
    EXPECT_LT(st.resumed_bytes, input.size());
  }
  // A continued run saves states too, and they continue it again.
  std::vector<Bytes> again;
  RunOptions o = saving(&again);
  o.resume_state = states[states.size() / 2];
  EXPECT_TRUE(compress(input, config, o) == file);
  ASSERT_FALSE(again.empty());
  EXPECT_TRUE(compress(input, config, resuming(again.back())) == file);

  // Decompression likewise.
  std::vector<Bytes> dstates;
  EXPECT_TRUE(decompress(file, saving(&dstates)) == input);
  for (const Bytes* state : three(dstates))
    EXPECT_TRUE(decompress(file, resuming(*state)) == input)
        << "a decompression continued from a state differs";
}

INSTANTIATE_TEST_SUITE_P(EveryKind, Resume,
                         ::testing::Values(Case{"gpt", MixerMode::kContextMixing},
                                           Case{"gpt", MixerMode::kNone},
                                           Case{"rwkv", MixerMode::kContextMixing},
                                           Case{"rwkv", MixerMode::kNone},
                                           Case{"ngpt", MixerMode::kContextMixing},
                                           Case{"ngpt", MixerMode::kNone},
                                           Case{"none", MixerMode::kContextMixing}),
                         [](const auto& info) {
                           std::string n = name(info.param);
                           for (char& ch : n)
                             if (ch == '/') ch = '_';
                           return n;
                         });

// The states of one compression and one decompression of the gpt tiny run.
struct Saved {
  Config config = profile("gpt", "tiny");
  Bytes input = text(3000);
  Bytes file;
  std::vector<Bytes> c, d;
  Saved() {
    file = compress(input, config, saving(&c));
    decompress(file, saving(&d));
  }
};

const Saved& saved() {
  static const Saved s;
  return s;
}

TEST(ResumeRefuses, AStateOfAnotherInput) {
  const Saved& s = saved();
  Bytes other = s.input;
  other[10] ^= 1;  // consumed before every state
  const std::string msg =
      expect_error([&] { compress(other, s.config, resuming(s.c[0])); }, ErrorKind::kUsage);
  EXPECT_TRUE(contains(msg, "another input")) << msg;
  const Bytes longer = text(3001);
  EXPECT_TRUE(contains(
      expect_error([&] { compress(longer, s.config, resuming(s.c[0])); }, ErrorKind::kUsage),
      "another input"));
}

TEST(ResumeRefuses, AStateOfAnotherConfiguration) {
  const Saved& s = saved();
  Config other = s.config;
  other.optim.muon_lr *= 2;
  const std::string msg =
      expect_error([&] { compress(s.input, other, resuming(s.c[0])); }, ErrorKind::kUsage);
  EXPECT_TRUE(contains(msg, "another configuration")) << msg;
  EXPECT_TRUE(contains(msg, "optimizer")) << msg;
}

TEST(ResumeRefuses, AStateOfTheOtherDirectionOrAnotherFile) {
  const Saved& s = saved();
  EXPECT_TRUE(contains(
      expect_error([&] { compress(s.input, s.config, resuming(s.d[0])); }, ErrorKind::kUsage),
      "decompression"));
  EXPECT_TRUE(contains(expect_error([&] { decompress(s.file, resuming(s.c[0])); }, ErrorKind::kUsage),
                       "compression"));
  // The same configuration and size, another file.
  Bytes input2 = s.input;
  input2[2000] ^= 1;
  const Bytes file2 = compress(input2, s.config, one_thread());
  EXPECT_TRUE(contains(expect_error([&] { decompress(file2, resuming(s.d[0])); }, ErrorKind::kUsage),
                       "another file"));
}

TEST(ResumeRefuses, AStateOfAnotherFingerprintUnlessForced) {
  const Saved& s = saved();
  RunOptions o = resuming(s.c[0]);
  o.threads = 2;  // the thread count is part of the fingerprint
  const std::string msg = expect_error([&] { compress(s.input, s.config, o); }, ErrorKind::kFingerprint);
  EXPECT_TRUE(contains(msg, "threads")) << msg;
  o.force = true;
  EXPECT_NO_THROW(compress(s.input, s.config, o));
}

TEST(ResumeRefuses, AStateOfAnotherNncompVersion) {
  const Saved& s = saved();
  StateWriter w;
  w.str("0.0.1");  // the first field of every state: the version that wrote it
  const Bytes state = w.finish();
  const std::string msg =
      expect_error([&] { compress(s.input, s.config, resuming(state)); }, ErrorKind::kVersion);
  EXPECT_TRUE(contains(msg, "0.0.1")) << msg;
}

TEST(ResumeRefuses, DamagedTruncatedOrForeignStates) {
  const Saved& s = saved();
  const Bytes& state = s.c[s.c.size() / 2];
  for (size_t at : {size_t{3}, size_t{12}, state.size() / 2, state.size() - 30, state.size() - 1}) {
    Bytes flipped = state;
    flipped[at] ^= 0x10;
    const ErrorKind kind = at < 8 ? ErrorKind::kNotOurs : at < 10 ? ErrorKind::kVersion : ErrorKind::kCorrupt;
    expect_error([&] { compress(s.input, s.config, resuming(flipped)); }, kind);
  }
  for (size_t n : {size_t{0} + 5, size_t{20}, state.size() / 3, state.size() - 1}) {
    const Bytes cut(state.begin(), state.begin() + static_cast<std::ptrdiff_t>(n));
    expect_error([&] { compress(s.input, s.config, resuming(cut)); },
                 n < 8 ? ErrorKind::kNotOurs : ErrorKind::kCorrupt);
  }
  expect_error([&] { compress(s.input, s.config, resuming(s.file)); }, ErrorKind::kNotOurs);
}

}  // namespace
}  // namespace nncomp
