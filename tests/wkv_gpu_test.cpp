// GPU tests of the wkv CUDA kernel pair (label gpu; each test skips when no
// GPU is visible): forward, final state and every gradient against the CPU
// reference loop in float64, and bit-identical results from two runs.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <vector>

#include "models/rwkv_shape.h"
#include "models/wkv.h"
#include "tests/wkv_inputs.h"

namespace nncomp::models {
namespace {

using testing::wkv_inputs;
using testing::WkvInputs;

#define SKIP_WITHOUT_GPU() \
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device"

struct Result {
  torch::Tensor y, s_end;
  std::vector<torch::Tensor> grads;  // r, d, k, v, a, b
};

// Runs on `device` in `dtype` (the reference in float64 on the CPU).
Result run(const WkvInputs& in, const torch::Tensor& w, bool cuda) {
  auto opts = cuda ? torch::TensorOptions().device(torch::kCUDA).dtype(torch::kFloat32)
                   : torch::TensorOptions().dtype(torch::kFloat64);
  std::vector<torch::Tensor> x;
  for (const auto* t : {&in.r, &in.d, &in.k, &in.v, &in.a, &in.b})
    x.push_back(t->to(opts).detach().requires_grad_(true));
  Result out;
  auto s0 = in.s0.to(opts);
  out.y = cuda ? wkv(x[0], x[1], x[2], x[3], x[4], x[5], s0, &out.s_end)
               : wkv_reference(x[0], x[1], x[2], x[3], x[4], x[5], s0, &out.s_end);
  (out.y * w.to(opts)).sum().backward();
  for (auto& t : x) out.grads.push_back(t.grad().cpu().to(torch::kFloat64));
  out.y = out.y.detach().cpu().to(torch::kFloat64);
  out.s_end = out.s_end.detach().cpu().to(torch::kFloat64);
  return out;
}

double max_rel(const torch::Tensor& got, const torch::Tensor& want) {
  return ((got - want).abs().max() / want.abs().max().clamp_min(1e-30)).item<double>();
}

TEST(WkvGpu, KernelMatchesReference) {
  SKIP_WITHOUT_GPU();
  for (const int64_t N : nncomp::models::kRwkvHeadDims) {
    for (int64_t T : {1, 16, 37}) {  // one step, one chunk, chunks plus a partial one
      WkvInputs in = wkv_inputs(3, T, 2, N, 200 + N + T);
      auto w = torch::randn({3, T, 2, N});
      const Result gpu = run(in, w, true), ref = run(in, w, false);
      // float32 against float64: relative error of the largest entries.
      EXPECT_LT(max_rel(gpu.y, ref.y), 2e-5) << "y N " << N << " T " << T;
      EXPECT_LT(max_rel(gpu.s_end, ref.s_end), 2e-5) << "s_end N " << N << " T " << T;
      for (int i = 0; i < 6; ++i)
        EXPECT_LT(max_rel(gpu.grads[i], ref.grads[i]), 1e-4) << "grad " << i << " N " << N
                                                              << " T " << T;
    }
  }
}

TEST(WkvGpu, TwoRunsGiveTheSameBits) {
  SKIP_WITHOUT_GPU();
  WkvInputs in = wkv_inputs(8, 64, 4, 64, 77);
  auto w = torch::randn({8, 64, 4, 64});
  const Result a = run(in, w, true), b = run(in, w, true);
  EXPECT_TRUE(torch::equal(a.y, b.y));
  EXPECT_TRUE(torch::equal(a.s_end, b.s_end));
  for (int i = 0; i < 6; ++i) EXPECT_TRUE(torch::equal(a.grads[i], b.grads[i])) << i;
}

TEST(WkvGpu, UnsupportedHeadSizeIsRefused) {
  SKIP_WITHOUT_GPU();
  WkvInputs in = wkv_inputs(1, 2, 1, 24, 3);
  auto c = [](const torch::Tensor& t) { return t.to(torch::kCUDA); };
  EXPECT_THROW(wkv(c(in.r), c(in.d), c(in.k), c(in.v), c(in.a), c(in.b), c(in.s0), nullptr),
               c10::Error);
}

}  // namespace
}  // namespace nncomp::models
