// Tests for models/: every kind of the kind table through the Model interface
// (step mode == train_forward == forward, causality, seeded determinism,
// invalid shapes, learning), the context window of every kind that takes
// one; per kind its shapes and parameter groups, gpt's uniform first
// prediction, nGPT's unit norms after every optimizer step; the kind table's
// parameter counts against the models; detmath against std::.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "models/detmath.h"
#include "models/kinds.h"
#include "models/model.h"
#include "models/optim.h"
#include "nncomp/error.h"
#include "tests/model_util.h"

namespace nncomp::models {
namespace {

// One intra-op thread: these tensors are tiny, and on a loaded machine
// OpenMP's spinning worker threads make the suite ~100× slower.
[[maybe_unused]] const bool kOneThread = [] {
  torch::set_num_threads(1);
  return true;
}();

constexpr int64_t kMaxLen = 24;

ModelConfig small_config(ModelKind kind = ModelKind::kGpt) {
  ModelConfig c;
  c.kind = kind;
  c.n_layer = 2;
  c.d_model = 32;
  c.n_head = 2;
  c.ffn_mult = 2;
  return c;
}

using testing::perturb;
using testing::random_bytes;

// One optimizer step on a fixed random batch; returns the loss before it.
double train_step(Model& model, Optimizer& opt, const torch::Tensor& inputs,
                  const torch::Tensor& targets) {
  opt.zero_grad();
  auto logits = model.forward(inputs);
  auto loss = torch::nn::functional::cross_entropy(logits.reshape({-1, kVocab}),
                                                   targets.reshape({-1}));
  loss.backward();
  opt.step(1.0);
  return loss.item<double>();
}

// Every parameter in exactly one optimizer group, nothing else in the groups,
// and every unit-norm matrix among them; returns the parameter count.
int64_t expect_partition(Model& model, const ParamGroups& g) {
  std::vector<torch::Tensor> grouped = g.muon;
  grouped.insert(grouped.end(), g.adam.begin(), g.adam.end());
  const auto params = model.parameters();
  EXPECT_EQ(grouped.size(), params.size());
  int64_t total = 0;
  for (const auto& p : params) {
    int hits = 0;
    for (const auto& q : grouped) hits += p.is_same(q);
    EXPECT_EQ(hits, 1) << "parameter of shape " << p.sizes();
    total += p.numel();
  }
  for (const auto& q : grouped) {
    int hits = 0;
    for (const auto& p : params) hits += p.is_same(q);
    EXPECT_EQ(hits, 1) << "grouped tensor of shape " << q.sizes();
  }
  EXPECT_EQ(g.unit_norm.size(), g.unit_norm_dims.size());
  for (const auto& u : g.unit_norm) {
    int hits = 0;
    for (const auto& q : grouped) hits += u.is_same(q);
    EXPECT_EQ(hits, 1) << "unit-norm tensor of shape " << u.sizes() << " is not optimised";
  }
  EXPECT_EQ(model.n_params(), total);
  return total;
}

TEST(Gpt, ShapesAndParamGroups) {
  auto model = make_model(small_config(), kMaxLen, 1);
  torch::manual_seed(0);
  auto logits = model->forward(random_bytes(3, 20));
  EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{3, 20, kVocab}));
  EXPECT_EQ(logits.dtype(), torch::kFloat32);

  ParamGroups g = model->param_groups();
  ASSERT_EQ(g.muon.size(), 8u);
  ASSERT_EQ(g.muon_blocks.size(), 8u);
  for (size_t i = 0; i < 8; ++i) {
    EXPECT_EQ(g.muon_blocks[i], i % 4 == 0 ? 3 : 1) << i;
    EXPECT_EQ(g.muon[i].dim(), 2) << i;
    EXPECT_EQ(g.muon[i].size(0) % g.muon_blocks[i], 0) << i;
  }
  ASSERT_EQ(g.adam.size(), 2u);
  EXPECT_EQ(g.adam[0].sizes(), (std::vector<int64_t>{kVocab, 32}));  // wte
  EXPECT_EQ(g.adam[1].sizes(), (std::vector<int64_t>{kVocab, 32}));  // lm_head
  EXPECT_TRUE(g.unit_norm.empty());

