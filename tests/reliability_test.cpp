// reliability_test.cpp — the failures users of a neural compressor fear most, made
// loud and early: a decode that diverges (a parameter corrupted on the decoding side
// only, through the engine's test hook) must stop at the first checkpoint after the
// damage and name the position; `verify` must catch the same fault before anything
// is written and name the first differing byte; a file asking for more memory than
// the machine has is refused before allocating; and the golden files of
// tests/golden/ (made by earlier builds) still decode byte-exactly.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "nncomp/nncomp.h"
#include "src/config_rules.h"
#include "src/container.h"
#include "src/engine.h"
#include "src/runtime.h"
#include "tests/api_util.h"

namespace nncomp {
namespace {

using namespace test;  // NOLINT: helpers of api_util.h
namespace fs = std::filesystem;

// Installs a fault for the lifetime of the object: after the optimizer step of
// segment `segment`, on the decoding side only, every parameter is shifted by
// 0.25 (a corrupted parameter). Records the last segment the decoder trained on.
class DecoderFault {
 public:
  explicit DecoderFault(uint64_t segment) {
    previous_ = testing::set_after_train_hook(
        [this, segment](models::Model& model, uint64_t seg, bool decoding) {
          if (!decoding) return;
          last_decoded_segment_ = static_cast<int64_t>(seg);
          if (seg != segment) return;
          torch::NoGradGuard no_grad;
          for (auto& p : model.parameters()) p.add_(0.25);
        });
  }
  ~DecoderFault() { testing::set_after_train_hook(std::move(previous_)); }
  int64_t last_decoded_segment() const { return last_decoded_segment_; }

