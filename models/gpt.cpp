// gpt.cpp — the modern GPT (see gpt.h for the architecture and sources).
// Shapes: B streams, T window positions, d = d_model, H heads of hd = d/H.
#include "models/gpt.h"

#include <cmath>

#include "models/init.h"
#include "nncomp/error.h"

namespace nncomp::models {
namespace {

constexpr double kNormEps = 1e-6;
constexpr double kQkGain = 1.2;  // nanochat: q and k ×1.2 after QK-norm

torch::Tensor rms_norm(const torch::Tensor& x) {
  return torch::rms_norm(x, {x.size(-1)}, std::nullopt, kNormEps);
}

}  // namespace

Gpt::Gpt(const ModelConfig& config, int64_t max_len, uint64_t seed)
    : config_(config),
      head_dim_(checked_head_dim(config, "gpt")),
      max_len_(max_len),
      rope_(max_len, head_dim_, config.rope_base) {
  const int64_t d = config.d_model, f = config.ffn_mult * d;

  InitRng rng(seed);
  auto param = [&](const std::string& name, std::vector<int64_t> shape, float bound) {
    auto t = torch::zeros(shape, torch::kFloat32);
    if (bound > 0) init_uniform(t, bound, rng);
    return register_parameter(name, t);
  };
  const float s = static_cast<float>(std::sqrt(3.0) / std::sqrt(static_cast<double>(d)));
  wte_ = param("wte", {kVocab, d}, static_cast<float>(std::sqrt(3.0)));  // std 1
  for (uint32_t i = 0; i < config.n_layer; ++i) {
    const std::string p = std::string("h").append(std::to_string(i)).append("_");
    Layer layer;
    layer.w_qkv = param(p + "qkv", {3 * d, d}, s);
    layer.w_proj = param(p + "proj", {d, d}, 0.0f);
    layer.w_fc = param(p + "fc", {f, d}, 0.4f * s);
    layer.w_mlp_out = param(p + "mlp_out", {d, f}, 0.0f);
    layers_.push_back(layer);
  }
  lm_head_ = param("lm_head", {kVocab, d}, 0.0f);
}

// Projects normalised input x (B, [T,] d) to q, k (QK-normed, rotated) and v,
// each (B, H, [T,] hd). len == 0 means one position (step mode).
torch::Tensor Gpt::attention_qkv(const Layer& layer, const torch::Tensor& x, int64_t pos0,
                                     int64_t len, torch::Tensor* q, torch::Tensor* k,
                                     torch::Tensor* v) const {
  const int64_t B = x.size(0), H = config_.n_head, hd = head_dim_;
  auto qkv = torch::linear(x, layer.w_qkv);
  if (len == 0) {
    qkv = qkv.view({B, 3, H, hd});  // (B, 3, H, hd)
    *q = rope_.apply(rms_norm(qkv.select(1, 0)), pos0, 0);
    *k = rope_.apply(rms_norm(qkv.select(1, 1)), pos0, 0);
    *v = qkv.select(1, 2);
  } else {
    qkv = qkv.view({B, len, 3, H, hd}).permute({2, 0, 3, 1, 4});  // (3, B, H, T, hd)
    *q = rope_.apply(rms_norm(qkv[0]), pos0, len);
    *k = rope_.apply(rms_norm(qkv[1]), pos0, len);
    *v = qkv[2];
  }
  return qkv;
}

torch::Tensor Gpt::head(const torch::Tensor& x) const {
  auto logits = torch::linear(rms_norm(x), lm_head_);
  if (config_.logit_cap > 0) logits = torch::tanh(logits / config_.logit_cap) * config_.logit_cap;
  return logits;
}

torch::Tensor Gpt::run_window(const torch::Tensor& inputs, int64_t ctx, bool keep_kv) {
  const int64_t T = inputs.size(1);
  TORCH_CHECK(ctx + T <= max_len_, "gpt: window of ", ctx + T, " > max_len ", max_len_);
  const double scale = kQkGain * kQkGain / std::sqrt(static_cast<double>(head_dim_));
  auto x = rms_norm(torch::embedding(wte_, inputs));  // (B, T, d)
  for (size_t l = 0; l < layers_.size(); ++l) {
    const Layer& layer = layers_[l];
    torch::Tensor q, k, v;
    attention_qkv(layer, rms_norm(x), ctx, T, &q, &k, &v);  // (B, H, T, hd)
    if (keep_kv) {
      cache_.store(l, ctx, T, k, v);
      if (l + 1 == layers_.size()) return x;  // the last MLP and head are not needed
    }
    auto y = window_attention(q, k, v, cache_, l, ctx, scale);  // (B, T, d)
    x = x + torch::linear(y, layer.w_proj);
    auto m = torch::relu(torch::linear(rms_norm(x), layer.w_fc));
    x = x + torch::linear(m * m, layer.w_mlp_out);
  }
  return head(x);  // (B, T, 256)
}

torch::Tensor Gpt::forward(const torch::Tensor& inputs) { return run_window(inputs, 0, false); }

torch::Tensor Gpt::train_forward(const torch::Tensor& inputs) {
  cache_.check_segment("gpt", inputs.size(1));
  return run_window(inputs, cache_.ctx, false);
}

void Gpt::begin_segment(const torch::Tensor& ctx_inputs, int64_t max_steps) {
  c10::InferenceMode guard;
  const int64_t C = ctx_inputs.size(1);
  cache_.begin("gpt", static_cast<int64_t>(layers_.size()), ctx_inputs.size(0), config_.n_head,
               max_len_, head_dim_, C, max_steps, wte_.options());
  if (C > 0) run_window(ctx_inputs, 0, true);
}

torch::Tensor Gpt::step(const torch::Tensor& tokens) {
  c10::InferenceMode guard;
  const int64_t pos = cache_.next_step("gpt");
  const double scale = kQkGain * kQkGain / std::sqrt(static_cast<double>(head_dim_));
  auto x = rms_norm(torch::embedding(wte_, tokens));  // (B, d)
  for (size_t l = 0; l < layers_.size(); ++l) {
    const Layer& layer = layers_[l];
    torch::Tensor q, k, v;
    attention_qkv(layer, rms_norm(x), pos, 0, &q, &k, &v);  // (B, H, hd)
    cache_.store(l, pos, 0, k, v);
    auto y = step_attention(q, cache_, l, pos, scale);  // (B, d)
    x = x + torch::linear(y, layer.w_proj);
    auto m = torch::relu(torch::linear(rms_norm(x), layer.w_fc));
    x = x + torch::linear(m * m, layer.w_mlp_out);
  }
  return head(x);  // (B, 256)
}

ParamGroups Gpt::param_groups() {
  ParamGroups groups;
  for (const Layer& layer : layers_) {
    groups.muon.insert(groups.muon.end(), {layer.w_qkv, layer.w_proj, layer.w_fc, layer.w_mlp_out});
    groups.muon_blocks.insert(groups.muon_blocks.end(), {3, 1, 1, 1});
  }
  groups.adam = {wte_, lm_head_};
  return groups;
}

void Gpt::place(const torch::Device& device) {
  to(device);
  rope_.to(device);
}

}  // namespace nncomp::models
