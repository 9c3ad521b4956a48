// model_util.h — helpers shared by the model tests.
#pragma once

#include <torch/torch.h>

#include "models/model.h"

namespace nncomp::models::testing {

/// Small random values on every parameter, so that the zero-initialised
/// projections and head take part in the computation.
inline void perturb(Model& model, uint64_t seed) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(seed);
  for (auto& p : model.parameters()) p.add_(torch::randn_like(p) * 0.1);
}

/// int64 [b, t] of uniform random bytes (LibTorch's generator).
inline torch::Tensor random_bytes(int64_t b, int64_t t) {
  return torch::randint(0, kVocab, {b, t}, torch::kInt64);
}

}  // namespace nncomp::models::testing