 private:
  testing::AfterTrainHook previous_;
  int64_t last_decoded_segment_ = -1;
};

// ---- early divergence stop ---------------------------------------------------------

// 3 × 64 KiB in 256 streams × seg_len 256: each segment codes 64 KiB, so the
// encoder's spacing is one segment per checkpoint (3 checkpoints). A fault
// after segment 0 first shows in segment 1, checkpoint 2 (stream positions
// 256..511).
TEST(reliability_Divergence, CorruptedParameterStopsAtTheNextCheckpoint) {
  const Bytes input = text(3 * 65536, 41);
  Config config = tiny();
  config.engine = {/*n_streams=*/256, /*seg_len=*/256, /*ctx_len=*/16};
  const Bytes file = compress(input, config, one_thread());
  ASSERT_EQ(inspect(file).checkpoint_segments, 1u);
  ASSERT_EQ(inspect(file).n_checkpoints, 3u);

  DecoderFault fault(0);
  const std::string msg = expect_error([&] { decompress(file, one_thread()); }, ErrorKind::kCorrupt);
  EXPECT_TRUE(contains(msg, "diverged at checkpoint 2 of 3")) << msg;
  EXPECT_TRUE(contains(msg, "bytes 256..511 of each of the 256 streams")) << msg;
  EXPECT_TRUE(contains(msg, "Probable cause")) << msg;
  // Stopped right there: the last segment the decoder trained on is the last one
  // of checkpoint 2 (training precedes the check), not the last segment.
  EXPECT_EQ(fault.last_decoded_segment(), 1);
}

// The same fault with the checkpoints the encoder chose (one for a small input):
// decoding still fails, at checkpoint 1, and never returns data.
TEST(reliability_Divergence, CorruptedParameterWithDefaultCheckpoints) {
  const Bytes input = text(1000, 43);
  const Bytes file = compress(input, tiny(), one_thread());
  DecoderFault fault(2);
  const std::string msg = expect_error([&] { decompress(file, one_thread()); }, ErrorKind::kCorrupt);
  EXPECT_TRUE(contains(msg, "diverged at checkpoint 1 of 1")) << msg;
}

// Regression: for inputs near the format's 2^48-byte limit the segment count per
// checkpoint once wrapped around to 0 in its u32 field.
TEST(reliability_Divergence, CheckpointSpacingValidUpToTheLargestInput) {
  for (const EngineConfig e : {EngineConfig{1, 1, 0}, EngineConfig{4, 16, 16},
                               EngineConfig{65536, 65536, 0}})
    for (uint64_t size : {uint64_t{1}, uint64_t{1} << 20, uint64_t{1} << 40, uint64_t{1} << 46,
                          uint64_t{1} << 47, uint64_t{1} << 48}) {
      SCOPED_TRACE(std::to_string(size) + " bytes, " + std::to_string(e.n_streams) + " streams");
      const uint32_t segs = choose_checkpoint_segments(size, e);
      ASSERT_GE(segs, 1u);
      // The checkpoints must fit the header (1 MiB, 4 bytes each).
      EXPECT_LE(checkpoint_count(size, e, segs), uint64_t{200000});
    }
}

// ---- nGPT's sphere through the engine -----------------------------------------------

// Every training step the engine takes, in both directions, leaves each of
// nGPT's sphere matrices with unit vectors along d_model.
TEST(reliability_Ngpt, WeightsOnTheSphereAfterEveryEngineStep) {
  int steps[2] = {0, 0};
  double worst = 0;
  auto previous = testing::set_after_train_hook([&](models::Model& model, uint64_t, bool decoding) {
    const models::ParamGroups g = model.param_groups();
    ASSERT_FALSE(g.unit_norm.empty());
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < g.unit_norm.size(); ++i) {
      auto norms = torch::linalg_vector_norm(g.unit_norm[i], 2, g.unit_norm_dims[i]);
      worst = std::max(worst, (norms - 1.0).abs().max().item<double>());
    }
    ++steps[decoding];
  });
  const Bytes input = text(2000, 61);
  const Bytes file = compress(input, profile("ngpt", "tiny"), one_thread());
  const Bytes back = decompress(file, one_thread());
  testing::set_after_train_hook(std::move(previous));
  EXPECT_TRUE(back == input);
  // 2000 bytes in 4 streams of 500 = 32 segments of 16, a step after all but the last.
  EXPECT_EQ(steps[0], 31);
  EXPECT_EQ(steps[1], 31);
  EXPECT_LT(worst, 1e-5);
}

// ---- verify after compress -------------------------------------------------------

TEST(reliability_Verify, SameBytesAndTimeReported) {
  const Bytes input = text(3000, 47);
  Stats plain, verified;
  const Bytes a = compress(input, tiny(), one_thread(), &plain);
  RunOptions o = one_thread();
  o.verify = true;
  const Bytes b = compress(input, tiny(), o, &verified);
  EXPECT_TRUE(a == b) << "verification changed the compressed bytes";
  EXPECT_EQ(plain.verify_seconds, 0.0);
  EXPECT_GT(verified.verify_seconds, 0.0);
  EXPECT_EQ(verified.compressed_size, b.size());
}

TEST(reliability_Verify, DecoderFaultIsNamedAtTheFirstDifferingByte) {
  const Bytes input = text(1000, 53);
  RunOptions o = one_thread();
  o.verify = true;
  DecoderFault fault(3);  // first visible in segment 4: stream positions 64..79
  const std::string msg = expect_error([&] { compress(input, tiny(), o); }, ErrorKind::kVerify);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(msg, m, std::regex(
      R"(gives byte 0x([0-9a-f]{2}) at offset (\d+) \(stream (\d+), position (\d+)\) where the input has 0x([0-9a-f]{2}))")))
      << msg;
  const uint64_t offset = std::stoull(m[2]), stream = std::stoull(m[3]), pos = std::stoull(m[4]);
  EXPECT_EQ(offset, stream * 250 + pos) << msg;  // L = 250
  EXPECT_GE(pos, 64u) << "a difference before the fault took effect: " << msg;
  ASSERT_LT(offset, input.size());
  EXPECT_EQ(std::stoul(m[5], nullptr, 16), input[offset]) << msg;
  EXPECT_NE(std::stoul(m[1], nullptr, 16), input[offset]) << msg;
  EXPECT_EQ(fault.last_decoded_segment(), 3);  // stopped inside segment 4
}

// ---- memory ----------------------------------------------------------------------

// A header that passes every field check but declares an original of 128 TiB:
// refused with the memory it would need, before the output buffer is allocated.
TEST(reliability_Memory, HugeOriginalSizeIsRefusedBeforeAllocating) {
  const Bytes input = text(200, 59);
  const Bytes file = compress(input, tiny_v1(), one_thread());  // the mixer stops at 4 GiB
  const Bytes bad = reseal(file, [](Header& h, std::vector<Bytes>&) {
    h.original_size = uint64_t{1} << 47;
    h.checkpoint_segments = choose_checkpoint_segments(h.original_size, h.config.engine);
    h.checkpoints.assign(checkpoint_count(h.original_size, h.config.engine, h.checkpoint_segments),
                         0);
  });
  ASSERT_NO_THROW(inspect(bad));
  const std::string msg = expect_error([&] { decompress(bad, one_thread()); }, ErrorKind::kUnsupported);
  EXPECT_TRUE(contains(msg, "needs about") && contains(msg, "GiB of memory")) << msg;
}

