// Tests of the RWKV-7 model and its recurrence on the CPU: the fast wkv loops
// against the reference loop (outputs, final state, every gradient), bit-equal
// results whatever the thread count, step mode carrying the state across
// segments == one forward over the whole sequence, train_forward from the
// segment-start state, the reference and fast paths inside the model, the
// parameter groups and the initialisation.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <string>
#include <vector>

#include "models/model.h"
#include "models/rwkv.h"
#include "models/wkv.h"
#include "nncomp/error.h"
#include "tests/model_util.h"
#include "tests/wkv_inputs.h"

namespace nncomp::models {
namespace {

using testing::perturb;
using testing::random_bytes;
using testing::wkv_inputs;
using testing::WkvInputs;

[[maybe_unused]] const bool kOneThread = [] {
  torch::set_num_threads(1);
  return true;
}();

double max_rel(const torch::Tensor& got, const torch::Tensor& want) {
  return ((got - want).abs().max() / want.abs().max().clamp_min(1e-30)).item<double>();
}

// y, s_end and the six gradients of Σ y ⊙ w, by the fast path or the reference.
struct WkvResult {
  torch::Tensor y, s_end;
  std::vector<torch::Tensor> grads;
};

WkvResult run_wkv(WkvInputs in, bool fast, const torch::Tensor& w) {
  for (auto* t : in.grads()) *t = t->detach().clone().requires_grad_(true);
  WkvResult out;
  out.y = fast ? wkv(in.r, in.d, in.k, in.v, in.a, in.b, in.s0, &out.s_end)
               : wkv_reference(in.r, in.d, in.k, in.v, in.a, in.b, in.s0, &out.s_end);
  (out.y * w).sum().backward();
  for (auto* t : in.grads()) out.grads.push_back(t->grad());
  out.y = out.y.detach();
  out.s_end = out.s_end.detach();
  return out;
}

TEST(Wkv, FastMatchesReference) {
  const char* names[] = {"r", "d", "k", "v", "a", "b"};
  // T = 37 crosses chunk boundaries and ends inside one; N over the head sizes.
  for (int64_t N : {16, 32, 64}) {
    WkvInputs in = wkv_inputs(2, 37, 2, N, 100 + N);
    auto w = torch::randn({2, 37, 2, N});
    const WkvResult fast = run_wkv(in, true, w), ref = run_wkv(in, false, w);
    EXPECT_LT(max_rel(fast.y, ref.y), 1e-5) << "y, N " << N;
    EXPECT_LT(max_rel(fast.s_end, ref.s_end), 1e-5) << "s_end, N " << N;
    for (int i = 0; i < 6; ++i) {
      ASSERT_TRUE(fast.grads[i].defined()) << names[i];
      EXPECT_LT(max_rel(fast.grads[i], ref.grads[i]), 1e-4) << "d" << names[i] << ", N " << N;
      EXPECT_GT(ref.grads[i].abs().max().item<double>(), 0.0) << names[i];
    }
  }
}

TEST(Wkv, OneStepAndZeroStateAndNoGrad) {
  // T = 1 (step mode) from zeros: S_1 = v kᵀ, y = S_1 r.
  WkvInputs in = wkv_inputs(3, 1, 2, 16, 7, /*zero_state=*/true);
  torch::NoGradGuard no_grad;
  torch::Tensor s_end;
  auto y = wkv(in.r, in.d, in.k, in.v, in.a, in.b, in.s0, &s_end);
  auto S = in.v.select(1, 0).unsqueeze(-1) * in.k.select(1, 0).unsqueeze(-2);  // [B,H,N,N]
  EXPECT_TRUE(torch::allclose(s_end, S, 1e-6, 1e-7));
  EXPECT_TRUE(torch::allclose(y.select(1, 0), torch::matmul(S, in.r.select(1, 0).unsqueeze(-1)).squeeze(-1),
                              1e-5, 1e-6));
  // Inputs of another shape, dtype or head size are refused.
  EXPECT_THROW(wkv(in.r, in.d, in.k, in.v, in.a, in.b.narrow(3, 0, 8), in.s0, nullptr), c10::Error);
  EXPECT_THROW(wkv(in.r.to(torch::kFloat64), in.d, in.k, in.v, in.a, in.b, in.s0, nullptr),
               c10::Error);
  WkvInputs odd = wkv_inputs(1, 2, 1, 12, 8);
  EXPECT_THROW(wkv(odd.r, odd.d, odd.k, odd.v, odd.a, odd.b, odd.s0, nullptr), c10::Error);
}

TEST(Wkv, BitIdenticalRunToRunAndAcrossThreadCounts) {
  WkvInputs in = wkv_inputs(4, 40, 3, 32, 11);
  auto w = torch::randn({4, 40, 3, 32});
  const WkvResult one = run_wkv(in, true, w), again = run_wkv(in, true, w);
  torch::set_num_threads(2);
  const WkvResult two = run_wkv(in, true, w);
  torch::set_num_threads(1);
  for (const WkvResult* r : {&again, &two}) {
    EXPECT_TRUE(torch::equal(one.y, r->y));
    EXPECT_TRUE(torch::equal(one.s_end, r->s_end));
    for (int i = 0; i < 6; ++i) EXPECT_TRUE(torch::equal(one.grads[i], r->grads[i])) << i;
  }
}

// ---- the model -------------------------------------------------------------------

ModelConfig rwkv_config(uint32_t n_layer = 2) {
  ModelConfig c;
  c.kind = ModelKind::kRwkv;
  c.n_layer = n_layer;
  c.d_model = 32;
  c.n_head = 2;  // head_dim 16
  c.ffn_mult = 2;
  c.logit_cap = 0;
  return c;
}

std::shared_ptr<Rwkv> make_rwkv(uint32_t n_layer = 2, uint64_t seed = 1) {
  auto m = std::dynamic_pointer_cast<Rwkv>(make_model(rwkv_config(n_layer), 64, seed));
  EXPECT_TRUE(m != nullptr);
  return m;
}

TEST(Rwkv, StepModeCarriesTheStateAcrossSegments) {
  auto model = make_rwkv();
  perturb(*model, 5);
  torch::manual_seed(6);
  const int64_t B = 3;
  auto inputs = random_bytes(B, 20);
  torch::Tensor full;
  {
    torch::NoGradGuard no_grad;
    full = model->forward(inputs);
  }
  ASSERT_GT(full.abs().max().item<double>(), 0.1) << "perturbation had no effect";
  const auto no_ctx = torch::zeros({B, 0}, torch::kInt64);
  int64_t t0 = 0;
  for (int64_t len : {7, 6, 7}) {  // three segments, the state carried between them
    model->begin_segment(no_ctx, len);
    for (int64_t t = t0; t < t0 + len; ++t) {
      auto logits = model->step(inputs.select(1, t));
      EXPECT_TRUE(torch::allclose(logits, full.select(1, t), 0.0, 1e-4))
          << "t " << t << ": max diff " << (logits - full.select(1, t)).abs().max().item<double>();
    }
    EXPECT_THROW(model->step(inputs.select(1, 0)), c10::Error) << "step past max_steps";
    // Training over the segment starts from the state at its start.
    auto seg = model->train_forward(inputs.narrow(1, t0, len));
    ASSERT_TRUE(seg.requires_grad());
    EXPECT_TRUE(torch::allclose(seg, full.narrow(1, t0, len), 0.0, 1e-4))
        << "train_forward at " << t0 << ": max diff "
        << (seg - full.narrow(1, t0, len)).abs().max().item<double>();
    seg.sum().backward();
    for (auto& p : model->parameters()) {
      EXPECT_TRUE(p.grad().defined());
      p.mutable_grad() = torch::Tensor();
    }
    t0 += len;
  }
  // A context window, another batch size or a longer train_forward are refused.
  EXPECT_THROW(model->begin_segment(inputs.narrow(1, 0, 4), 4), c10::Error);
  EXPECT_THROW(model->begin_segment(torch::zeros({2, 0}, torch::kInt64), 4), c10::Error);
  model->begin_segment(no_ctx, 4);
  EXPECT_THROW(model->train_forward(inputs.narrow(1, 0, 5)), c10::Error);
  // After reset_state the model starts from zeros again, with any batch.
  model->reset_state();
  model->begin_segment(torch::zeros({1, 0}, torch::kInt64), 2);
  auto first = model->step(inputs.select(1, 0).narrow(0, 1, 1));
  EXPECT_TRUE(torch::allclose(first, full.select(1, 0).narrow(0, 1, 1), 0.0, 1e-4));
}

TEST(Rwkv, FastAndReferenceRecurrenceGiveTheSameModel) {
  auto model = make_rwkv();
  perturb(*model, 9);
  torch::manual_seed(10);
  auto inputs = random_bytes(2, 21);
  auto run = [&](bool reference) {
    model->use_reference_wkv(reference);
    for (auto& p : model->parameters()) p.mutable_grad() = torch::Tensor();
    auto logits = model->forward(inputs);
    torch::log_softmax(logits, -1).select(-1, 65).sum().backward();
    std::vector<torch::Tensor> grads;
    for (auto& p : model->parameters()) grads.push_back(p.grad().clone());
    return std::make_pair(logits.detach(), grads);
  };
  const auto [fast, fast_grads] = run(false);
  const auto [ref, ref_grads] = run(true);
  EXPECT_LT(max_rel(fast, ref), 1e-5);
  const auto names = model->named_parameters().keys();
  for (size_t i = 0; i < fast_grads.size(); ++i)
    EXPECT_LT((fast_grads[i] - ref_grads[i]).abs().max().item<double>(),
              1e-4 * ref_grads[i].abs().max().item<double>() + 1e-7)
        << names[i];
}

TEST(Rwkv, ShapesParamGroupsAndInit) {
  auto model = make_rwkv(2, 1);
  ParamGroups g = model->param_groups();
  ASSERT_EQ(g.muon.size(), 8u);  // per layer: r/k/v (3 blocks), output, key, value
  for (size_t i = 0; i < 8; ++i) EXPECT_EQ(g.muon_blocks[i], i % 4 == 0 ? 3 : 1) << i;
  EXPECT_TRUE(g.unit_norm.empty());
  // Every parameter optimised exactly once.
  size_t hits = 0;
  int64_t total = 0;
  for (const auto& p : model->parameters()) {
    int n = 0;
    for (const auto* list : {&g.muon, &g.adam})
      for (const auto& q : *list) n += p.is_same(q);
    EXPECT_EQ(n, 1) << p.sizes();
    hits += n;
    total += p.numel();
  }
  EXPECT_EQ(hits, g.muon.size() + g.adam.size());
  EXPECT_EQ(model->n_params(), total);

  // Zero head: the first prediction is uniform, in step mode too.
  torch::manual_seed(0);
  auto inputs = random_bytes(2, 5);
  EXPECT_TRUE(torch::all(model->forward(inputs) == 0).item<bool>());
  model->begin_segment(torch::zeros({2, 0}, torch::kInt64), 1);
  EXPECT_TRUE(torch::all(model->step(inputs.select(1, 0)) == 0).item<bool>());

  // The reference's curves: decay bias rising over channels, LoRA second
  // factors with orthogonal rows of norm 0.1, mixes in [0, 1].
  auto params = model->named_parameters();
  auto w0 = params["h0_w0"];
  EXPECT_LT(w0[0].item<double>(), w0[31].item<double>());
  auto w2 = params["h1_w2"];  // (32, 32): rank 32 = d here
  EXPECT_TRUE(torch::allclose(torch::mm(w2, w2.t()), 0.01 * torch::eye(32), 0.0, 1e-6));
  auto key = params["h0_key"];  // (64, 32): orthonormal columns × √2
  EXPECT_TRUE(torch::allclose(torch::mm(key.t(), key), 2.0 * torch::eye(32), 0.0, 1e-5));
  EXPECT_GE(params["h1_mix"].min().item<double>(), 0.0);
  EXPECT_LE(params["h1_mix"].max().item<double>(), 1.0);
  EXPECT_FALSE(params.contains("h0_v0"));  // no value residual in layer 0
  EXPECT_TRUE(params.contains("h1_v0"));
}

TEST(Rwkv, HeadSizesWithoutAKernelAreRefused) {
  for (uint32_t n_head : {4u, 3u}) {  // head_dim 8; 32 / 3 does not divide
    ModelConfig c = rwkv_config();
    c.n_head = n_head;
    try {
      make_model(c, 64, 1);
      ADD_FAILURE() << "n_head " << n_head << ": no exception";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kUsage);
      EXPECT_NE(std::string(e.what()).find("head_dim"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace nncomp::models
