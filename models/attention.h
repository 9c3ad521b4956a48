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

  /// Move the tables to `device` (the values are unchanged).
  void to(const torch::Device& device);

 private:
  int64_t half_;
  torch::Tensor cos_, sin_;  // (max_len, hd/2)
};

/// Step-mode state of a transformer: per layer the keys and values
/// (B, H, max_len, hd) of the positions seen so far, and where the current
/// segment stands. `kind` names the model in error messages.
struct KvCache {
  std::vector<torch::Tensor> k, v;
  int64_t ctx = 0, pos = 0, pos_end = 0;  // context length, next step, limit

  /// Start a segment of at most `max_steps` steps after `ctx_len` context
  /// positions: (re)allocates zeros with `options` (float32 on the model's
  /// device) for B streams unless already sized for B; the buffers then stay
  /// where they are, so step mode can be captured in a CUDA graph.
  /// Throws c10::Error if ctx_len + max_steps > max_len.
  void begin(const char* kind, int64_t n_layer, int64_t B, int64_t H, int64_t max_len, int64_t hd,
             int64_t ctx_len, int64_t max_steps, const torch::TensorOptions& options);
  /// The position of the next step, advancing past it; c10::Error past pos_end.
  int64_t next_step(const char* kind);
  /// c10::Error unless a segment of `len` positions fits after the context.
  void check_segment(const char* kind, int64_t len) const;
  /// Store layer l's k, v (B, H, len, hd) at positions pos0.., or (B, H, hd)
  /// at the single position pos0 when len == 0.
  void store(size_t l, int64_t pos0, int64_t len, const torch::Tensor& keys,
             const torch::Tensor& values);
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