  const int64_t total = expect_partition(*model, g);
  // 256·32 twice, per layer 3·32·32 + 32·32 + 64·32 + 32·64.
  EXPECT_EQ(total, 2 * 256 * 32 + 2 * (3 * 1024 + 1024 + 2048 + 2048));
}

TEST(Gpt, FirstPredictionIsUniform) {
  auto model = make_model(small_config(), kMaxLen, 1);
  torch::manual_seed(0);
  auto inputs = random_bytes(2, 10);
  EXPECT_TRUE(torch::all(model->forward(inputs) == 0).item<bool>());
  model->begin_segment(inputs, 2);
  EXPECT_TRUE(torch::all(model->step(inputs.select(1, 0)) == 0).item<bool>());
}

// The tests every model kind must pass, by kind.
class AnyModel : public ::testing::TestWithParam<ModelKind> {
 protected:
  ModelConfig config() const { return small_config(GetParam()); }
};
// The kinds with a context window: step mode after begin_segment(context).
class Transformer : public AnyModel {};

std::vector<ModelKind> kinds(bool with_context_only) {
  std::vector<ModelKind> out;
  for (const KindSpec& k : kind_table())  // every kind with a neural model
    if (k.kind != ModelKind::kNone && (!with_context_only || k.takes_context)) out.push_back(k.kind);
  return out;
}
std::string kind_label(const ::testing::TestParamInfo<ModelKind>& info) {
  return find_kind(info.param)->name;
}

INSTANTIATE_TEST_SUITE_P(Kinds, AnyModel, ::testing::ValuesIn(kinds(false)), kind_label);
INSTANTIATE_TEST_SUITE_P(Kinds, Transformer, ::testing::ValuesIn(kinds(true)), kind_label);

TEST_P(Transformer, StepModeEqualsTrainingForward) {
  auto model = make_model(config(), kMaxLen, 1);
  perturb(*model, 5);
  torch::manual_seed(6);
  const int64_t T = 20;
  // (B, C): the same B three times, then another B, which rebuilds the cache.
  for (auto [B, C] : std::vector<std::pair<int64_t, int64_t>>{{3, 0}, {3, 5}, {3, 12}, {2, 7}}) {
    auto inputs = random_bytes(B, T);
    torch::Tensor full;
    {
      torch::NoGradGuard no_grad;
      full = model->forward(inputs);
    }
    ASSERT_GT(full.abs().max().item<double>(), 0.1) << "perturbation had no effect";
    model->begin_segment(inputs.narrow(1, 0, C), T - C);
    for (int64_t t = C; t < T; ++t) {
      auto logits = model->step(inputs.select(1, t));
      ASSERT_EQ(logits.sizes(), (std::vector<int64_t>{B, kVocab}));
      EXPECT_TRUE(torch::allclose(logits, full.select(1, t), 0.0, 1e-4))
          << "B " << B << " C " << C << " t " << t << ": max diff "
          << (logits - full.select(1, t)).abs().max().item<double>();
    }
    EXPECT_THROW(model->step(inputs.select(1, 0)), c10::Error) << "step past max_steps";
    // Training over the segment attends to the cached context: same logits,
    // with a graph back to the parameters.
    auto seg = model->train_forward(inputs.narrow(1, C, T - C));
    ASSERT_TRUE(seg.requires_grad());
    EXPECT_TRUE(torch::allclose(seg, full.narrow(1, C, T - C), 0.0, 1e-4))
        << "train_forward B " << B << " C " << C << ": max diff "
        << (seg - full.narrow(1, C, T - C)).abs().max().item<double>();
    seg.sum().backward();
    for (auto& p : model->parameters()) p.mutable_grad() = torch::Tensor();
  }
  // A window longer than max_len is refused in both modes.
  EXPECT_THROW(model->forward(random_bytes(1, kMaxLen + 1)), c10::Error);
  EXPECT_THROW(model->begin_segment(random_bytes(1, 10), kMaxLen - 9), c10::Error);
}

