// rwkv_lora.h — the LoRA ranks of an RWKV-7 layer. Header-only and without
// LibTorch, so that tools counting the model's work can use it.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace nncomp::models {

/// Ranks of the LoRA factors of a layer of width d_model: decay (w),
/// in-context learning rate (a), value residual (v), output gate (g); the
/// reference's max(32, round(c·√d / 32)·32) with c = 2.5, 2.5, 1.7, 5.
struct RwkvLoraRanks {
  int64_t w, a, v, g;
};
inline RwkvLoraRanks rwkv_lora_ranks(int64_t d_model) {
  auto rank = [d_model](double c) {
    const double units = std::round(c * std::sqrt(static_cast<double>(d_model)) / 32.0);
    return std::max<int64_t>(32, static_cast<int64_t>(units) * 32);
  };
  return {rank(2.5), rank(2.5), rank(1.7), rank(5.0)};
}

}  // namespace nncomp::models
