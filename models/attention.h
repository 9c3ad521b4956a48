// attention.h — pieces the transformer kinds (gpt, ngpt) share: rotary
// position tables, causal attention over a window after cached context, and
// single-step attention over the cache.
//
// Shapes: B streams, H heads, T window positions, ctx cached context
// positions, hd = head_dim. The same operations in the same order serve both
// kinds, so each kind's step mode agrees with its training forward.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "nncomp/config.h"

namespace nncomp::models {

/// head_dim = d_model / n_head. Throws nncomp::Error(kUsage), naming `kind`,
/// unless d_model is a positive multiple of 2·n_head (RoPE rotates pairs).
int64_t checked_head_dim(const ModelConfig& config, const char* kind);

/// Rotary position embedding (Su et al. 2021, arXiv 2104.09864), rotate-half
/// layout: angle(pos, i) = pos · base^(−2i/hd), i < hd/2. The tables are
/// built with models/detmath.h, so they are the same bits on every machine.
class Rope {
 public:
  /// Tables for positions 0..max_len-1; head_dim must be even.
  Rope(int64_t max_len, int64_t head_dim, double base);

  /// x (..., len, hd) at positions pos0..pos0+len-1, or (..., hd) at the
  /// single position pos0 when len == 0 → rotated, same shape.
  torch::Tensor apply(const torch::Tensor& x, int64_t pos0, int64_t len) const;

 private:
  int64_t half_;
  torch::Tensor cos_, sin_;  // (max_len, hd/2)
};

/// Step-mode cache of rotated keys and values: per layer (B, H, max_len, hd).
struct KvCache {
  std::vector<torch::Tensor> k, v;

  /// (Re)allocate zeros for B streams unless already sized for B.
  void ensure(int64_t n_layer, int64_t B, int64_t H, int64_t max_len, int64_t hd);
  bool empty() const { return k.empty(); }
};

/// Causal softmax attention of q (B, H, T, hd) at positions ctx..ctx+T-1 over
/// the first ctx cached positions of layer `l` (as constants: no gradient
/// flows into them) followed by k, v (B, H, T, hd); logits × `scale`.
/// Returns (B, T, H·hd).
torch::Tensor window_attention(const torch::Tensor& q, torch::Tensor k, torch::Tensor v,
                               const KvCache& cache, size_t l, int64_t ctx, double scale);

/// One step at position `pos`: q (B, H, hd) over cached positions 0..pos of
/// layer `l` (the caller stored this position's k, v first). Returns (B, H·hd).
torch::Tensor step_attention(const torch::Tensor& q, const KvCache& cache, size_t l, int64_t pos,
                             double scale);

}  // namespace nncomp::models
