// rwkv.cpp — the RWKV-7 style model (see rwkv.h for the architecture and sources).
// Shapes: B streams, T positions, d = d_model, H heads of N = d / H, f = ffn_mult.
#include "models/rwkv.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "models/detmath.h"
#include "models/init.h"
#include "models/wkv.h"
#include "models/wkv_cuda.h"
#include "nncomp/error.h"

namespace nncomp::models {
namespace {

constexpr double kLayerNormEps = 1e-5;
constexpr double kGroupNormEps = 64e-5;  // the reference's ln_x
constexpr int64_t kMixRows = 6;          // token-shift mixes: r, k, v, w, a, g

torch::Tensor layer_norm(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b) {
  return torch::layer_norm(x, {x.size(-1)}, w, b, kLayerNormEps);
}


// base^e for base ≥ 0, e > 0 (0^e = 0), bit-reproducible (detmath).
double pow0(double base, double e) { return base <= 0.0 ? 0.0 : detmath::pow(base, e); }

// A (rows, cols) float32 tensor with orthonormal rows (rows ≤ cols) or
// columns (rows > cols), times `gain`: modified Gram–Schmidt in double on a
// uniform draw from `rng` (only +, −, ×, ÷ and the correctly rounded sqrt, so
// the same bits everywhere), like torch.nn.init.orthogonal_ up to the draw.
torch::Tensor orthogonal(int64_t rows, int64_t cols, double gain, InitRng& rng) {
  const bool by_rows = rows <= cols;
  const int64_t count = by_rows ? rows : cols, len = by_rows ? cols : rows;
  std::vector<double> q(count * len);
  for (double& x : q) x = 2.0 * static_cast<double>(rng.next() >> 11) * 0x1.0p-53 - 1.0;
  for (int64_t i = 0; i < count; ++i) {
    double* qi = q.data() + i * len;
    for (int64_t p = 0; p < i; ++p) {
      const double* qp = q.data() + p * len;
      double dot = 0.0;
      for (int64_t j = 0; j < len; ++j) dot += qi[j] * qp[j];
      for (int64_t j = 0; j < len; ++j) qi[j] -= dot * qp[j];
    }
    double norm = 0.0;
    for (int64_t j = 0; j < len; ++j) norm += qi[j] * qi[j];
    norm = std::sqrt(norm);
    for (int64_t j = 0; j < len; ++j) qi[j] /= norm;
  }
  auto t = torch::empty({rows, cols}, torch::kFloat32);
  float* p = t.data_ptr<float>();
  for (int64_t i = 0; i < count; ++i)
    for (int64_t j = 0; j < len; ++j) {
      const double x = gain * q[i * len + j];
      p[by_rows ? i * cols + j : j * cols + i] = static_cast<float>(x);
    }
  return t;
}

// A float32 vector of length n from a function of the channel index.
template <class F>
torch::Tensor channels(int64_t n, F f) {
  auto t = torch::empty({n}, torch::kFloat32);
  float* p = t.data_ptr<float>();
  for (int64_t i = 0; i < n; ++i) p[i] = static_cast<float>(f(i));
  return t;
}

}  // namespace

Rwkv::Rwkv(const ModelConfig& config, int64_t /*max_len*/, uint64_t seed)
    : config_(config), head_dim_(config.d_model / std::max<uint32_t>(config.n_head, 1)) {
  const int64_t d = config.d_model, H = config.n_head, N = head_dim_, f = config.ffn_mult * d;
  const int64_t L = config.n_layer;
  if (d % H != 0 || !cuda::wkv_supports(N))
    throw Error(ErrorKind::kUsage, "rwkv: head_dim = d_model / n_head must be " + rwkv_head_dims_text() + " (d_model " +
                                       std::to_string(d) + ", n_head " + std::to_string(H) + ")");

  InitRng rng(seed);
  auto reg = [this](const std::string& name, torch::Tensor t) { return register_parameter(name, t); };
  auto uniform = [&](std::vector<int64_t> shape, double bound) {
    auto t = torch::zeros(shape, torch::kFloat32);
    init_uniform(t, static_cast<float>(bound), rng);
    return t;
  };
  auto full = [](std::vector<int64_t> shape, double value) {
    return torch::full(shape, value, torch::kFloat32);
  };
  const double inv_sqrt_d = 1.0 / std::sqrt(static_cast<double>(d));
  const RwkvLoraRanks ranks = rwkv_lora_ranks(d);
  const int64_t r_w = ranks.w, r_a = ranks.a, r_v = ranks.v, r_g = ranks.g;
  // orthogonal init of a LoRA second factor (rank, d): gain 0.1 (× √(rank/d) when tall).
  auto lora2 = [&](int64_t rank) {
    const double gain = rank > d ? std::sqrt(static_cast<double>(rank) / d) : 1.0;
    return orthogonal(rank, d, 0.1 * gain, rng);
  };

  wte_ = reg("wte", uniform({kVocab, d}, 1e-4));  // small, as the reference; ln0 follows
  for (int64_t l = 0; l < L; ++l) {
    const std::string p = std::string("h").append(std::to_string(l)).append("_");
    // The reference's layer ratios: 0 → 1 and 1 → almost 0 over the layers.
    const double ratio_0_to_1 = L > 1 ? static_cast<double>(l) / (L - 1) : 0.0;
    const double ratio_1_to_0 = 1.0 - static_cast<double>(l) / L;
    auto channel_ramp = [d](int64_t i) { return static_cast<double>(i) / d; };  // 0 → ~1
    auto linear = [d](int64_t i) { return static_cast<double>(i) / (d - 1) - 0.5; };
    auto zigzag = [N](int64_t i) {
      const double half = (N - 1) / 2.0, z = (static_cast<double>(i % N) - half) / half;
      return z * std::abs(z);
    };
    Layer layer;
    if (l == 0) {
      layer.ln0_w = reg(p + "ln0_w", full({d}, 1.0));
      layer.ln0_b = reg(p + "ln0_b", full({d}, 0.0));
    }
    layer.ln1_w = reg(p + "ln1_w", full({d}, 1.0));
    layer.ln1_b = reg(p + "ln1_b", full({d}, 0.0));
    const double mix_power[kMixRows] = {0.2, 0.7, 0.7, 0.9, 0.9, 0.2};  // r, k, v, w, a, g
    std::vector<torch::Tensor> mixes;
    for (double e : mix_power)
      mixes.push_back(channels(d, [&](int64_t i) { return 1.0 - pow0(channel_ramp(i), e * ratio_1_to_0); }));
    layer.mix = reg(p + "mix", torch::stack(mixes));
    auto w_rkv = torch::empty({3 * d, d}, torch::kFloat32);
    w_rkv.narrow(0, 0, d).copy_(uniform({d, d}, 0.5 * inv_sqrt_d));
    w_rkv.narrow(0, d, d).copy_(uniform({d, d}, 0.05 * inv_sqrt_d));
    w_rkv.narrow(0, 2 * d, d).copy_(uniform({d, d}, 0.5 * inv_sqrt_d));
    layer.w_rkv = reg(p + "rkv", w_rkv);
    layer.w0 = reg(p + "w0", channels(d, [&](int64_t i) {
                     const double decay_curve =
                         -6.0 + 6.0 * pow0(static_cast<double>(i) / (d - 1),
                                           1.0 + pow0(ratio_0_to_1, 0.3));
                     return decay_curve + 0.5 + 2.5 * zigzag(i);
                   }));
    layer.w1 = reg(p + "w1", full({d, r_w}, 0.0));
    layer.w2 = reg(p + "w2", lora2(r_w));
    layer.a0 = reg(p + "a0", channels(d, [&](int64_t i) {
                     return -0.19 + 0.3 * zigzag(i) + 0.4 * linear(i);
                   }));
    layer.a1 = reg(p + "a1", full({d, r_a}, 0.0));
    layer.a2 = reg(p + "a2", lora2(r_a));
    if (l > 0) {
      layer.v0 = reg(p + "v0", channels(d, [&](int64_t i) { return 0.73 - 0.4 * linear(i); }));
      layer.v1 = reg(p + "v1", full({d, r_v}, 0.0));
      layer.v2 = reg(p + "v2", lora2(r_v));
    }
    layer.g1 = reg(p + "g1", full({d, r_g}, 0.0));
    layer.g2 = reg(p + "g2", lora2(r_g));
    layer.k_k = reg(p + "k_k", channels(d, [&](int64_t i) { return 0.71 - 0.1 * linear(i); }));
    layer.k_a = reg(p + "k_a", full({d}, 1.02));
    layer.r_k = reg(p + "r_k", full({H, N}, -0.04));
    layer.lnx_w = reg(p + "lnx_w", full({d}, 1.0));
    layer.lnx_b = reg(p + "lnx_b", full({d}, 0.0));
    layer.w_o = reg(p + "o", full({d, d}, 0.0));
    layer.ln2_w = reg(p + "ln2_w", full({d}, 1.0));
    layer.ln2_b = reg(p + "ln2_b", full({d}, 0.0));
    layer.mix_k = reg(p + "mix_k", channels(d, [&](int64_t i) {
                        return 1.0 - pow0(channel_ramp(i), ratio_1_to_0 * ratio_1_to_0 *
                                                               ratio_1_to_0 * ratio_1_to_0);
                      }));
    layer.w_key = reg(p + "key", orthogonal(f, d, std::sqrt(static_cast<double>(f) / d), rng));
    layer.w_val = reg(p + "val", full({d, f}, 0.0));
    layers_.push_back(layer);
  }
  ln_out_w_ = reg("ln_out_w", full({d}, 1.0));
  ln_out_b_ = reg("ln_out_b", full({d}, 0.0));
  lm_head_ = reg("lm_head", full({kVocab, d}, 0.0));
}

Rwkv::State Rwkv::zero_state(int64_t B) const {
  const int64_t d = config_.d_model, H = config_.n_head, N = head_dim_;
  State s;
  for (size_t l = 0; l < layers_.size(); ++l) {
    s.att_x.push_back(torch::zeros({B, d}, wte_.options()));
    s.ffn_x.push_back(torch::zeros({B, d}, wte_.options()));
    s.wkv.push_back(torch::zeros({B, H, N, N}, wte_.options()));
  }
  return s;
}

// x_{t−1} for every position of x (B, T, d): `last` (B, d) first, then x
// without its last position; `last` becomes x's last position.
static torch::Tensor shifted(const torch::Tensor& x, torch::Tensor& last) {
  const int64_t T = x.size(1);
  auto prev = T == 1 ? last.unsqueeze(1)
                     : torch::cat({last.unsqueeze(1), x.narrow(1, 0, T - 1)}, 1);
  last = x.select(1, T - 1);
  return prev;
}

torch::Tensor Rwkv::time_mix(const Layer& L, size_t l, const torch::Tensor& x, State& state,
                                 torch::Tensor& v_first) {
  const int64_t B = x.size(0), T = x.size(1), d = config_.d_model, H = config_.n_head,
                N = head_dim_, BT = B * T;
  auto xx = shifted(x, state.att_x[l]) - x;
  // x + (x_{t−1} − x)·μ for the six mixes at once: (6, B·T, d).
  auto xs = torch::addcmul(x.unsqueeze(0), xx.unsqueeze(0), L.mix.view({kMixRows, 1, 1, d}))
                .view({kMixRows, BT, d});
  auto rkv = torch::bmm(xs.narrow(0, 0, 3), L.w_rkv.view({3, d, d}).transpose(1, 2));
  auto r = rkv[0], k = rkv[1], v = rkv[2];  // (B·T, d)
  // d = exp(−exp(w)) with w = −softplus(−z) − 0.5, i.e. exp(−e^{−0.5}·σ(z)).
  static const double kDecayScale = detmath::exp(-0.5);
  auto z = L.w0 + torch::mm(torch::tanh(torch::mm(xs[3], L.w1)), L.w2);
  auto decay = torch::exp(torch::sigmoid(z) * -kDecayScale);
  if (l == 0)
    v_first = v;
  else
    v = v + (v_first - v) * torch::sigmoid(L.v0 + torch::mm(torch::mm(xs[2], L.v1), L.v2));
  auto a = torch::sigmoid(L.a0 + torch::mm(torch::mm(xs[4], L.a1), L.a2));
  auto g = torch::mm(torch::sigmoid(torch::mm(xs[5], L.g1)), L.g2);
  auto kk = unit_norm((k * L.k_k).view({BT, H, N}), -1).view({BT, d});
  k = k * (1 + (a - 1) * L.k_a);

  const std::vector<int64_t> shape{B, T, H, N};
  auto y = reference_wkv_
               ? wkv_reference(r.view(shape), decay.view(shape), k.view(shape), v.view(shape),
                               (-kk).view(shape), (kk * a).view(shape), state.wkv[l],
                               &state.wkv[l])
               : wkv(r.view(shape), decay.view(shape), k.view(shape), v.view(shape),
                     (-kk).view(shape), (kk * a).view(shape), state.wkv[l], &state.wkv[l]);
  y = torch::group_norm(y.view({BT, d}), H, L.lnx_w, L.lnx_b, kGroupNormEps);
  auto bonus = (r * k * L.r_k.view({d})).view({BT, H, N}).sum(-1, /*keepdim=*/true) *
               v.view({BT, H, N});
  return torch::linear((y + bonus.view({BT, d})) * g, L.w_o).view({B, T, d});
}

torch::Tensor Rwkv::channel_mix(const Layer& L, size_t l, const torch::Tensor& x,
                                    State& state) const {
  auto xk = torch::addcmul(x, shifted(x, state.ffn_x[l]) - x, L.mix_k);
  auto h = torch::relu(torch::linear(xk, L.w_key));
  return torch::linear(h * h, L.w_val);
}

torch::Tensor Rwkv::run(const torch::Tensor& inputs, State& state) {
  TORCH_CHECK(inputs.dim() == 2 && inputs.size(1) > 0, "rwkv: inputs must be [B, T] with T > 0");
  auto x = torch::embedding(wte_, inputs);  // (B, T, d)
  x = layer_norm(x, layers_[0].ln0_w, layers_[0].ln0_b);
  torch::Tensor v_first;
  for (size_t l = 0; l < layers_.size(); ++l) {
    const Layer& layer = layers_[l];
    x = x + time_mix(layer, l, layer_norm(x, layer.ln1_w, layer.ln1_b), state, v_first);
    x = x + channel_mix(layer, l, layer_norm(x, layer.ln2_w, layer.ln2_b), state);
  }
  auto logits = torch::linear(layer_norm(x, ln_out_w_, ln_out_b_), lm_head_);
  if (config_.logit_cap > 0) logits = torch::tanh(logits / config_.logit_cap) * config_.logit_cap;
  return logits;  // (B, T, 256)
}

torch::Tensor Rwkv::forward(const torch::Tensor& inputs) {
  State state = zero_state(inputs.size(0));
  return run(inputs, state);
}

void Rwkv::reset_state() {
  carried_ = seg_start_ = State{};
  batch_ = 0;
  max_steps_ = -1;
}

void Rwkv::begin_segment(const torch::Tensor& ctx_inputs, int64_t max_steps) {
  TORCH_CHECK(ctx_inputs.dim() == 2 && ctx_inputs.size(1) == 0,
              "rwkv: takes no context window (ctx_len must be 0; the carried state is the "
              "context), got ",
              ctx_inputs.sizes());
  TORCH_CHECK(max_steps >= 0, "rwkv: max_steps ", max_steps, " < 0");
  const int64_t B = ctx_inputs.size(0);
  if (batch_ == 0) {
    torch::NoGradGuard no_grad;
    carried_ = zero_state(B);
    batch_ = B;
  }
  TORCH_CHECK(B == batch_, "rwkv: ", B, " streams, but the carried state has ", batch_,
              " (reset_state() first)");
  // step() writes into the carried state's tensors, so the copy for training
  // must be a copy of the values.
  seg_start_ = State{};
  for (size_t l = 0; l < layers_.size(); ++l) {
    seg_start_.att_x.push_back(carried_.att_x[l].clone());
    seg_start_.ffn_x.push_back(carried_.ffn_x[l].clone());
    seg_start_.wkv.push_back(carried_.wkv[l].clone());
  }
  steps_ = 0;
  max_steps_ = max_steps;
}

std::vector<torch::Tensor> Rwkv::carried_state(int64_t batch) {
  if (batch_ == 0) {
    torch::NoGradGuard no_grad;
    carried_ = zero_state(batch);
    batch_ = batch;
  }
  TORCH_CHECK(batch == batch_, "rwkv: ", batch, " streams, but the carried state has ", batch_);
  std::vector<torch::Tensor> out;
  for (const auto* part : {&carried_.att_x, &carried_.ffn_x, &carried_.wkv})
    out.insert(out.end(), part->begin(), part->end());
  return out;
}

torch::Tensor Rwkv::step(const torch::Tensor& tokens) {
  TORCH_CHECK(max_steps_ >= 0 && steps_ < max_steps_, "rwkv: step ", steps_ + 1, " > max_steps ",
              max_steps_, " since begin_segment");
  TORCH_CHECK(tokens.dim() == 1 && tokens.size(0) == batch_, "rwkv: tokens must be [", batch_, "]");
  // NoGradGuard rather than InferenceMode: the carried state later starts
  // train_forward, and inference tensors may not take part in autograd.
  torch::NoGradGuard no_grad;
  ++steps_;
  // The new state is copied into the carried tensors rather than replacing
  // them: they stay at the same addresses, so that a CUDA graph captured
  // around step() reads and writes the state every replay.
  State next = carried_;
  auto logits = run(tokens.view({batch_, 1}), next).select(1, 0);  // (B, 256)
  for (size_t l = 0; l < layers_.size(); ++l) {
    carried_.att_x[l].copy_(next.att_x[l]);
    carried_.ffn_x[l].copy_(next.ffn_x[l]);
    carried_.wkv[l].copy_(next.wkv[l]);
  }
  return logits;
}

torch::Tensor Rwkv::train_forward(const torch::Tensor& inputs) {
  TORCH_CHECK(max_steps_ >= 0 && inputs.dim() == 2 && inputs.size(0) == batch_ &&
                  inputs.size(1) <= max_steps_,
              "rwkv: train_forward takes [", batch_, ", ≤ ", max_steps_,
              "] after begin_segment, got ", inputs.sizes());
  State state = seg_start_;
  return run(inputs, state);
}

ParamGroups Rwkv::param_groups() {
  ParamGroups groups;
  for (const Layer& layer : layers_) {
    groups.muon.insert(groups.muon.end(), {layer.w_rkv, layer.w_o, layer.w_key, layer.w_val});
    groups.muon_blocks.insert(groups.muon_blocks.end(), {3, 1, 1, 1});
  }
  // Everything else — embedding, head, norms, mixes, LoRA factors, scalars —
  // takes AdamW.
  for (const auto& p : parameters()) {
    bool in_muon = false;
    for (const auto& m : groups.muon) in_muon |= p.is_same(m);
    if (!in_muon) groups.adam.push_back(p);
  }
  return groups;
}

}  // namespace nncomp::models