TEST_P(AnyModel, ForwardIsCausal) {
  auto model = make_model(config(), kMaxLen, 1);
  perturb(*model, 7);
  torch::NoGradGuard no_grad;
  auto inputs = random_bytes(2, 16);
  auto changed = inputs.clone();
  changed.narrow(1, 10, 6).random_(0, kVocab);
  auto a = model->forward(inputs).narrow(1, 0, 10);
  auto b = model->forward(changed).narrow(1, 0, 10);
  EXPECT_TRUE(torch::allclose(a, b, 0.0, 1e-5));
}

TEST_P(AnyModel, SeedDeterminesParameters) {
  auto a = make_model(config(), kMaxLen, 42);
  auto b = make_model(config(), kMaxLen, 42);
  auto c = make_model(config(), kMaxLen, 43);
  const auto pa = a->named_parameters(), pb = b->named_parameters(), pc = c->named_parameters();
  ASSERT_EQ(pa.size(), pb.size());
  bool any_diff = false;
  for (const auto& item : pa) {
    EXPECT_TRUE(torch::equal(item.value(), pb[item.key()])) << item.key();
    any_diff |= !torch::equal(item.value(), pc[item.key()]);
  }
  EXPECT_TRUE(any_diff) << "seeds 42 and 43 gave the same model";
  EXPECT_FALSE(torch::equal(pa["wte"], pc["wte"]));

  // Identical training steps keep them identical, outputs included.
  torch::manual_seed(8);
  auto inputs = random_bytes(2, 16), targets = random_bytes(2, 16);
  Optimizer oa(a->param_groups(), OptimConfig{}), ob(b->param_groups(), OptimConfig{});
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(train_step(*a, oa, inputs, targets), train_step(*b, ob, inputs, targets));
  }
  torch::NoGradGuard no_grad;
  auto out_a = a->forward(inputs), out_b = b->forward(inputs);
  EXPECT_GT(out_a.abs().max().item<double>(), 0.0);
  EXPECT_TRUE(torch::equal(out_a, out_b));
  for (const auto& item : a->named_parameters())
    EXPECT_TRUE(torch::equal(item.value(), b->named_parameters()[item.key()])) << item.key();
}

TEST_P(AnyModel, InvalidShapesThrow) {
  auto expect_usage = [](ModelConfig c, const char* what) {
    try {
      make_model(c, kMaxLen, 1);
      ADD_FAILURE() << what << ": no exception";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kUsage) << what;
    }
  };
  ModelConfig c = config();
  c.d_model = 33;  // not a multiple of n_head
  expect_usage(c, "d_model 33, n_head 2");
  c.d_model = 30;  // head_dim 15 is odd
  expect_usage(c, "d_model 30, n_head 2");
  c = config();
  c.n_layer = 0;
  expect_usage(c, "n_layer 0");
  c = config();
  c.n_head = 0;
  expect_usage(c, "n_head 0");
  c = config();
  c.d_model = 0;
  expect_usage(c, "d_model 0");
}

