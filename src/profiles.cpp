// profiles.cpp — named configurations per model kind.
//
// tiny: for tests, seconds per 100 KB. cpu: the CPU default, chosen by
// measurement on enwik6 (README "Profiles" gives the figures). fast and
// default: for a GPU (--device cuda), sized from the FLOP and launch-latency
// estimates of docs/gpu.md for 10^8 bytes in ≤ 10 minutes (fast) and about an
// hour (default); they have not yet been tuned by measurement on a GPU.
#include <map>

#include "models/model.h"
#include "nncomp/nncomp.h"

namespace nncomp {
namespace {

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

// nGPT: gpt's profiles with another model kind; SwiGLU of width 3·d_model in
// `cpu` (about gpt's time per byte); no logit cap (the learned s_z scales the
// logits); `cpu`'s AdamW lr chosen on the first 300,000 bytes of enwik8
// (docs/ngpt.md).
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

// RWKV-7: gpt's profiles with another model kind, no context window (the
// recurrent state carries the context) and no logit cap. `cpu`: 3 layers and
// heads of 32, which gives gpt/cpu's time per byte (docs/rwkv.md).
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

const std::map<std::string, Config>* profiles_of(const std::string& model) {
  switch (models::model_kind(model)) {
    case ModelKind::kGpt: return &gpt_profiles();
    case ModelKind::kNgpt: return &ngpt_profiles();
    case ModelKind::kRwkv: return &rwkv_profiles();
    default: return nullptr;
  }
}

}  // namespace

Config profile(const std::string& model, const std::string& name) {
  const auto* table = profiles_of(model);
  if (!table) throw Error(ErrorKind::kUnsupported, "model '" + model + "' is not available in this build");
  auto it = table->find(name);
  if (it == table->end()) {
    std::string known;
    for (const auto& [k, v] : *table) known += (known.empty() ? "" : ", ") + k;
    throw Error(ErrorKind::kUsage, "unknown profile '" + name + "' for model " + model + " (known: " + known + ")");
  }
  return it->second;
}

std::vector<std::string> profile_names(const std::string& model) {
  std::vector<std::string> names;
  if (const auto* table = profiles_of(model))
    for (const auto& [k, v] : *table) names.push_back(k);
  return names;
}

std::vector<std::string> model_names() { return models::model_names(); }
std::string model_name(ModelKind kind) { return models::model_name(kind); }
ModelKind model_kind(const std::string& name) { return models::model_kind(name); }

}  // namespace nncomp
