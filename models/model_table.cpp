// model_table.cpp — the factory: one line per model kind, from its enum value
// to its LibTorch module. Everything else about a kind is its row in the
// kind table (models/kinds.h).
#include <array>
#include <utility>

#include "models/gpt.h"
#include "models/kinds.h"
#include "models/ngpt.h"
#include "models/rwkv.h"
#include "nncomp/error.h"

namespace nncomp::models {
namespace {

using Factory = std::shared_ptr<Model> (*)(const ModelConfig&, int64_t, uint64_t);

template <typename M>
std::shared_ptr<Model> make(const ModelConfig& c, int64_t max_len, uint64_t seed) {
  return std::make_shared<M>(c, max_len, seed);
}

constexpr std::array<std::pair<ModelKind, Factory>, 3> kFactories = {{
    {ModelKind::kGpt, make<Gpt>},
    {ModelKind::kRwkv, make<Rwkv>},
    {ModelKind::kNgpt, make<Ngpt>},
}};

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
  Factory factory = nullptr;
  for (const auto& [kind, f] : kFactories)
    if (kind == config.kind) factory = f;
  if (!factory)
    throw Error(ErrorKind::kCorrupt,
                "unknown model kind " + std::to_string(static_cast<unsigned>(config.kind)) +
                    " (known: " + kind_values() + ")");
  if (config.n_layer == 0 || config.d_model == 0 || config.n_head == 0 || config.ffn_mult == 0)
    throw Error(ErrorKind::kUsage, "model shape: n_layer, d_model, n_head, ffn_mult must be > 0");
  auto model = factory(config, max_len, seed);
  if (device != torch::Device(torch::kCPU)) model->place(device);
  return model;
}

}  // namespace nncomp::models
