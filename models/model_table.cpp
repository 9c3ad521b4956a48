// model_table.cpp — the model kinds: enum value, name, factory (one place).
#include <array>

#include "models/gpt.h"
#include "models/ngpt.h"
#include "models/rwkv.h"
#include "nncomp/error.h"

namespace nncomp::models {
namespace {

struct Entry {
  ModelKind kind;
  const char* name;
  std::shared_ptr<Model> (*make)(const ModelConfig&, int64_t, uint64_t);  // null: not built yet
};

constexpr std::array<Entry, 3> kTable = {{
    {ModelKind::kGpt, "gpt",
     [](const ModelConfig& c, int64_t max_len, uint64_t seed) -> std::shared_ptr<Model> {
       return std::make_shared<GptImpl>(c, max_len, seed);
     }},
    {ModelKind::kRwkv, "rwkv",
     [](const ModelConfig& c, int64_t max_len, uint64_t seed) -> std::shared_ptr<Model> {
       return std::make_shared<RwkvImpl>(c, max_len, seed);
     }},
    {ModelKind::kNgpt, "ngpt",
     [](const ModelConfig& c, int64_t max_len, uint64_t seed) -> std::shared_ptr<Model> {
       return std::make_shared<NgptImpl>(c, max_len, seed);
     }},
}};

const Entry& entry(ModelKind kind) {
  for (const auto& e : kTable)
    if (e.kind == kind) return e;
  throw Error(ErrorKind::kCorrupt, "unknown model kind " + std::to_string(static_cast<int>(kind)));
}

}  // namespace

int64_t Model::n_params() {
  int64_t n = 0;
  for (const auto& p : parameters()) n += p.numel();
  return n;
}

torch::Tensor unit_norm(const torch::Tensor& x, int64_t dim) {
  return x / torch::linalg_vector_norm(x, 2, dim, /*keepdim=*/true).clamp_min(1e-12);
}

std::shared_ptr<Model> make_model(const ModelConfig& config, int64_t max_len, uint64_t seed,
                                  const torch::Device& device) {
  const Entry& e = entry(config.kind);
  if (!e.make)
    throw Error(ErrorKind::kUnsupported,
                std::string("model '") + e.name + "' is not available in this build");
  if (config.n_layer == 0 || config.d_model == 0 || config.n_head == 0 || config.ffn_mult == 0)
    throw Error(ErrorKind::kUsage, "model shape: n_layer, d_model, n_head, ffn_mult must be > 0");
  auto model = e.make(config, max_len, seed);
  if (device != torch::Device(torch::kCPU)) model->place(device);
  return model;
}

std::string model_name(ModelKind kind) { return entry(kind).name; }

ModelKind model_kind(const std::string& name) {
  for (const auto& e : kTable)
    if (name == e.name) return e.kind;
  throw Error(ErrorKind::kUsage, "unknown model '" + name + "' (known: gpt, rwkv, ngpt)");
}

std::vector<std::string> model_names() {
  std::vector<std::string> names;
  for (const auto& e : kTable) names.emplace_back(e.name);
  return names;
}

}  // namespace nncomp::models
