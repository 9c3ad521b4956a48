// api_test.cpp — the public API (nncomp::compress / decompress / inspect) end to end:
// byte-exact round trips of awkward sizes and contents, determinism, the stats and
// header a run reports, and every refusal the API promises (fingerprint, divergence,
// corrupt files, bad profiles, configs and devices). Uses the `tiny` profile and one
// thread except where threads are the subject, so that the whole binary runs in about
// a minute. Suite names start with "api_" so that `ctest -R api` selects them.
#include <gtest/gtest.h>
#include <xxhash.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstring>
#include <cstdio>
#include <fstream>
#include <functional>
#include <future>
#include <iterator>
#include <limits>
#include <memory>
#include <ostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "nncomp/nncomp.h"
#include "mix/config.h"
#include "src/container.h"
#include "src/mixing.h"
#include "tests/api_util.h"

namespace nncomp {
namespace {

using namespace test;  // NOLINT: helpers of api_util.h

// ---- round trips ---------------------------------------------------------------

TEST(api_RoundTrip, Empty) {
  Stats stats;
  const Bytes file = compress(Bytes{}, tiny(), one_thread(), &stats);
  EXPECT_EQ(stats.original_size, 0u);
  EXPECT_EQ(stats.payload_size, 0u);
  EXPECT_EQ(stats.coding_loss(), 0.0);
  const FileInfo info = inspect(file);
  EXPECT_EQ(info.original_size, 0u);
  EXPECT_EQ(info.n_checkpoints, 0u);
  EXPECT_EQ(info.payload_size, 0u);
  EXPECT_TRUE(decompress(file, one_thread()).empty());
}

TEST(api_RoundTrip, OneByte) {
  round_trip({'x'});
  round_trip({0x00});
  round_trip({0xff});
}

// Sizes around and between multiples of n_streams·seg_len (= 64 for tiny).
class api_RoundTripSize : public ::testing::TestWithParam<size_t> {};
TEST_P(api_RoundTripSize, TextLike) { round_trip(text(GetParam(), GetParam())); }
INSTANTIATE_TEST_SUITE_P(Sizes, api_RoundTripSize,
                         ::testing::Values(2, 3, 5, 63, 64, 65, 127, 1000, 4097));

TEST(api_RoundTrip, Random64KiBDoesNotExpand) {
  const Bytes input = random_bytes(65536);
  const Bytes file = round_trip(input);
  const FileInfo info = inspect(file);
  std::printf("random 64 KiB -> %zu bytes (header %llu)\n", file.size(),
              static_cast<unsigned long long>(info.header_size));
  EXPECT_LE(file.size(), input.size() + input.size() / 100 + info.header_size);
}

TEST(api_RoundTrip, Zeros64KiBCompressWell) {
  const Bytes input(65536, 0);
  const Bytes file = round_trip(input);
  std::printf("zeros 64 KiB -> %zu bytes\n", file.size());
  EXPECT_LT(file.size(), 2000u);
}

// Configurations at the edges of what validate() accepts.
TEST(api_RoundTrip, EdgeConfigs) {
  const Bytes input = text(300, 3);
  auto with = [](const std::function<void(Config&)>& f) {
    Config c = tiny();
    f(c);
    return c;
  };
  round_trip(input, with([](Config& c) { c.engine.n_streams = 1; }));
  round_trip(input, with([](Config& c) { c.engine.seg_len = 1; }));
  round_trip(input, with([](Config& c) { c.engine.ctx_len = 0; }));
  round_trip(input, with([](Config& c) { c.engine = {7, 5, 3}; }));
  round_trip(input, with([](Config& c) { c.engine.n_streams = 512; }));  // more streams than bytes
  round_trip(input, with([](Config& c) { c.model.n_head = 4; c.model.logit_cap = 0; }));
  round_trip(input, with([](Config& c) { c.optim.warmup_steps = 3; c.seed = 12345; }));
}

TEST(api_Determinism, CompressTwiceGivesIdenticalBytes) {
  const Bytes input = text(4000, 11);
  const Bytes a = compress(input, tiny(), one_thread());
  const Bytes b = compress(input, tiny(), one_thread());
  EXPECT_TRUE(a == b);
  // Another seed is another computation.
  Config other = tiny();
  other.seed = 2;
  EXPECT_FALSE(compress(input, other, one_thread()) == a);
}

TEST(api_Progress, ReportsUpToTheTotal) {
  const Bytes input = text(3000, 5);
  RunOptions o = one_thread();
  std::vector<Progress> seen;
  o.progress = [&](const Progress& p) { seen.push_back(p); };
  const Bytes file = compress(input, tiny(), o);
  ASSERT_FALSE(seen.empty());
  for (size_t i = 1; i < seen.size(); ++i) EXPECT_GE(seen[i].done, seen[i - 1].done);
  EXPECT_EQ(seen.back().done, input.size());
  EXPECT_EQ(seen.back().total, input.size());
  EXPECT_GT(seen.back().bits, 0.0);
  seen.clear();
  EXPECT_TRUE(decompress(file, o) == input);
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().done, input.size());
}

// ---- fingerprint ---------------------------------------------------------------

// Runs with two threads are kept tiny: on a busy two-core machine OpenMP's spinning
// workers can make them many times slower than one thread.
TEST(api_Fingerprint, DefaultsComeFromTheFile) {
  // Decompression defaults to the file's device and thread count: were it the
  // compression default (2 threads), this one-thread file would be refused.
  const Bytes input = text(500, 9);
  const Bytes file = compress(input, tiny(), one_thread());
  EXPECT_EQ(inspect(file).fingerprint.threads, 1u);
  EXPECT_TRUE(decompress(file, RunOptions{}) == input);
  // Compression defaults to two threads, and records them.
  const Bytes small = text(10, 9);
  const Bytes file2 = compress(small, tiny(), RunOptions{});
  EXPECT_EQ(inspect(file2).fingerprint.threads, 2u);
  EXPECT_EQ(inspect(file2).fingerprint.device_kind, "cpu");
  EXPECT_TRUE(decompress(file2, RunOptions{}) == small);
}

TEST(api_Fingerprint, OtherThreadCountIsRefusedUnlessForced) {
  const Bytes input = text(100, 13);
  const Bytes file = compress(input, tiny(), one_thread());
  RunOptions two;
  two.threads = 2;
  const std::string msg = expect_error([&] { decompress(file, two); }, ErrorKind::kFingerprint);
  EXPECT_TRUE(contains(msg, "threads")) << msg;
  EXPECT_TRUE(contains(msg, "1")) << msg;
  EXPECT_TRUE(contains(msg, "2")) << msg;

  two.force = true;  // may decode (same kernels) or diverge; never crash or lie
  try {
    EXPECT_TRUE(decompress(file, two) == input);
    std::printf("forced 2-thread decode of a 1-thread file: decoded correctly\n");
  } catch (const Error& e) {
    EXPECT_EQ(static_cast<int>(e.kind()), static_cast<int>(ErrorKind::kCorrupt)) << e.what();
    std::printf("forced 2-thread decode of a 1-thread file: %s\n", e.what());
  }
}

TEST(api_Fingerprint, OtherDeviceIsRefused) {
  const Bytes input = text(100, 17);
  const Bytes file = compress(input, tiny(), one_thread());
  RunOptions cuda = one_thread();
  cuda.device = "cuda";
  const std::string msg = expect_error([&] { decompress(file, cuda); }, ErrorKind::kFingerprint);
  EXPECT_TRUE(contains(msg, "device")) << msg;
  cuda.force = true;
  if (current_fingerprint("cuda", 1).sm_count == 0) {  // no GPU here
    const std::string msg2 = expect_error([&] { decompress(file, cuda); }, ErrorKind::kUnsupported);
    EXPECT_TRUE(contains(msg2, "no CUDA GPU")) << msg2;
  } else {  // forced onto a GPU: decodes by chance or diverges, never lies
    try {
      EXPECT_TRUE(decompress(file, cuda) == input);
    } catch (const Error& e) {
      EXPECT_EQ(static_cast<int>(e.kind()), static_cast<int>(ErrorKind::kCorrupt)) << e.what();
    }
  }
}

TEST(api_Fingerprint, FileFromAnotherGpuIsRefused) {
  // A file whose header says it was made on a GPU that is not this machine's:
  // decoding (on the file's device by default) is refused before anything
  // runs, naming the GPU and its SM count.
  const Bytes file = compress(text(100, 23), tiny(), one_thread());
  const Bytes gpu_file = reseal(file, [](Header& h, std::vector<Bytes>&) {
    h.fingerprint.device_kind = "cuda";
    h.fingerprint.device_name = "Example GPU (sm_90)";
    h.fingerprint.sm_count = 7;
    h.fingerprint.cuda_version = "13.0";
  });
  const FileInfo info = inspect(gpu_file);
  EXPECT_EQ(info.fingerprint.sm_count, 7u);
  const std::string msg = expect_error([&] { decompress(gpu_file, RunOptions{}); },
                                       ErrorKind::kFingerprint);
  EXPECT_TRUE(contains(msg, "GPU 'Example GPU (sm_90)'")) << msg;
  EXPECT_TRUE(contains(msg, "SMs '7'")) << msg;
  // Asked to decode it on the CPU: refused too (another device).
  RunOptions cpu = one_thread();
  cpu.device = "cpu";
  const std::string msg2 = expect_error([&] { decompress(gpu_file, cpu); }, ErrorKind::kFingerprint);
  EXPECT_TRUE(contains(msg2, "device 'cuda' here 'cpu'")) << msg2;
  // Forced, without a GPU: the message says the file is a GPU file (no
  // --device was given).
  if (current_fingerprint("cuda", 1).sm_count == 0) {
    RunOptions forced = one_thread();
    forced.force = true;
    const std::string msg3 =
        expect_error([&] { decompress(gpu_file, forced); }, ErrorKind::kUnsupported);
    EXPECT_TRUE(contains(msg3, "this file was made on a GPU (Example GPU (sm_90))")) << msg3;
  }
}

// ---- divergence checkpoints ------------------------------------------------------

TEST(api_Divergence, FlippedFirstCheckpointStopsDecoding) {
  const Bytes input = text(1000, 19);
  const Bytes file = compress(input, tiny(), one_thread());
  const Bytes bad = reseal(file, [](Header& h, std::vector<Bytes>&) {
    ASSERT_FALSE(h.checkpoints.empty());
    h.checkpoints[0] ^= 1u << 7;
  });
  ASSERT_NO_THROW(inspect(bad));  // every checksum is valid
  const std::string msg = expect_error([&] { decompress(bad, one_thread()); }, ErrorKind::kCorrupt);
  EXPECT_TRUE(contains(msg, "diverged at checkpoint 1")) << msg;
}

// The checkpoints are the document's definition, at the encoder's spacing
// (the reader accepts no other: container_test).
TEST(api_Divergence, CheckpointsFollowTheSpec) {
  const Bytes input = text(1000, 23);
  const Config config = tiny();
  const Bytes file = compress(input, config, one_thread());
  const Header original = parse_container(file).header;
  EXPECT_EQ(original.checkpoints,
            spec_checkpoints(input, config.engine, original.checkpoint_segments));
}

// A damaged payload with valid checksums (as if the encoder had computed something
// else) must be reported, never returned as data.
TEST(api_Divergence, ResealedPayloadDamageIsCorrupt) {
  const Bytes input = text(2000, 29);
  const Bytes file = compress(input, tiny(), one_thread());
  const std::vector<std::function<void(Header&, std::vector<Bytes>&)>> edits = {
      [](Header&, std::vector<Bytes>& s) { s[0][s[0].size() / 2] ^= 0x10; },
      [](Header&, std::vector<Bytes>& s) { s[1][0] ^= 0x01; },
      [](Header&, std::vector<Bytes>& s) { s[2].pop_back(); },
      [](Header&, std::vector<Bytes>& s) { s[3].clear(); },
      [](Header&, std::vector<Bytes>& s) { std::swap(s[0], s[1]); },
      [](Header& h, std::vector<Bytes>&) { h.original_xxh64 ^= 1; },
  };
  for (size_t i = 0; i < edits.size(); ++i) {
    SCOPED_TRACE("edit " + std::to_string(i));
    const Bytes bad = reseal(file, edits[i]);
    const std::string msg =
        expect_error([&] { decompress(bad, one_thread()); }, ErrorKind::kCorrupt);
    EXPECT_FALSE(msg.empty());
  }
}

// ---- hostile files through the public API ----------------------------------------

TEST(api_Hostile, FilesThatAreNotValidContainers) {
  const Bytes input = text(500, 31);
  const Bytes file = compress(input, tiny(), one_thread());
  auto both = [&](const Bytes& f, ErrorKind kind) {
    const std::string m1 = expect_error([&] { decompress(f, one_thread()); }, kind);
    const std::string m2 = expect_error([&] { inspect(f); }, kind);
    return m1;
  };
  EXPECT_TRUE(contains(both(Bytes{}, ErrorKind::kNotOurs), "not an nncomp"));
  EXPECT_TRUE(contains(both(input, ErrorKind::kNotOurs), "not an nncomp"));
  for (size_t len : {size_t{8}, size_t{13}, size_t{20}, file.size() / 2}) {
    SCOPED_TRACE("truncated to " + std::to_string(len));
    EXPECT_TRUE(contains(both(Bytes(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(len)),
                              ErrorKind::kTruncated),
                         "truncated"));
  }
  // All but the last byte: the header is whole, the payload short.
  EXPECT_TRUE(contains(both(Bytes(file.begin(), file.end() - 1), ErrorKind::kTruncated),
                       "truncated"));
  Bytes v3 = file;
  v3[8] = 3;
  EXPECT_TRUE(contains(both(v3, ErrorKind::kVersion), "version 3"));
  Bytes hdr = file;
  hdr[30] ^= 0x04;
  EXPECT_TRUE(contains(both(hdr, ErrorKind::kCorrupt), "checksum"));
  Bytes longer = file;
  longer.push_back(0);
  EXPECT_TRUE(contains(both(longer, ErrorKind::kCorrupt), "trailing"));
  Bytes payload = file;
  payload[payload.size() - 2] ^= 0x01;  // inspect does not read the payload checksum
  const std::string msg =
      expect_error([&] { decompress(payload, one_thread()); }, ErrorKind::kCorrupt);
  EXPECT_TRUE(contains(msg, "checksum")) << msg;
  EXPECT_NO_THROW(inspect(payload));
}

// ---- profiles, models, devices, configs ------------------------------------------

TEST(api_Profiles, NamesAndErrors) {
  const auto models = model_names();
  EXPECT_NE(std::find(models.begin(), models.end(), "gpt"), models.end());
  const auto names = profile_names("gpt");
  EXPECT_NE(std::find(names.begin(), names.end(), "tiny"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "cpu"), names.end());
  EXPECT_EQ(model_kind("gpt"), ModelKind::kGpt);
  EXPECT_EQ(model_name(ModelKind::kGpt), "gpt");
  const std::vector<std::string> all{"cpu", "default", "fast", "tiny"};
  EXPECT_EQ(names, all);
  EXPECT_EQ(profile_names("ngpt"), all);
  EXPECT_EQ(profile("ngpt", "cpu").model.kind, ModelKind::kNgpt);
  EXPECT_EQ(model_kind("ngpt"), ModelKind::kNgpt);

  const std::string m1 = expect_error([] { profile("gpt", "huge"); }, ErrorKind::kUsage);
  EXPECT_TRUE(contains(m1, "huge") && contains(m1, "tiny")) << m1;
  const std::string m2 = expect_error([] { profile("lstm", "tiny"); }, ErrorKind::kUsage);
  EXPECT_TRUE(contains(m2, "lstm")) << m2;
  expect_error([] { model_kind("lstm"); }, ErrorKind::kUsage);
  EXPECT_EQ(profile_names("rwkv"), all);
  // The GPU profiles: rwkv with heads of 64 and no context, ngpt with SwiGLU 3·d.
  for (const char* name : {"fast", "default"}) {
    const Config r = profile("rwkv", name);
    EXPECT_EQ(r.model.d_model / r.model.n_head, 64u) << name;
    EXPECT_EQ(r.engine.ctx_len, 0u) << name;
    EXPECT_EQ(profile("ngpt", name).model.ffn_mult, 3u) << name;
    EXPECT_EQ(profile("gpt", name).engine.n_streams, r.engine.n_streams) << name;
  }
  EXPECT_EQ(profile("rwkv", "cpu").model.kind, ModelKind::kRwkv);
  EXPECT_EQ(profile("rwkv", "cpu").engine.ctx_len, 0u);

  // rwkv carries its state: a context window, or a head size without a
  // kernel, is a usage error before anything runs.
  Config rwkv = profile("rwkv", "tiny");
  rwkv.engine.ctx_len = 16;
  const std::string m3 = expect_error([&] { compress(text(10), rwkv, one_thread()); }, ErrorKind::kUsage);
  EXPECT_TRUE(contains(m3, "ctx_len")) << m3;
  rwkv = profile("rwkv", "tiny");
  rwkv.model.n_head = 4;  // head_dim 8
  const std::string m4 = expect_error([&] { compress(text(10), rwkv, one_thread()); }, ErrorKind::kUsage);
  EXPECT_TRUE(contains(m4, "head_dim")) << m4;
}

// RWKV end to end over several segments (the state is carried across them):
// round trip, compress twice → identical bytes, its kind back from the header.
TEST(api_Rwkv, RoundTripDeterminismAndHeader) {
  const Bytes input = text(6000, 17);
  Config config = profile("rwkv", "tiny");
  config.seed = 3;
  const Bytes file = compress(input, config, one_thread());
  EXPECT_TRUE(decompress(file, one_thread()) == input);
  EXPECT_TRUE(compress(input, config, one_thread()) == file);

  const FileInfo info = inspect(file);
  EXPECT_EQ(info.model_name, "rwkv");
  EXPECT_EQ(info.config.model.kind, ModelKind::kRwkv);
  EXPECT_EQ(info.config.model.n_head, config.model.n_head);
  EXPECT_EQ(info.config.engine.ctx_len, 0u);
  EXPECT_LT(file.size(), input.size());
}

// nGPT end to end: round trip, compress twice → identical bytes, and its
// kind and every config field back from the header.
TEST(api_Ngpt, RoundTripDeterminismAndHeader) {
  const Bytes input = text(6000, 13);
  Config config = profile("ngpt", "tiny");
  config.seed = 5;
  const Bytes file = compress(input, config, one_thread());
  EXPECT_TRUE(decompress(file, one_thread()) == input);
  EXPECT_TRUE(compress(input, config, one_thread()) == file);

  const FileInfo info = inspect(file);
  EXPECT_EQ(info.model_name, "ngpt");
  const ModelConfig& m = info.config.model;
  EXPECT_EQ(m.kind, ModelKind::kNgpt);
  EXPECT_EQ(m.n_layer, config.model.n_layer);
  EXPECT_EQ(m.d_model, config.model.d_model);
  EXPECT_EQ(m.n_head, config.model.n_head);
  EXPECT_EQ(m.ffn_mult, config.model.ffn_mult);
  EXPECT_EQ(m.rope_base, config.model.rope_base);
  EXPECT_EQ(m.logit_cap, config.model.logit_cap);
  EXPECT_EQ(info.config.optim.muon_lr, config.optim.muon_lr);
  EXPECT_EQ(info.config.optim.adam_lr, config.optim.adam_lr);
  EXPECT_EQ(info.config.optim.lr_end_frac, config.optim.lr_end_frac);
  EXPECT_EQ(info.config.seed, 5u);

  // The same shapes as gpt, another computation.
  Config gpt = tiny();
  gpt.seed = 5;
  EXPECT_FALSE(compress(input, gpt, one_thread()) == file);
}

TEST(api_Device, CudaWithoutAGpuIsUnsupportedAndUnknownDevicesAreUsageErrors) {
  RunOptions o = one_thread();
  if (current_fingerprint("cuda", 1).sm_count == 0) {  // no GPU visible here
    o.device = "cuda";
    const std::string msg =
        expect_error([&] { compress(text(10), tiny(), o); }, ErrorKind::kUnsupported);
    EXPECT_TRUE(contains(msg, "device cuda: no CUDA GPU")) << msg;
  }
  o.device = "tpu";
  const std::string msg2 = expect_error([&] { compress(text(10), tiny(), o); }, ErrorKind::kUsage);
  EXPECT_TRUE(contains(msg2, "tpu")) << msg2;
}

TEST(api_Stats, PhasesAndCountsOfACpuRun) {
  // 1,000 bytes in 4 streams of 250: 16 segments of 16 steps (the last of
  // 10), 15 optimizer steps (none after the last segment).
  Stats s;
  compress(text(1000, 29), tiny(), one_thread(), &s);
  EXPECT_EQ(s.device, "cpu");
  EXPECT_EQ(s.steps, 250u);
  EXPECT_EQ(s.train_steps, 15u);
  EXPECT_GT(s.step_seconds, 0.0);
  EXPECT_GT(s.train_seconds, 0.0);
  EXPECT_GT(s.code_seconds, 0.0);  // the host codes every segment
  EXPECT_LE(s.step_seconds + s.train_seconds + s.code_seconds, s.seconds);
  EXPECT_EQ(s.peak_gpu_bytes, 0u);
  Stats d;
  decompress(compress(text(1000, 29), tiny(), one_thread()), RunOptions{}, &d);
  EXPECT_EQ(d.steps, 250u);
  EXPECT_EQ(d.train_steps, 15u);
  EXPECT_EQ(d.device, "cpu");
}

TEST(api_Config, InvalidShapesAreUsageErrors) {
  const std::vector<std::pair<std::string, std::function<void(Config&)>>> cases = {
      {"n_streams 0", [](Config& c) { c.engine.n_streams = 0; }},
      {"n_streams 65537", [](Config& c) { c.engine.n_streams = 65537; }},
      {"seg_len 0", [](Config& c) { c.engine.seg_len = 0; }},
      {"n_layer 0", [](Config& c) { c.model.n_layer = 0; }},
      {"n_head 0", [](Config& c) { c.model.n_head = 0; }},
      {"n_head 3 for d_model 32", [](Config& c) { c.model.n_head = 3; }},
      {"odd head_dim", [](Config& c) { c.model.n_head = 32; }},
      {"d_model 0", [](Config& c) { c.model.d_model = 0; }},
      {"ffn_mult 0", [](Config& c) { c.model.ffn_mult = 0; }},
      {"ns_steps 101", [](Config& c) { c.optim.ns_steps = 101; }},
  };
  for (const auto& [name, edit] : cases) {
    SCOPED_TRACE(name);
    Config c = tiny();
    edit(c);
    expect_error([&] { compress(text(100), c, one_thread()); }, ErrorKind::kUsage);
  }
}

// Values the container refuses to store must be refused up front as usage errors,
// not discovered by the writer (kInternal) after the whole input has been coded.
// Each case runs under a deadline: a non-positive or infinite rope_base can make
// the RoPE table's detmath::log loop forever, which must fail, not stall, the test.
struct BadNumber {
  const char* name;
  std::function<void(Config&)> edit;
};
void PrintTo(const BadNumber& b, std::ostream* os) { *os << b.name; }

class api_ConfigNumber : public ::testing::TestWithParam<BadNumber> {};
TEST_P(api_ConfigNumber, IsUsageError) {
  Config c = tiny();
  GetParam().edit(c);
  const std::string msg = expect_error(
      [&] { within(10.0, GetParam().name, [&] { compress(text(3), c, one_thread()); }); },
      ErrorKind::kUsage);
  EXPECT_FALSE(msg.empty());
}
INSTANTIATE_TEST_SUITE_P(
    Numbers, api_ConfigNumber,
    ::testing::Values(
        BadNumber{"rope_base_0", [](Config& c) { c.model.rope_base = 0; }},
        BadNumber{"rope_base_negative", [](Config& c) { c.model.rope_base = -10; }},
        BadNumber{"rope_base_nan", [](Config& c) { c.model.rope_base = std::nan(""); }},
        BadNumber{"rope_base_inf", [](Config& c) { c.model.rope_base = INFINITY; }},
        BadNumber{"logit_cap_negative", [](Config& c) { c.model.logit_cap = -1; }},
        BadNumber{"muon_lr_negative", [](Config& c) { c.optim.muon_lr = -0.1; }},
        BadNumber{"muon_momentum_1_5", [](Config& c) { c.optim.muon_momentum = 1.5; }},
        BadNumber{"adam_beta2_nan", [](Config& c) { c.optim.adam_beta2 = std::nan(""); }},
        BadNumber{"lr_end_frac_inf", [](Config& c) { c.optim.lr_end_frac = INFINITY; }}),
    [](const ::testing::TestParamInfo<BadNumber>& i) { return std::string(i.param.name); });

}  // namespace
}  // namespace nncomp