TEST_P(AnyModel, TrainingReducesLoss) {
  ModelConfig c = config();
  c.n_layer = 1;
  auto model = make_model(c, 32, 3);
  Optimizer opt(model->param_groups(), OptimConfig{});
  const std::string text = "the cat sat on the mat. the cat sat on the mat. the cat sat.";
  auto bytes = torch::empty({static_cast<int64_t>(text.size())}, torch::kInt64);
  for (size_t i = 0; i < text.size(); ++i) bytes[i] = static_cast<int64_t>(text[i]);
  auto inputs = torch::stack({bytes.narrow(0, 0, 24), bytes.narrow(0, 30, 24)});
  auto targets = torch::stack({bytes.narrow(0, 1, 24), bytes.narrow(0, 31, 24)});
  const double first = train_step(*model, opt, inputs, targets);
  if (GetParam() != ModelKind::kNgpt) EXPECT_NEAR(first, std::log(256.0), 1e-5);  // uniform
  double last = first;
  for (int i = 0; i < 20; ++i) {
    last = train_step(*model, opt, inputs, targets);
    ASSERT_TRUE(std::isfinite(last));
  }
  EXPECT_LT(last, 0.7 * first) << "first " << first << ", last " << last;
}

// ---- nGPT ------------------------------------------------------------------------

// max |‖t‖₂ − 1| over the vectors of t along `dim`.
double norm_error(const torch::Tensor& t, int64_t dim) {
  return (torch::linalg_vector_norm(t.detach(), 2, dim) - 1.0).abs().max().item<double>();
}

TEST(Ngpt, ShapesAndParamGroups) {
  auto model = make_model(small_config(ModelKind::kNgpt), kMaxLen, 1);
  torch::manual_seed(0);
  auto logits = model->forward(random_bytes(3, 20));
  EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{3, 20, kVocab}));
  EXPECT_TRUE(torch::isfinite(logits).all().item<bool>());

  // d 32, f 64: per layer qkv (96, 32) in 3 blocks, proj (32, 32), uv (128, 32)
  // in 2 blocks, mlp_out (32, 64).
  ParamGroups g = model->param_groups();
  EXPECT_EQ(g.muon_blocks, (std::vector<int64_t>{3, 1, 2, 1, 3, 1, 2, 1}));
  ASSERT_EQ(g.muon.size(), 8u);
  const std::vector<std::vector<int64_t>> shapes = {{96, 32}, {32, 32}, {128, 32}, {32, 64}};
  for (size_t i = 0; i < 8; ++i) EXPECT_EQ(g.muon[i].sizes(), shapes[i % 4]) << i;
  // AdamW: wte, lm_head, s_z, then per layer α_A, α_M, s_qk (d) and s_uv (2f).
  ASSERT_EQ(g.adam.size(), 11u);
  EXPECT_EQ(g.adam[2].sizes(), (std::vector<int64_t>{kVocab}));
  for (size_t i = 3; i < 11; ++i)
    EXPECT_EQ(g.adam[i].size(0), (i - 3) % 4 == 3 ? 128 : 32) << i;
  const int64_t total = expect_partition(*model, g);
  EXPECT_EQ(total, 2 * 256 * 32 + 256 + 2 * (3 * 1024 + 1024 + 128 * 32 + 32 * 64 + 3 * 32 + 128));

  // On the sphere from the start: wte and lm_head rows, each layer's qkv and uv
  // rows (dim 1), proj and mlp_out columns (dim 0).
  EXPECT_EQ(g.unit_norm_dims, (std::vector<int64_t>{1, 1, 1, 0, 1, 0, 1, 0, 1, 0}));
  ASSERT_EQ(g.unit_norm.size(), 10u);
  EXPECT_TRUE(g.unit_norm[0].is_same(g.adam[0]) && g.unit_norm[1].is_same(g.adam[1]));
  for (size_t i = 0; i < 8; ++i) EXPECT_TRUE(g.unit_norm[2 + i].is_same(g.muon[i])) << i;
  for (size_t i = 0; i < g.unit_norm.size(); ++i)
    EXPECT_LT(norm_error(g.unit_norm[i], g.unit_norm_dims[i]), 1e-6) << "matrix " << i;
}

