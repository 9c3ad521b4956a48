// Tests for models/optim: Newton–Schulz and Optimizer::step against plain
// double-precision references (explicit loops, no tensor tricks), the lr
// schedule, and bit-identical results for identical runs.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "models/optim.h"

namespace nncomp::models {
namespace {

// One intra-op thread: these tensors are tiny, and on a loaded machine
// OpenMP's spinning worker threads make the suite ~100× slower.
[[maybe_unused]] const bool kOneThread = [] {
  torch::set_num_threads(1);
  return true;
}();

// ---- plain reference: matrices as vectors of rows, double precision --------

using Mat = std::vector<std::vector<double>>;

Mat matmul(const Mat& a, const Mat& b) {
  Mat c(a.size(), std::vector<double>(b[0].size(), 0.0));
  for (size_t i = 0; i < a.size(); ++i)
    for (size_t j = 0; j < b[0].size(); ++j)
      for (size_t k = 0; k < b.size(); ++k) c[i][j] += a[i][k] * b[k][j];
  return c;
}

Mat transpose(const Mat& a) {
  Mat t(a[0].size(), std::vector<double>(a.size()));
  for (size_t i = 0; i < a.size(); ++i)
    for (size_t j = 0; j < a[0].size(); ++j) t[j][i] = a[i][j];
  return t;
}

// X = G/(‖G‖_F + 1e-7), then `steps` × [A = XXᵀ, B = bA + cA², X = aX + BX],
// on the wide orientation.
Mat ref_newton_schulz(Mat x, int steps) {
  const double a = 3.4445, b = -4.7750, c = 2.0315;
  const bool tall = x.size() > x[0].size();
  if (tall) x = transpose(x);
  double norm = 0.0;
  for (auto& row : x)
    for (double v : row) norm += v * v;
  norm = std::sqrt(norm) + 1e-7;
  for (auto& row : x)
    for (double& v : row) v /= norm;
  for (int s = 0; s < steps; ++s) {
    const Mat A = matmul(x, transpose(x));
    Mat B = matmul(A, A);
    for (size_t i = 0; i < B.size(); ++i)
      for (size_t j = 0; j < B.size(); ++j) B[i][j] = b * A[i][j] + c * B[i][j];
    const Mat BX = matmul(B, x);
    for (size_t i = 0; i < x.size(); ++i)
      for (size_t j = 0; j < x[0].size(); ++j) x[i][j] = a * x[i][j] + BX[i][j];
  }
  return tall ? transpose(x) : x;
}

Mat to_mat(const torch::Tensor& t) {  // 2-D tensor → Mat
  auto d = t.to(torch::kDouble).contiguous();
  Mat m(d.size(0), std::vector<double>(d.size(1)));
  for (int64_t i = 0; i < d.size(0); ++i)
    for (int64_t j = 0; j < d.size(1); ++j) m[i][j] = d[i][j].item<double>();
  return m;
}

torch::Tensor from_mat(const Mat& m) {
  auto t = torch::empty({static_cast<int64_t>(m.size()), static_cast<int64_t>(m[0].size())},
                        torch::kDouble);
  for (size_t i = 0; i < m.size(); ++i)
    for (size_t j = 0; j < m[0].size(); ++j) t[i][j] = m[i][j];
  return t;
}

// Orthogonalise each of `blocks` equal row blocks of u (rows, cols) separately.
torch::Tensor ref_blocks(const torch::Tensor& u, int64_t blocks, int steps) {
  std::vector<torch::Tensor> out;
  for (auto& blk : u.chunk(blocks, 0)) out.push_back(from_mat(ref_newton_schulz(to_mat(blk), steps)));
  return torch::cat(out, 0);
}

double max_abs(const torch::Tensor& t) { return t.abs().max().item<double>(); }

// ---- Newton–Schulz ----------------------------------------------------------

TEST(NewtonSchulz, MatchesPlainReference) {
  torch::manual_seed(1);
  const std::vector<std::vector<int64_t>> shapes = {
      {1, 8, 8}, {3, 8, 8}, {1, 8, 24}, {3, 8, 24}, {1, 24, 8}, {3, 24, 8}, {3, 16, 16}};
  for (const auto& s : shapes) {
    auto g = torch::randn(s);
    auto got = newton_schulz(g, 5);
    ASSERT_EQ(got.sizes(), g.sizes());
    ASSERT_EQ(got.dtype(), torch::kFloat32);
    for (int64_t i = 0; i < s[0]; ++i) {
      auto want = from_mat(ref_newton_schulz(to_mat(g[i]), 5));
      EXPECT_LE(max_abs(got[i].to(torch::kDouble) - want), 1e-4 * max_abs(want))
          << "shape " << s[0] << "x" << s[1] << "x" << s[2] << ", matrix " << i;
    }
  }
}

TEST(NewtonSchulz, SingularValuesNearOne) {
  torch::manual_seed(2);
  // Rectangular Gaussians are well conditioned; the square one is built with
  // singular values spread over [0.05, 1] so that it is surely full rank.
  auto q1 = std::get<0>(torch::linalg_qr(torch::randn({16, 16})));
  auto q2 = std::get<0>(torch::linalg_qr(torch::randn({16, 16})));
  auto square = torch::matmul(q1 * torch::linspace(0.05, 1.0, 16), q2).unsqueeze(0);
  for (const auto& g : {torch::randn({2, 8, 24}), torch::randn({2, 24, 8}), square}) {
    auto sv = torch::linalg_svdvals(newton_schulz(g, 5));
    EXPECT_GE(sv.min().item<double>(), 0.3) << sv;
    EXPECT_LE(sv.max().item<double>(), 1.6) << sv;
  }
}

TEST(NewtonSchulz, ZeroInputGivesZero) {  // zero-init matrices get zero gradients at first
  auto out = newton_schulz(torch::zeros({2, 4, 6}), 5);
  EXPECT_TRUE(torch::equal(out, torch::zeros({2, 4, 6})));
}

// ---- Optimizer::step ----------------------------------------------------------

struct Params {
  ParamGroups groups;
  std::vector<torch::Tensor> ref_muon, ref_adam;  // double copies for the reference
};

// Muon: a fused (3·4, 6) matrix with 3 blocks, a tall (8, 5) and a wide (4, 10);
// AdamW: a matrix and a vector. One extra of each never gets a gradient.
Params make_setup() {
  torch::manual_seed(3);
  Params s;
  auto param = [](std::vector<int64_t> shape) { return torch::randn(shape).requires_grad_(true); };
  s.groups.muon = {param({12, 6}), param({8, 5}), param({4, 10}), param({6, 6})};
  s.groups.muon_blocks = {3, 1, 1, 1};
  s.groups.adam = {param({5, 3}), param({7}), param({4})};
  for (auto& p : s.groups.muon) s.ref_muon.push_back(p.detach().to(torch::kDouble));
  for (auto& p : s.groups.adam) s.ref_adam.push_back(p.detach().to(torch::kDouble));
  return s;
}

// Runs `steps` steps of Optimizer and of the reference with the same random
// gradients, then compares. The last parameter of each group has no gradient.
void compare_with_reference(const OptimConfig& cfg, int steps, double scale) {
  Params s = make_setup();
  Optimizer opt(s.groups, cfg);
  const auto muon0 = s.groups.muon.back().detach().clone();
  const auto adam0 = s.groups.adam.back().detach().clone();
  const size_t nm = s.groups.muon.size() - 1, na = s.groups.adam.size() - 1;
  std::vector<torch::Tensor> buf(nm), m(na), v(na);
  for (size_t i = 0; i < nm; ++i) buf[i] = torch::zeros_like(s.ref_muon[i]);
  for (size_t i = 0; i < na; ++i) {
    m[i] = torch::zeros_like(s.ref_adam[i]);
    v[i] = torch::zeros_like(s.ref_adam[i]);
  }

  const double mu = cfg.muon_momentum, lr = cfg.muon_lr * scale, alr = cfg.adam_lr * scale;
  const double b1 = cfg.adam_beta1, b2 = cfg.adam_beta2;
  // A random gradient for p, set as its grad; returned in double for the reference.
  auto draw_grad = [](torch::Tensor& p) {
    auto g = torch::randn_like(p);
    p.mutable_grad() = g.clone();
    return g.to(torch::kDouble);
  };
  for (int t = 1; t <= steps; ++t) {
    for (size_t i = 0; i < nm; ++i) {
      auto& p = s.groups.muon[i];
      auto gd = draw_grad(p);
      buf[i] = buf[i] + (1 - mu) * (gd - buf[i]);
      auto u = gd + mu * (buf[i] - gd);
      const int64_t blocks = s.groups.muon_blocks[i];
      const double rows = static_cast<double>(p.size(0) / blocks), cols = p.size(1);
      auto o = ref_blocks(u, blocks, static_cast<int>(cfg.ns_steps));
      if (cfg.weight_decay > 0) s.ref_muon[i] = s.ref_muon[i] * (1 - lr * cfg.weight_decay);
      s.ref_muon[i] = s.ref_muon[i] - lr * std::sqrt(std::max(1.0, rows / cols)) * o;
    }
    for (size_t i = 0; i < na; ++i) {
      auto gd = draw_grad(s.groups.adam[i]);
      m[i] = m[i] + (1 - b1) * (gd - m[i]);
      v[i] = b2 * v[i] + (1 - b2) * gd * gd;
      const double c1 = 1 - std::pow(b1, t), c2 = 1 - std::pow(b2, t);
      s.ref_adam[i] = s.ref_adam[i] - alr / c1 * m[i] / (v[i].sqrt() / std::sqrt(c2) + cfg.adam_eps);
    }
    opt.step(scale);
  }
  for (size_t i = 0; i < nm; ++i) {
    auto got = s.groups.muon[i].detach().to(torch::kDouble);
    EXPECT_LE(max_abs(got - s.ref_muon[i]), 2e-6) << "muon " << i << " after " << steps;
  }
  for (size_t i = 0; i < na; ++i) {
    auto got = s.groups.adam[i].detach().to(torch::kDouble);
    EXPECT_LE(max_abs(got - s.ref_adam[i]), 2e-6) << "adam " << i << " after " << steps;
  }
  EXPECT_TRUE(torch::equal(s.groups.muon.back().detach(), muon0)) << "no grad: left alone";
  EXPECT_TRUE(torch::equal(s.groups.adam.back().detach(), adam0)) << "no grad: left alone";
}

// Large lrs, so that a wrong factor in the update is far above float noise.
OptimConfig test_config() {
  OptimConfig cfg;
  cfg.muon_lr = 0.1;
  cfg.adam_lr = 0.05;
  return cfg;
}

TEST(Optimizer, OneStepMatchesReference) { compare_with_reference(test_config(), 1, 1.0); }

TEST(Optimizer, ThreeStepsMatchReference) { compare_with_reference(test_config(), 3, 1.0); }

TEST(Optimizer, ThreeStepsWithWeightDecayAndScale) {
  OptimConfig cfg = test_config();
  cfg.weight_decay = 0.5;
  cfg.muon_momentum = 0.8;
  cfg.adam_beta1 = 0.8;
  cfg.adam_beta2 = 0.95;
  compare_with_reference(cfg, 3, 0.5);
}

TEST(Optimizer, IdenticalRunsAreBitIdentical) {
  Params a = make_setup(), b = make_setup();
  OptimConfig cfg = test_config();
  cfg.weight_decay = 0.1;
  Optimizer oa(a.groups, cfg), ob(b.groups, cfg);
  torch::manual_seed(4);
  for (int t = 0; t < 6; ++t) {
    auto set_grads = [](std::vector<torch::Tensor>& pa, std::vector<torch::Tensor>& pb) {
      for (size_t i = 0; i < pa.size(); ++i) {
        auto g = torch::randn_like(pa[i]);
        pa[i].mutable_grad() = g.clone();
        pb[i].mutable_grad() = g.clone();
      }
    };
    set_grads(a.groups.muon, b.groups.muon);
    set_grads(a.groups.adam, b.groups.adam);
    oa.step(0.7);
    ob.step(0.7);
  }
  for (size_t i = 0; i < a.groups.muon.size(); ++i)
    EXPECT_TRUE(torch::equal(a.groups.muon[i], b.groups.muon[i])) << "muon " << i;
  for (size_t i = 0; i < a.groups.adam.size(); ++i)
    EXPECT_TRUE(torch::equal(a.groups.adam[i], b.groups.adam[i])) << "adam " << i;
}

TEST(Optimizer, ZeroGradKeepsGradientsDefined) {
  Params s = make_setup();
  Optimizer opt(s.groups, OptimConfig{});
  s.groups.muon[0].mutable_grad() = torch::ones_like(s.groups.muon[0]);
  opt.zero_grad();  // also fine with parameters that have no gradient yet
  ASSERT_TRUE(s.groups.muon[0].grad().defined());
  EXPECT_EQ(s.groups.muon[0].grad().abs().sum().item<double>(), 0.0);
}

// ---- lr schedule ----------------------------------------------------------------

TEST(LrScale, WarmupThenLinearDecay) {
  OptimConfig cfg;
  cfg.warmup_steps = 10;
  cfg.lr_end_frac = 0.25;
  const uint64_t total = 100;
  // Warm-up: (step+1)/warmup, times the (barely started) decay.
  EXPECT_DOUBLE_EQ(lr_scale(cfg, 0, total), 0.1);
  EXPECT_DOUBLE_EQ(lr_scale(cfg, 4, total), 0.5 * (1 - 0.75 * 0.04));
  EXPECT_DOUBLE_EQ(lr_scale(cfg, 9, total), 1.0 * (1 - 0.75 * 0.09));
  for (uint64_t s = 1; s < 10; ++s) EXPECT_GT(lr_scale(cfg, s, total), lr_scale(cfg, s - 1, total));
  // Decay: linear from 1 at step 0 to lr_end_frac at total_steps.
  EXPECT_DOUBLE_EQ(lr_scale(cfg, 10, total), 1 - 0.75 * 0.1);
  EXPECT_DOUBLE_EQ(lr_scale(cfg, 50, total), 0.625);
  EXPECT_DOUBLE_EQ(lr_scale(cfg, 100, total), 0.25);
  // Past the end: stays at lr_end_frac.
  EXPECT_DOUBLE_EQ(lr_scale(cfg, 101, total), 0.25);
  EXPECT_DOUBLE_EQ(lr_scale(cfg, 1000000, total), 0.25);
}

TEST(LrScale, NoWarmupAndUnknownTotal) {
  OptimConfig cfg;
  cfg.warmup_steps = 0;
  cfg.lr_end_frac = 0.5;
  EXPECT_DOUBLE_EQ(lr_scale(cfg, 0, 10), 1.0);
  EXPECT_DOUBLE_EQ(lr_scale(cfg, 5, 10), 0.75);
  // total_steps 0: no decay at all.
  EXPECT_DOUBLE_EQ(lr_scale(cfg, 0, 0), 1.0);
  EXPECT_DOUBLE_EQ(lr_scale(cfg, 12345, 0), 1.0);
  cfg.warmup_steps = 4;
  EXPECT_DOUBLE_EQ(lr_scale(cfg, 1, 0), 0.5);
  EXPECT_DOUBLE_EQ(lr_scale(cfg, 4, 0), 1.0);
}

}  // namespace
}  // namespace nncomp::models