namespace nncomp {
namespace {

using namespace test;  // NOLINT: helpers of api_util.h

// ---- the context mixer (format 2) ---------------------------------------------------

// The public defaults are the mix library's tuned default.
TEST(api_Mixing, PublicDefaultsAreTheMixersDefault) {
  const mix::Config a = to_mix(MixerConfig{}), b = mix::default_config();
  EXPECT_EQ(std::memcmp(&a, &b, sizeof a), 0);
  EXPECT_EQ(MixerConfig{}.mode, MixerMode::kContextMixing);
}

// Every kind with and without the mixer, and the mixer alone: a byte-exact
// round trip, compressed twice to identical bytes, the version and the parts'
// costs in the stats and the header.
class api_MixingKinds : public ::testing::TestWithParam<std::string> {};
INSTANTIATE_TEST_SUITE_P(Kinds, api_MixingKinds, ::testing::ValuesIn(model_names()));

TEST_P(api_MixingKinds, RoundTripsTwiceIdenticalWithAndWithoutTheMixer) {
  const Bytes input = text(5000, 71);
  for (const MixerMode mode : {MixerMode::kContextMixing, MixerMode::kNone}) {
    Config config = profile(GetParam(), "tiny");
    if (config.model.kind == ModelKind::kNone && mode == MixerMode::kNone) continue;
    config.mixer.mode = mode;
    SCOPED_TRACE(GetParam() + (mode == MixerMode::kNone ? " without the mixer" : " with the mixer"));
    Stats cs, ds;
    const Bytes file = compress(input, config, one_thread(), &cs);
    EXPECT_TRUE(decompress(file, one_thread(), &ds) == input);
    EXPECT_TRUE(compress(input, config, one_thread()) == file);
    const FileInfo info = inspect(file);
    EXPECT_EQ(info.format_version, mode == MixerMode::kNone ? 1 : 2);
    EXPECT_EQ(info.config.mixer.mode, mode);
    EXPECT_EQ(cs.mixer, mode);
    EXPECT_EQ(std::bit_cast<uint64_t>(ds.ideal_bits), std::bit_cast<uint64_t>(cs.ideal_bits));
    EXPECT_GT(cs.ideal_bits, 0.0);
    EXPECT_LE(cs.coding_loss(), 0.005);  // header-free payload vs ideal, small input
    if (config.model.kind == ModelKind::kNone) {
      EXPECT_EQ(cs.neural_ideal_bits, 0.0);
      EXPECT_EQ(info.config.mixer.neural, 0);
    } else {
      EXPECT_GT(cs.neural_ideal_bits, 0.0);
      EXPECT_EQ(std::bit_cast<uint64_t>(ds.neural_ideal_bits),
                std::bit_cast<uint64_t>(cs.neural_ideal_bits));
      if (mode == MixerMode::kContextMixing) {
        EXPECT_EQ(std::bit_cast<uint64_t>(info.neural_bits),
                  std::bit_cast<uint64_t>(cs.neural_ideal_bits));
      } else {
        EXPECT_EQ(cs.neural_ideal_bits, cs.ideal_bits);  // the model is what is coded
      }
    }
  }
}

// The mixer alone is integer arithmetic: its files decode whatever the
// fingerprint says (another thread count, CPU capability or LibTorch), and
// --verify checks it like any other.
TEST(api_Mixing, ContextMixingAloneIgnoresTheFingerprint) {
  const Bytes input = text(3000, 73);
  RunOptions verify = one_thread();
  verify.verify = true;
  const Bytes file = compress(input, profile("none", "cpu"), verify);
  const Bytes other = reseal(file, [](Header& h, std::vector<Bytes>&) {
    h.fingerprint.threads = 64;
    h.fingerprint.cpu_capability = "AVX512";
    h.fingerprint.torch_version = "9.9.9";
  });
  EXPECT_TRUE(decompress(other, RunOptions{}) == input);
  RunOptions cuda = one_thread();
  cuda.device = "cuda";
  const std::string msg =
      expect_error([&] { compress(input, profile("none", "cpu"), cuda); }, ErrorKind::kUsage);
  EXPECT_TRUE(contains(msg, "runs on the CPU")) << msg;
}

// The mixer's tables are sized for the input, and what was used is in the
// header; a hostile mixer block is refused (container_test has every field).
TEST(api_Mixing, TablesSizedForTheInputAndRecorded) {
  const Bytes small = text(2000, 79);
  const Bytes file = compress(small, tiny(), one_thread());
  const MixerConfig used = inspect(file).config.mixer;
  EXPECT_LT(used.log2_slot_bytes, MixerConfig{}.log2_slot_bytes);
  EXPECT_LE(used.log2_match, MixerConfig{}.log2_match);
  Config none = tiny();
  none.model.kind = ModelKind::kNone;  // without the profile's neural 0: refused
  none.engine.ctx_len = 0;
  const std::string msg = expect_error([&] { compress(small, none, one_thread()); }, ErrorKind::kUsage);
  EXPECT_TRUE(contains(msg, "neural 1")) << msg;
}

}  // namespace
}  // namespace nncomp
