// GPU tests of the engine (label gpu; each test skips when no GPU is visible):
// the quantisation kernel against the host rule, the start-up self-check and
// fingerprint, and for every model kind a GPU round trip on real text that is
// byte-exact, compressed twice to identical bytes, and gives the same bytes
// with and without CUDA graphs.
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <c10/cuda/CUDAStream.h>

#include <random>
#include <string>
#include <vector>

#include "coder/quantize.h"
#include "coder/quantize_cuda.h"
#include "nncomp/nncomp.h"
#include "tests/api_util.h"

namespace nncomp::test {
namespace {

#define SKIP_WITHOUT_GPU() \
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device"

// Rows of distributions that probe every branch of the rule: softmax outputs
// of random logits (sharp and flat), one-hot rows, all-zero rows, rows with
// NaN, ±inf, negative and subnormal entries, and rows with huge values.
torch::Tensor probe_rows() {
  std::mt19937_64 rng(5);
  std::normal_distribution<float> normal;
  const int64_t n = 256;
  std::vector<std::vector<float>> rows;
  for (float temperature : {0.05f, 0.5f, 1.0f, 4.0f, 30.0f})
    for (int r = 0; r < 40; ++r) {
      std::vector<float> logits(n);
      for (auto& x : logits) x = normal(rng) * temperature;
      auto p = torch::softmax(torch::tensor(logits), 0);
      rows.emplace_back(p.data_ptr<float>(), p.data_ptr<float>() + n);
    }
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float sub = std::numeric_limits<float>::denorm_min();
  for (int hot : {0, 1, 97, 255}) {
    std::vector<float> row(n, 0.0f);
    row[hot] = 1.0f;
    rows.push_back(row);
  }
  rows.emplace_back(n, 0.0f);
  rows.emplace_back(n, 1.0f / n);
  rows.emplace_back(n, 3.0e38f);
  std::vector<float> odd(n);
  for (int64_t i = 0; i < n; ++i) {
    const float special[] = {nan, inf, -inf, -1.0f, -0.0f, sub, sub * 5, 1e-38f, 0.25f, 1e-30f};
    odd[i] = special[i % 10];
  }
  rows.push_back(odd);
  std::vector<float> subnormal(n, sub);
  subnormal[3] = sub * 1000;
  rows.push_back(subnormal);
  auto out = torch::empty({static_cast<int64_t>(rows.size()), n});
  for (size_t r = 0; r < rows.size(); ++r)
    std::copy(rows[r].begin(), rows[r].end(), out[static_cast<int64_t>(r)].data_ptr<float>());
  return out;
}

TEST(GpuQuantize, KernelGivesTheHostRulesIntegers) {
  SKIP_WITHOUT_GPU();
  auto probs = probe_rows();
  const int64_t rows = probs.size(0), n = probs.size(1);
  auto want = torch::empty({rows, n + 1}, torch::kInt32);
  for (int64_t r = 0; r < rows; ++r)
    coder::quantize_cdf(probs[r].data_ptr<float>(), static_cast<int>(n),
                        reinterpret_cast<uint32_t*>(want[r].data_ptr<int32_t>()));
  auto dev_probs = probs.cuda();
  auto got = torch::empty({rows, n + 1}, dev_probs.options().dtype(torch::kInt32));
  const char* error = coder::cuda::quantize_cdf_rows(
      dev_probs.data_ptr<float>(), rows, static_cast<int>(n),
      reinterpret_cast<uint32_t*>(got.data_ptr<int32_t>()),
      c10::cuda::getCurrentCUDAStream().stream());
  ASSERT_EQ(error, nullptr) << error;
  EXPECT_TRUE(torch::equal(got.cpu(), want)) << "GPU and host tables differ";
  EXPECT_NE(coder::cuda::quantize_cdf_rows(dev_probs.data_ptr<float>(), rows, 0, nullptr,
                                           c10::cuda::getCurrentCUDAStream().stream()),
            nullptr);
}

TEST(GpuRuntime, SelfCheckPassesAndTheFingerprintNamesTheGpu) {
  SKIP_WITHOUT_GPU();
  const Fingerprint f = current_fingerprint("cuda", 1);
  EXPECT_GT(f.sm_count, 0u);
  EXPECT_NE(f.device_name.find("(sm_"), std::string::npos) << f.device_name;
  EXPECT_FALSE(f.cuda_version.empty());
  // A tiny run initialises the runtime, which runs the self-check.
  RunOptions o = one_thread();
  o.device = "cuda";
  const Bytes input = text(300, 3);
  const Bytes file = compress(input, tiny(), o);
  const FileInfo info = inspect(file);
  EXPECT_EQ(info.fingerprint.device_kind, "cuda");
  EXPECT_EQ(info.fingerprint.sm_count, f.sm_count);
  EXPECT_EQ(decompress(file, RunOptions{}), input);
}

class GpuRoundTrip : public ::testing::TestWithParam<const char*> {};

TEST_P(GpuRoundTrip, ExactTwiceIdenticalAndTheSameWithoutGraphs) {
  SKIP_WITHOUT_GPU();
  const Bytes sample = read_sample();
  const Bytes input(sample.begin(), sample.begin() + 40000);
  Config config = profile(GetParam(), "tiny");
  config.engine.n_streams = 8;  // 40,000 / 8 / 16 = 312 full segments: graphs are replayed
  RunOptions o = one_thread();
  o.device = "cuda";
  Stats stats;
  const Bytes first = compress(input, config, o, &stats);
  EXPECT_EQ(stats.device, "cuda");
  EXPECT_GT(stats.peak_gpu_bytes, 0u);
  const Bytes second = compress(input, config, o);
  EXPECT_EQ(first, second) << "two GPU compressions differ";
  RunOptions eager = o;
  eager.cuda_graphs = false;
  EXPECT_EQ(compress(input, config, eager), first) << "CUDA graphs change the bytes";
  EXPECT_EQ(decompress(first, RunOptions{}), input);
  EXPECT_EQ(decompress(first, eager), input);
  RunOptions verify = o;
  verify.verify = true;
  EXPECT_EQ(compress(input, config, verify), first);
}

INSTANTIATE_TEST_SUITE_P(Kinds, GpuRoundTrip, ::testing::Values("gpt", "ngpt", "rwkv"));

}  // namespace
}  // namespace nncomp::test
