// kinds.cpp — one row per model kind (see kinds.h): rules, counts, profiles.
//
// Counts are for the memory estimate and nncomp-flops, not for the model:
// each is an upper bound or a close estimate of what the kind's code does
// (models/gpt.h, models/ngpt.h, models/rwkv.h). Profiles: `tiny` for tests
// (seconds per 100 KB); `cpu`, the CPU default, chosen by measurement on
// enwik6 (README "Profiles"); `fast` and `default` for a GPU, sized from the
// FLOP and launch-latency estimates of docs/gpu.md for 10^8 bytes in
// ≤ 10 minutes (fast) and about an hour (default).
#include "models/kinds.h"

#include <algorithm>
#include <array>

#include "models/rwkv_shape.h"

namespace nncomp::models {
namespace {

constexpr double kVocabD = 256.0;

// Newton–Schulz FLOPs of `blocks` blocks of rows×cols, `iters` iterations.
double ns_flops(double rows, double cols, double blocks, double iters) {
  const double m = std::min(rows, cols), n = std::max(rows, cols);
  return blocks * iters * (4 * m * m * n + 2 * m * m * m);
}

double window(const EngineConfig& e) { return double(e.ctx_len) + e.seg_len; }

// The bytes of a transformer's run beyond its weights (gpt, ngpt), an upper
// bound of what models/attention.cpp and the kinds' forwards allocate
// (float32 throughout; W = ctx_len + seg_len, hd = head_dim):
//   step cache   keys and values of every layer over the window, 8·L·B·W·d,
//                and the rotary tables, 4·W·hd;
//   context      begin_segment's forward over the ctx_len positions: per
//                position some (8 + 3·ffn_mult)·d floats, and in every layer
//                but the last (whose attention is not needed) the causal
//                scores, up to three (B, H, C, C) tensors alive plus the
//                (C, C) mask;
//   training     kept for backward, per layer: per trained token
//                `token_floats`·d floats, three (B, H, S, W) attention
//                tensors, the (S, W) mask and the context's keys and values
//                copied into the window (2·B·W·d floats, twice while being
//                concatenated); backward's transients add half again.
double transformer_run_bytes(const Config& c, double token_floats) {
  const ModelConfig& m = c.model;
  const EngineConfig& e = c.engine;
  const double d = m.d_model, L = m.n_layer, B = e.n_streams, S = e.seg_len, C = e.ctx_len;
  const double H = m.n_head, hd = d / H, W = window(e), f = m.ffn_mult;
  const double cache = 8.0 * L * B * W * d + 4.0 * W * hd;
  const double context =
      C > 0 ? 4.0 * (B * C * (8.0 + 3.0 * f) * d + (L > 1 ? 3.0 * B * H * C * C + C * C : 0.0))
            : 0.0;
  const double train =
      1.5 * 4.0 * L * (B * S * token_floats * d + 3.0 * B * H * S * W + S * W + 4.0 * B * W * d);
  return cache + context + train;
}

double gpt_run_bytes(const Config& c) {
  return transformer_run_bytes(c, 12.0 + 3.0 * c.model.ffn_mult);
}

// ---- gpt --------------------------------------------------------------------

double gpt_params(const ModelConfig& m) {
  const double d = m.d_model;
  return m.n_layer * (4.0 + 2.0 * m.ffn_mult) * d * d + 2 * kVocabD * d;
}

KindWork gpt_work(const Config& c) {
  const auto& m = c.model;
  const auto& e = c.engine;
  const double d = m.d_model, L = m.n_layer, f = m.ffn_mult * d;
  const double S = e.seg_len, C = e.ctx_len, B = e.n_streams, ns = c.optim.ns_steps;
  const double dense = 2 * (4 * d * d + 2 * d * f), mixer = 4 * d * (C + S / 2);
  KindWork w;
  w.step = L * (dense + mixer) + 2 * kVocabD * d;
  w.context = C > 0 ? C / S * L * (dense + 4 * d * C / 2) : 0;
  w.train = 3 * w.step;
  w.optim = L * (ns_flops(d, d, 3, ns) + ns_flops(d, d, 1, ns) + 2 * ns_flops(f, d, 1, ns)) / (B * S);
  w.params = gpt_params(m);
  return w;
}

const std::map<std::string, Config>& gpt_profiles() {
  static const std::map<std::string, Config> table = [] {
    std::map<std::string, Config> t;
    Config tiny;
    tiny.model = {ModelKind::kGpt, /*n_layer=*/1, /*d_model=*/32, /*n_head=*/1, /*ffn_mult=*/2,
                  /*rope_base=*/1024.0, /*logit_cap=*/15.0};
    tiny.engine = {/*n_streams=*/4, /*seg_len=*/16, /*ctx_len=*/16};
    tiny.optim.muon_lr = 0.02;
    t["tiny"] = tiny;

    Config cpu;
    cpu.model = {ModelKind::kGpt, /*n_layer=*/4, /*d_model=*/192, /*n_head=*/3, /*ffn_mult=*/4,
                 /*rope_base=*/1024.0, /*logit_cap=*/15.0};
    cpu.engine = {/*n_streams=*/16, /*seg_len=*/32, /*ctx_len=*/64};
    cpu.optim.muon_lr = 0.02;
    cpu.optim.lr_end_frac = 0.25;
    cpu.optim.adam_lr = 8e-3;
    t["cpu"] = cpu;

    // GPU: many streams keep the device busy at one step per byte of every
    // stream; the learning rates are cpu's.
    Config fast = cpu;
    fast.model.n_layer = 4;
    fast.model.d_model = 256;
    fast.model.n_head = 4;
    fast.engine = {/*n_streams=*/256, /*seg_len=*/64, /*ctx_len=*/64};
    t["fast"] = fast;

    Config gpu_default = cpu;
    gpu_default.model.n_layer = 6;
    gpu_default.model.d_model = 384;
    gpu_default.model.n_head = 6;
    gpu_default.engine = {/*n_streams=*/128, /*seg_len=*/64, /*ctx_len=*/128};
    t["default"] = gpu_default;
    return t;
  }();
  return table;
}

// ---- ngpt: SwiGLU MLP (u and v of width ffn_mult·d), scaling vectors ----------

// SwiGLU keeps u, v and their product: 1.5× gpt's MLP floats per token.
double ngpt_run_bytes(const Config& c) {
  return transformer_run_bytes(c, 16.0 + 5.0 * c.model.ffn_mult);
}

double ngpt_params(const ModelConfig& m) {
  const double d = m.d_model, f = m.ffn_mult * d;
  // per layer: q/k/v, output, u/v and MLP output matrices; α_A, α_M, s_qk, s_uv
  return m.n_layer * ((4.0 + 3.0 * m.ffn_mult) * d * d + 3 * d + 2 * f) + 2 * kVocabD * d +
         kVocabD;
}

KindWork ngpt_work(const Config& c) {
  const auto& m = c.model;
  const auto& e = c.engine;
  const double d = m.d_model, L = m.n_layer, f = m.ffn_mult * d;
  const double S = e.seg_len, C = e.ctx_len, B = e.n_streams, ns = c.optim.ns_steps;
  const double dense = 2 * (4 * d * d + 3 * d * f), mixer = 4 * d * (C + S / 2);
  KindWork w;
  w.step = L * (dense + mixer) + 2 * kVocabD * d;
  w.context = C > 0 ? C / S * L * (dense + 4 * d * C / 2) : 0;
  w.train = 3 * w.step;
  w.optim = L *
            (ns_flops(d, d, 3, ns) + ns_flops(d, d, 1, ns) + ns_flops(f, d, 2, ns) +
             ns_flops(d, f, 1, ns)) /
            (B * S);
  w.params = L * (4 * d * d + 3 * d * f) + 2 * kVocabD * d;
  return w;
}

// gpt's profiles with another kind; SwiGLU of width 3·d_model in `cpu` (about
// gpt's time per byte); no logit cap (the learned s_z scales the logits);
// `cpu`'s AdamW lr chosen on the first 300,000 bytes of enwik8 (docs/ngpt.md).
const std::map<std::string, Config>& ngpt_profiles() {
  static const std::map<std::string, Config> table = [] {
    std::map<std::string, Config> t = gpt_profiles();
    for (auto& [name, config] : t) {
      config.model.kind = ModelKind::kNgpt;
      config.model.logit_cap = 0.0;
    }
    for (const char* name : {"cpu", "fast", "default"}) {
      t[name].model.ffn_mult = 3;
      t[name].optim.adam_lr = 2e-3;
    }
    return t;
  }();
  return table;
}

// ---- rwkv: time mix with LoRA factors, channel mix, the wkv state ------------

double rwkv_params(const ModelConfig& m) {
  const double d = m.d_model;
  const RwkvLoraRanks r = rwkv_lora_ranks(m.d_model);
  const double lora = static_cast<double>(r.w + r.a + r.v + r.g);
  // per layer: r/k/v, output, key and value matrices, both factors of every
  // LoRA, and 21 vectors of d (norms, mixes, decay, a0, v0, k_k, k_a, r_k, …)
  return m.n_layer * ((4.0 + 2.0 * m.ffn_mult) * d * d + 2 * d * lora + 21 * d) +
         2 * kVocabD * d + 4 * d;
}

// The transformer bound with no context (its window terms cover the
// segment's token-shift and LoRA temporaries), with the time mix's some 40
// vectors of d per trained token, plus the N×N wkv state per head and layer
// (d·N floats per stream), kept as the carried state, the copy at the segment
// start and, for training, before every step of the segment (CPU; the GPU
// keeps fewer).
double rwkv_run_bytes(const Config& c) {
  const ModelConfig& m = c.model;
  const double d = m.d_model, hd = d / m.n_head;
  const RwkvLoraRanks r = rwkv_lora_ranks(m.d_model);
  const double lora = static_cast<double>(r.w + r.a + r.v + r.g) / d;
  return transformer_run_bytes(c, 40.0 + 3.0 * m.ffn_mult + 2.0 * lora) +
         4.0 * m.n_layer * c.engine.n_streams * d * hd * (3.0 + c.engine.seg_len);
}

KindWork rwkv_work(const Config& c) {
  const auto& m = c.model;
  const auto& e = c.engine;
  const double d = m.d_model, L = m.n_layer, f = m.ffn_mult * d;
  const double S = e.seg_len, B = e.n_streams, ns = c.optim.ns_steps;
  const RwkvLoraRanks r = rwkv_lora_ranks(m.d_model);
  const double lora = static_cast<double>(r.w + r.a + r.v + r.g), N = d / m.n_head;
  const double dense = 2 * (4 * d * d + 2 * d * f + 2 * d * lora), mixer = 8 * N * d;
  KindWork w;
  w.step = L * (dense + mixer) + 2 * kVocabD * d;
  w.train = 3 * w.step;
  w.optim = L * (ns_flops(d, d, 3, ns) + ns_flops(d, d, 1, ns) + 2 * ns_flops(f, d, 1, ns)) / (B * S);
  w.params = L * (4 * d * d + 2 * d * f + 2 * d * lora) + 2 * kVocabD * d;
  return w;
}

// gpt's profiles with another kind, no context window (the recurrent state
// carries the context) and no logit cap. `cpu`: 3 layers and heads of 32,
// which gives gpt/cpu's time per byte (docs/rwkv.md).
const std::map<std::string, Config>& rwkv_profiles() {
  static const std::map<std::string, Config> table = [] {
    std::map<std::string, Config> t = gpt_profiles();
    for (auto& [name, config] : t) {
      config.model.kind = ModelKind::kRwkv;
      config.model.logit_cap = 0.0;
      config.engine.ctx_len = 0;
    }
    t["cpu"].model.n_layer = 3;
    t["cpu"].model.n_head = 6;
    t["fast"].model.n_head = 4;     // heads of 64
    t["default"].model.n_head = 6;  // heads of 64
    return t;
  }();
  return table;
}

// ---- none: no neural model, context mixing alone --------------------------------

double no_params(const ModelConfig&) { return 0; }
double no_run_bytes(const Config&) { return 0; }
KindWork no_work(const Config&) { return {}; }

// One stream (the context models learn best from the input in order); the
// segment length only sets the checkpoint grouping. The model fields are
// stored as written and ignored.
const std::map<std::string, Config>& none_profiles() {
  static const std::map<std::string, Config> table = [] {
    Config c;
    c.model = {ModelKind::kNone, /*n_layer=*/1, /*d_model=*/32, /*n_head=*/1, /*ffn_mult=*/1,
               /*rope_base=*/1024.0, /*logit_cap=*/0.0};
    c.engine = {/*n_streams=*/1, /*seg_len=*/1024, /*ctx_len=*/0};
    c.mixer.neural = 0;
    return std::map<std::string, Config>{{"cpu", c}, {"tiny", c}};
  }();
  return table;
}

// ---- the table ---------------------------------------------------------------

const std::array<KindSpec, 4> kTable = {{
    {ModelKind::kGpt, "gpt", "modern GPT (RoPE, RMSNorm, QK-norm, ReLU^2)",
     /*takes_context=*/true, /*head_dims=*/{}, /*even_head_dim=*/true, gpt_params,
     gpt_run_bytes, gpt_work, gpt_profiles},
    {ModelKind::kRwkv, "rwkv", "RWKV-7 recurrent model (no context window)",
     /*takes_context=*/false, kRwkvHeadDims, /*even_head_dim=*/false, rwkv_params,
     rwkv_run_bytes, rwkv_work, rwkv_profiles},
    {ModelKind::kNgpt, "ngpt", "normalized transformer (unit-norm weights and states)",
     /*takes_context=*/true, /*head_dims=*/{}, /*even_head_dim=*/true, ngpt_params,
     ngpt_run_bytes, ngpt_work, ngpt_profiles},
    {ModelKind::kNone, "none", "no neural model: context mixing alone, fast",
     /*takes_context=*/false, /*head_dims=*/{}, /*even_head_dim=*/false, no_params, no_run_bytes,
     no_work, none_profiles},
}};

}  // namespace

std::span<const KindSpec> kind_table() { return kTable; }

const KindSpec* find_kind(ModelKind kind) {
  for (const KindSpec& k : kTable)
    if (k.kind == kind) return &k;
  return nullptr;
}

const KindSpec* find_kind(std::string_view name) {
  for (const KindSpec& k : kTable)
    if (name == k.name) return &k;
  return nullptr;
}

std::string kind_names() {
  std::string s;
  for (const KindSpec& k : kTable) s.append(s.empty() ? "" : ", ").append(k.name);
  return s;
}

std::string kind_values() {
  std::string s;
  for (const KindSpec& k : kTable)
    s.append(s.empty() ? "" : ", ")
        .append(std::to_string(static_cast<unsigned>(k.kind)))
        .append(" ")
        .append(k.name);
  return s;
}

}  // namespace nncomp::models