// A model the format accepts (under its 256 GiB bound) but this machine cannot hold.
TEST(reliability_Memory, ModelLargerThanTheMachineIsRefused) {
  Config c = tiny();
  c.model.n_layer = 16;
  c.model.d_model = 8192;
  c.model.n_head = 64;
  c.model.ffn_mult = 4;  // about 192 GiB of weights and optimizer state
  ASSERT_EQ(config_problem(c), "");
  const double need = memory_estimate(c, 100);
  if (static_cast<double>(physical_memory_bytes()) >= need)
    GTEST_SKIP() << "this machine has the " << need / (1ull << 30) << " GiB the model needs";
  const std::string msg =
      expect_error([&] { compress(text(100), c, one_thread()); }, ErrorKind::kUnsupported);
  EXPECT_TRUE(contains(msg, "compressing this input needs about")) << msg;
}

// ---- golden files ----------------------------------------------------------------
// tests/golden/v<N>/<name>.nnc with its original <name>.orig (docs/FORMAT.md,
// "Compatibility"): every one must decode byte-exactly (forced: they were made
// by an earlier build, whose version is in the fingerprint); files under
// tests/golden/retired/ must be refused as an unsupported version.

std::vector<fs::path> golden_files() {
  std::vector<fs::path> out;
  const fs::path root = fs::path(source_dir()) / "tests" / "golden";
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.path().extension() == ".nnc") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(reliability_Golden, EveryGoldenFileDecodesByteExactly) {
  const std::vector<fs::path> files = golden_files();
  std::set<std::string> kinds;
  int current = 0;    // files of the current versions
  int exact = 0;      // files that must decode byte-exactly here
  std::string foreign;  // neural files from another CPU: what became of them
  for (const fs::path& p : files) {
    SCOPED_TRACE(p.string());
    const Bytes file = read_file(p.string());
    const Bytes orig = read_file(fs::path(p).replace_extension(".orig").string());
    if (p.parent_path().filename() == "retired") {
      const std::string msg = expect_error([&] { inspect(file); }, ErrorKind::kVersion);
      EXPECT_TRUE(contains(msg, "format version")) << msg;
      continue;
    }
    const FileInfo info = inspect(file);
    ASSERT_EQ(p.parent_path().filename().string(), "v" + std::to_string(info.format_version))
        << "a golden file sits in the folder of another version";
    ++current;
    EXPECT_EQ(info.original_size, orig.size());
    kinds.insert(info.model_name);
    RunOptions o;  // threads and device: the file's
    o.force = true;
    // A neural model's float results are those of the CPU model (the BLAS
    // kernels it picks), which the fingerprint names but does not compare. On
    // the machine kind the golden files were made on every file must decode;
    // elsewhere a neural file must decode or stop with the divergence error,
    // never give other bytes. Context mixing alone is integer arithmetic and
    // must decode everywhere.
    const Fingerprint here = current_fingerprint(info.fingerprint.device_kind, info.fingerprint.threads);
    const bool portable = info.model_name == "none";
    if (portable || (here.device_name == info.fingerprint.device_name &&
                     here.cpu_capability == info.fingerprint.cpu_capability)) {
      ++exact;
      const Bytes back = decompress(file, o);
      EXPECT_TRUE(back == orig) << "golden file no longer decodes to its original: the replayed "
                                   "computation changed (docs/FORMAT.md, Compatibility)";
      continue;
    }
    try {
      const Bytes back = decompress(file, o);
      EXPECT_TRUE(back == orig) << "decoded to other bytes without an error";
      foreign += " decoded";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kCorrupt) << e.what();
      EXPECT_TRUE(contains(e.what(), "diverged")) << e.what();
      // the probable cause: the other CPU model, or the other instruction set
      EXPECT_TRUE(here.device_name != info.fingerprint.device_name
                      ? contains(e.what(), "'" + info.fingerprint.device_name + "' CPU")
                      : contains(e.what(), "cpu capability"))
          << e.what();
      foreign += " diverged";
    }
    foreign += " (" + (p.parent_path().filename() / p.filename()).string() + ")";
  }
  EXPECT_GE(current, 2) << "golden files are missing";
  EXPECT_GE(exact, 1) << "no golden file was required to decode byte-exactly";
  if (!foreign.empty())
    std::cout << "neural golden files made on another CPU model or instruction set, decoded by force:"
              << foreign << "\n";
  EXPECT_TRUE(fs::exists(fs::path(source_dir()) / "tests" / "golden" /
                         ("v" + std::to_string(kFormatVersion))))
      << "no golden files for the current format version " << kFormatVersion;
  // One golden file per model kind this build can run.
  for (const std::string& name : model_names()) {
    bool available = true;
    try {
      profile(name, "tiny");
    } catch (const Error&) {
      available = false;
    }
    if (available) EXPECT_TRUE(kinds.count(name)) << "no golden file for model kind " << name;
  }
}

}  // namespace
}  // namespace nncomp
