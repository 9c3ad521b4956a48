// config_rules.cpp — see config_rules.h.
#include "src/config_rules.h"

#include <fmt/format.h>

#include <algorithm>
#include <span>

#include "models/kinds.h"
#include "src/field_checks.h"
#include "src/mixing.h"

namespace nncomp {
namespace {

constexpr double kMaxModelBytes = 256.0 * (1u << 30);  // 256 GiB: no machine has more for one run
// Rates and factors of the optimizer and schedule: far above any useful value,
// low enough that no product of them (lr × schedule × √(rows/cols), lr /
// (1 − β1^t), 1 − lr × weight_decay) leaves the float32 range the optimizer
// computes in.
constexpr double kMaxRate = 1e4;
// The process itself: LibTorch's libraries, allocator and thread pools (peak
// RSS of a run of the tiny profile on 1 byte is about 330 MiB).
constexpr double kBaselineBytes = 512.0 * (1u << 20);

// "16, 32, 64 or 128".
std::string or_list(std::span<const uint32_t> values) {
  std::string s;
  for (size_t i = 0; i < values.size(); ++i)
    s += fmt::format("{}{}", i == 0 ? "" : i + 1 == values.size() ? " or " : ", ", values[i]);
  return s;
}

// head_dim against the kind's rules: its list of sizes, or evenness.
std::string head_dim_problem(const models::KindSpec& kind, const ModelConfig& m) {
  const uint32_t hd = m.d_model / m.n_head;
  if (!kind.head_dims.empty() &&
      std::find(kind.head_dims.begin(), kind.head_dims.end(), hd) == kind.head_dims.end())
    return fmt::format("{} head_dim {} (d_model / n_head) is not {}", kind.name, hd,
                       or_list(kind.head_dims));
  if (kind.even_head_dim && hd % 2 != 0)
    return fmt::format("{} head_dim {} (d_model / n_head) must be even (rotary embeddings rotate "
                       "pairs of channels)",
                       kind.name, hd);
  return {};
}

// The mixer against the model kind and its own rules.
std::string mixer_problem(const Config& c) {
  const MixerConfig& x = c.mixer;
  const bool no_model = c.model.kind == ModelKind::kNone;
  if (x.mode != MixerMode::kNone && x.mode != MixerMode::kContextMixing)
    return fmt::format("mixer mode {} unknown (0 none, 1 context mixing)",
                       static_cast<unsigned>(x.mode));
  if (x.mode == MixerMode::kNone)
    return no_model ? "model kind none needs the context mixer (mixer mode 1)" : "";
  if (std::string p = mix::config_problem(to_mix(x)); !p.empty()) return p;
  if (x.neural != (no_model ? 0 : 1))
    return fmt::format("mixer neural {} with model kind {}: must be {}", x.neural,
                       no_model ? "none" : "with a neural model", no_model ? 0 : 1);
  return {};
}

}  // namespace

std::string config_problem(const Config& c) {
  const ModelConfig& m = c.model;
  const EngineConfig& e = c.engine;
  const OptimConfig& o = c.optim;
  std::string p;
  auto bad = [&p](std::string problem) {  // records the problem, true if any
    p = std::move(problem);
    return !p.empty();
  };
  const models::KindSpec* kind = models::find_kind(m.kind);
  if (!kind)
    return fmt::format("model kind {} unknown (known: {})", static_cast<unsigned>(m.kind),
                       models::kind_values());
  if (bad(check_range("n_layer", m.n_layer, 1, 256))) return p;
  if (bad(check_range("d_model", m.d_model, 1, 65536))) return p;
  if (bad(check_range("n_head", m.n_head, 1, m.d_model))) return p;
  if (m.d_model % m.n_head != 0)
    return fmt::format("n_head {} does not divide d_model {}", m.n_head, m.d_model);
  if (bad(check_range("ffn_mult", m.ffn_mult, 1, 64))) return p;
  if (bad(check_double("rope_base", m.rope_base, /*positive=*/true))) return p;
  if (bad(check_double("logit_cap", m.logit_cap))) return p;
  if (bad(check_range("n_streams", e.n_streams, 1, 65536))) return p;
  if (bad(check_range("seg_len", e.seg_len, 1, 65536))) return p;
  if (bad(check_range("ctx_len", e.ctx_len, 0, 1048576))) return p;
  if (bad(head_dim_problem(*kind, m))) return p;
  if (!kind->takes_context && e.ctx_len != 0)
    return fmt::format(
        "{} takes no context window (its state carries the context): ctx_len must be 0, not {}",
        kind->name, e.ctx_len);
  if (bad(check_double("muon_lr", o.muon_lr, false, kMaxRate))) return p;
  if (bad(check_double("muon_momentum", o.muon_momentum, false, 1.0))) return p;
  if (bad(check_range("ns_steps", o.ns_steps, 0, 100))) return p;
  if (bad(check_double("adam_lr", o.adam_lr, false, kMaxRate))) return p;
  if (bad(check_fraction_below_one("adam_beta1", o.adam_beta1))) return p;
  if (bad(check_fraction_below_one("adam_beta2", o.adam_beta2))) return p;
  if (bad(check_double("adam_eps", o.adam_eps, false, kMaxRate))) return p;
  if (bad(check_double("weight_decay", o.weight_decay, false, kMaxRate))) return p;
  if (bad(check_double("lr_end_frac", o.lr_end_frac, false, kMaxRate))) return p;
  if (bad(mixer_problem(c))) return p;
  // Refuse what no machine has (the memory check of the API then compares
  // the same estimate with the machine's memory).
  if (const double need = memory_estimate(c, 0); need > kMaxModelBytes)
    return fmt::format(
        "model, caches, training activations and mixer tables would need {:.0f} GiB (limit {:.0f} "
        "GiB)",
        need / (1u << 30), kMaxModelBytes / (1u << 30));
  return {};
}

uint32_t choose_checkpoint_segments(uint64_t size, const EngineConfig& engine) {
  const uint64_t per_segment = static_cast<uint64_t>(engine.n_streams) * engine.seg_len;
  const uint64_t want = std::max<uint64_t>(65536, size / 256);
  const uint64_t segments = std::max<uint64_t>(1, (want + per_segment - 1) / per_segment);
  return static_cast<uint32_t>(std::min<uint64_t>(segments, UINT32_MAX));  // u32 in the header
}

double memory_estimate(const Config& c, uint64_t original_size) {
  const models::KindSpec* kind = models::find_kind(c.model.kind);
  if (!kind) return 0;  // config_problem names the kind first
  const double d = c.model.d_model, f = c.model.ffn_mult;
  const double B = c.engine.n_streams, S = c.engine.seg_len, C = c.engine.ctx_len;
  // Weights, gradients and two optimizer moments: 4 float32 copies; Muon's
  // Newton–Schulz temporaries of the largest matrix (f·d × d).
  const double weights = 16.0 * kind->n_params(c.model) + 4.0 * (5.0 * f * d * d + 2.0 * d * d);
  // The engine's per-stream buffers: the step tables (probabilities and cdf,
  // 513 floats per step and stream), the training logits with their
  // gradient and loss (3 × 256 floats), the token windows and transfers.
  const double engine = B * S * 4.0 * (513.0 + 768.0 + 16.0) + B * C * 24.0;
  // The input, the stream-major token buffer and the coded output.
  const double data = 3.0 * static_cast<double>(original_size);
  // The context mixer's tables and per-stream state (its own upper bound).
  const double mixer = c.mixer.mode == MixerMode::kContextMixing
                           ? static_cast<double>(mix::memory_bytes(to_mix(c.mixer), c.engine.n_streams))
                           : 0.0;
  if (c.model.kind == ModelKind::kNone) return kBaselineBytes + mixer + data;
  return kBaselineBytes + weights + kind->run_bytes(c) + engine + mixer + data;
}

}  // namespace nncomp