TEST(Ngpt, NormsStayAtOneAfterEveryOptimizerStep) {
  auto model = make_model(small_config(ModelKind::kNgpt), kMaxLen, 3);
  OptimConfig oc;
  oc.muon_lr = 0.05;  // large steps: far off the sphere before the projection
  oc.adam_lr = 0.02;
  Optimizer opt(model->param_groups(), oc);
  const ParamGroups g = model->param_groups();
  torch::manual_seed(9);
  for (int step = 0; step < 6; ++step) {
    const auto before = g.unit_norm[2].clone();
    train_step(*model, opt, random_bytes(2, 16), random_bytes(2, 16));
    EXPECT_FALSE(torch::equal(before, g.unit_norm[2])) << "step " << step << " moved nothing";
    for (size_t i = 0; i < g.unit_norm.size(); ++i)
      EXPECT_LT(norm_error(g.unit_norm[i], g.unit_norm_dims[i]), 1e-5)
          << "matrix " << i << " after step " << step;
  }
  // The same step without the projection leaves the sphere: the check above can fail.
  ParamGroups unprojected = model->param_groups();
  unprojected.unit_norm.clear();
  unprojected.unit_norm_dims.clear();
  Optimizer plain(unprojected, oc);
  train_step(*model, plain, random_bytes(2, 16), random_bytes(2, 16));
  double worst = 0;
  for (size_t i = 0; i < g.unit_norm.size(); ++i)
    worst = std::max(worst, norm_error(g.unit_norm[i], g.unit_norm_dims[i]));
  EXPECT_GT(worst, 1e-3);
}

TEST(Ngpt, UnitNorm) {
  auto x = torch::tensor({3.0f, 4.0f, 0.0f, 0.0f}).view({2, 2});
  auto y = unit_norm(x, -1);
  EXPECT_TRUE(torch::allclose(y[0], torch::tensor({0.6f, 0.8f})));
  EXPECT_TRUE(torch::equal(y[1], torch::zeros({2})));  // a zero vector stays zero, no NaN
  EXPECT_TRUE(torch::allclose(unit_norm(x.t(), 0), y.t()));
}

// ---- detmath ------------------------------------------------------------------

// |got − want| ≤ tol · max(1, |want|): relative, or absolute near 0.
void expect_close(double got, double want, double tol, const char* what, double x) {
  EXPECT_LE(std::abs(got - want), tol * std::max(1.0, std::abs(want)))
      << what << "(" << x << ") = " << got << ", std: " << want;
}

TEST(Detmath, ExpLogPowMatchStd) {
  for (int i = 0; i <= 2000; ++i) {
    const double x = -50.0 + 100.0 * i / 2000.0 + 1e-3 * std::sin(i);
    const double want = std::exp(x);
    EXPECT_LE(std::abs(detmath::exp(x) - want), 1e-13 * want) << "exp(" << x << ")";
  }
  for (int i = 0; i <= 2000; ++i) {
    const double x = std::pow(10.0, -10.0 + 20.0 * i / 2000.0) * (1.0 + 1e-3 * std::sin(i));
    expect_close(detmath::log(x), std::log(x), 1e-13, "log", x);
  }
  for (double x : {1.0, 2.0, 0.5, 1.0 + 1e-12, 1.0 - 1e-12, 1e-300, 1e300})
    expect_close(detmath::log(x), std::log(x), 1e-13, "log", x);
  for (double base : {0.5, 1.5, 10.0, 1024.0, 10000.0})
    for (int i = 0; i <= 40; ++i) {
      const double e = -3.0 + 6.0 * i / 40.0;
      const double want = std::pow(base, e);
      EXPECT_LE(std::abs(detmath::pow(base, e) - want), 1e-13 * want)
          << "pow(" << base << ", " << e << ")";
    }
}

TEST(Detmath, SinCosMatchStd) {
  for (int i = 0; i <= 20000; ++i) {
    const double x = -1000.0 + 2000.0 * i / 20000.0 + 1e-3 * std::sin(i);
    double s, c;
    detmath::sincos(x, &s, &c);
    expect_close(s, std::sin(x), 1e-13, "sin", x);
    expect_close(c, std::cos(x), 1e-13, "cos", x);
  }
}

}  // namespace
}  // namespace nncomp::models
