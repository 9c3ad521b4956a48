// ngpt.cpp — the normalized transformer (see ngpt.h for the architecture and sources).
// Shapes: B streams, T window positions, d = d_model, f = ffn_mult·d, H heads of hd = d/H.
#include "models/ngpt.h"

#include <cmath>

#include "models/init.h"

namespace nncomp::models {
namespace {

// Initial effective values (v_init) of the scaling vectors; the stored
// initial values (s_init) are given beside them. The paper's s_qk, s_uv and
// the scalings are kept; α and s_z start higher than its 0.05 and 1
// (docs/ngpt.md has the measurements): online coding cannot wait for s_z to
// grow from 1, when the logits span only [−1, 1], and the paper's α suits
// models far deeper than our 1–4 layers.
constexpr double kAlphaInit = 0.25;  // α_A, α_M; stored 1/√d
constexpr double kSqkInit = 1.0;     // s_qk; stored 1/√d
constexpr double kSuvInit = 1.0;     // s_uv; stored 1
constexpr double kSzInit = 10.0;     // s_z; stored 1/√d

}  // namespace

Ngpt::Ngpt(const ModelConfig& config, int64_t max_len, uint64_t seed)
    : config_(config),
      head_dim_(checked_head_dim(config, "ngpt")),
      max_len_(max_len),
      sqrt_d_(std::sqrt(static_cast<double>(config.d_model))),
      rope_(max_len, head_dim_, config.rope_base) {
  const int64_t d = config.d_model, f = config.ffn_mult * d;
  const float inv_sqrt_d = static_cast<float>(1.0 / sqrt_d_);
  InitRng rng(seed);
  // A random matrix with unit vectors along `dim` (uniform draws, then Norm).
  auto sphere = [&](const std::string& name, std::vector<int64_t> shape, int64_t dim) {
    auto t = torch::zeros(shape, torch::kFloat32);
    init_uniform(t, 1.0f, rng);
    return register_parameter(name, unit_norm(t, dim));
  };
  auto constant = [&](const std::string& name, int64_t n, float value) {
    return register_parameter(name, torch::full({n}, value, torch::kFloat32));
  };
  wte_ = sphere("wte", {kVocab, d}, 1);
  for (uint32_t i = 0; i < config.n_layer; ++i) {
    const std::string p = std::string("h").append(std::to_string(i)).append("_");
    Layer layer;
    layer.w_qkv = sphere(p + "qkv", {3 * d, d}, 1);
    layer.w_proj = sphere(p + "proj", {d, d}, 0);
    layer.w_uv = sphere(p + "uv", {2 * f, d}, 1);
    layer.w_mlp_out = sphere(p + "mlp_out", {d, f}, 0);
    layer.alpha_attn = constant(p + "alpha_attn", d, inv_sqrt_d);
    layer.alpha_mlp = constant(p + "alpha_mlp", d, inv_sqrt_d);
    layer.s_qk = constant(p + "s_qk", d, inv_sqrt_d);
    layer.s_uv = constant(p + "s_uv", 2 * f, 1.0f);
    layers_.push_back(layer);
  }
  lm_head_ = sphere("lm_head", {kVocab, d}, 1);
  s_z_ = constant("s_z", kVocab, inv_sqrt_d);
}

// h (B, [T,] d) → q, k (normed, scaled by s_qk, rotated) and v, each (B, H, [T,] hd).
void Ngpt::attention_qkv(const Layer& layer, const torch::Tensor& h, int64_t pos0,
                             int64_t len, torch::Tensor* q, torch::Tensor* k,
                             torch::Tensor* v) const {
  const int64_t B = h.size(0), H = config_.n_head, hd = head_dim_;
  auto qkv = torch::linear(h, layer.w_qkv);
  auto s_qk = layer.s_qk * (kSqkInit * sqrt_d_);  // effective, (d)
  if (len == 0) {
    qkv = qkv.view({B, 3, H, hd});  // (B, 3, H, hd)
    s_qk = s_qk.view({H, hd});
    *q = s_qk * unit_norm(rope_.apply(qkv.select(1, 0), pos0, 0), -1);
    *k = s_qk * unit_norm(rope_.apply(qkv.select(1, 1), pos0, 0), -1);
    *v = qkv.select(1, 2);
  } else {
    qkv = qkv.view({B, len, 3, H, hd}).permute({2, 0, 3, 1, 4});  // (3, B, H, T, hd)
    s_qk = s_qk.view({H, 1, hd});
    *q = s_qk * unit_norm(rope_.apply(qkv[0], pos0, len), -1);
    *k = s_qk * unit_norm(rope_.apply(qkv[1], pos0, len), -1);
    *v = qkv[2];
  }
}

// h ← Norm(h + α ⊙ (Norm(branch) − h)), α = |stored|·(kAlphaInit·√d): the
// eigen learning rate, the step from h towards the branch's output.
torch::Tensor Ngpt::residual(const torch::Tensor& h, const torch::Tensor& branch,
                             const torch::Tensor& alpha) const {
  auto eigen_rate = torch::abs(alpha * (kAlphaInit * sqrt_d_));
  return unit_norm(h + eigen_rate * (unit_norm(branch, -1) - h), -1);
}

// SwiGLU: W_mo (u ⊙ SiLU(v)) with (u, v) = (W_uv h) ⊙ s_uv·√d.
torch::Tensor Ngpt::mlp(const Layer& layer, const torch::Tensor& h) const {
  auto uv = torch::linear(h, layer.w_uv) * (layer.s_uv * (kSuvInit * sqrt_d_));
  auto parts = uv.chunk(2, -1);
  return torch::linear(parts[0] * torch::silu(parts[1]), layer.w_mlp_out);
}

torch::Tensor Ngpt::head(const torch::Tensor& h) const {
  return torch::linear(h, lm_head_) * (s_z_ * (kSzInit * sqrt_d_));
}

torch::Tensor Ngpt::run_window(const torch::Tensor& inputs, int64_t ctx, bool keep_kv) {
  const int64_t T = inputs.size(1);
  TORCH_CHECK(ctx + T <= max_len_, "ngpt: window of ", ctx + T, " > max_len ", max_len_);
  const double scale = std::sqrt(static_cast<double>(head_dim_));
  auto h = unit_norm(torch::embedding(wte_, inputs), -1);  // (B, T, d)
  for (size_t l = 0; l < layers_.size(); ++l) {
    const Layer& layer = layers_[l];
    torch::Tensor q, k, v;
    attention_qkv(layer, h, ctx, T, &q, &k, &v);  // (B, H, T, hd)
    if (keep_kv) {
      cache_.store(l, ctx, T, k, v);
      if (l + 1 == layers_.size()) return h;  // the last MLP and head are not needed
    }
    auto y = window_attention(q, k, v, cache_, l, ctx, scale);  // (B, T, d)
    h = residual(h, torch::linear(y, layer.w_proj), layer.alpha_attn);
    h = residual(h, mlp(layer, h), layer.alpha_mlp);
  }
  return head(h);  // (B, T, 256)
}

torch::Tensor Ngpt::forward(const torch::Tensor& inputs) { return run_window(inputs, 0, false); }

torch::Tensor Ngpt::train_forward(const torch::Tensor& inputs) {
  cache_.check_segment("ngpt", inputs.size(1));
  return run_window(inputs, cache_.ctx, false);
}

void Ngpt::begin_segment(const torch::Tensor& ctx_inputs, int64_t max_steps) {
  c10::InferenceMode guard;
  const int64_t C = ctx_inputs.size(1);
  cache_.begin("ngpt", static_cast<int64_t>(layers_.size()), ctx_inputs.size(0), config_.n_head,
               max_len_, head_dim_, C, max_steps, wte_.options());
  if (C > 0) run_window(ctx_inputs, 0, true);
}

torch::Tensor Ngpt::step(const torch::Tensor& tokens) {
  c10::InferenceMode guard;
  const int64_t pos = cache_.next_step("ngpt");
  const double scale = std::sqrt(static_cast<double>(head_dim_));
  auto h = unit_norm(torch::embedding(wte_, tokens), -1);  // (B, d)
  for (size_t l = 0; l < layers_.size(); ++l) {
    const Layer& layer = layers_[l];
    torch::Tensor q, k, v;
    attention_qkv(layer, h, pos, 0, &q, &k, &v);  // (B, H, hd)
    cache_.store(l, pos, 0, k, v);
    auto y = step_attention(q, cache_, l, pos, scale);  // (B, d)
    h = residual(h, torch::linear(y, layer.w_proj), layer.alpha_attn);
    h = residual(h, mlp(layer, h), layer.alpha_mlp);
  }
  return head(h);  // (B, 256)
}

ParamGroups Ngpt::param_groups() {
  ParamGroups g;
  g.adam = {wte_, lm_head_, s_z_};
  g.unit_norm = {wte_, lm_head_};
  g.unit_norm_dims = {1, 1};
  for (const Layer& layer : layers_) {
    g.muon.insert(g.muon.end(), {layer.w_qkv, layer.w_proj, layer.w_uv, layer.w_mlp_out});
    g.muon_blocks.insert(g.muon_blocks.end(), {3, 1, 2, 1});
    g.adam.insert(g.adam.end(), {layer.alpha_attn, layer.alpha_mlp, layer.s_qk, layer.s_uv});
    g.unit_norm.insert(g.unit_norm.end(), {layer.w_qkv, layer.w_proj, layer.w_uv, layer.w_mlp_out});
    g.unit_norm_dims.insert(g.unit_norm_dims.end(), {1, 0, 1, 0});
  }
  return g;
}

void Ngpt::place(const torch::Device& device) {
  to(device);
  rope_.to(device);
}

}  // namespace nncomp::models
