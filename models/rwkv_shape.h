// rwkv_shape.h — the shape rules of an RWKV-7 layer: the head sizes the wkv
// kernels are built for and the ranks of its LoRA factors. Header-only and
// without LibTorch, so that the kind table, the CUDA kernels and tools counting
// the model's work share one definition.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <string>

namespace nncomp::models {

/// Head sizes N = d_model / n_head that the wkv kernels are instantiated for
/// (models/wkv_cuda.cu); the CPU loops take the same ones.
inline constexpr std::array<uint32_t, 4> kRwkvHeadDims = {16, 32, 64, 128};

/// "16, 32, 64 or 128": kRwkvHeadDims for messages.
inline std::string rwkv_head_dims_text() {
  std::string s;
  for (size_t i = 0; i < kRwkvHeadDims.size(); ++i)
    s.append(i == 0 ? "" : i + 1 == kRwkvHeadDims.size() ? " or " : ", ")
        .append(std::to_string(kRwkvHeadDims[i]));
  return s;
}

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
