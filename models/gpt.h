// gpt.h — a small modern GPT for online byte modelling.
//
// Pre-norm transformer after nanochat's gpt.py (Karpathy 2025): token
// embedding → RMSNorm (no weights) → n_layer × [x += attn(norm x); x += mlp(norm x)]
// → norm → lm_head → logit soft-cap. Attention: fused q/k/v projection,
// QK-norm (RMSNorm over head_dim, then ×1.2 on both), rotary embeddings
// (Su et al. 2021, rotate-half layout), causal softmax. MLP: ReLU²
// (So et al. 2021, "Primer"). Untied embedding and head; output projections
// and head start at zero, so the first prediction is uniform.
#pragma once

#include "models/attention.h"
#include "models/model.h"

namespace nncomp::models {

class Gpt : public Model {
 public:
  /// `max_len`: the longest window (ctx_len + seg_len) the model will see.
  Gpt(const ModelConfig& config, int64_t max_len, uint64_t seed);

  void begin_segment(const torch::Tensor& ctx_inputs, int64_t max_steps) override;
  torch::Tensor step(const torch::Tensor& tokens) override;
  torch::Tensor forward(const torch::Tensor& inputs) override;
  torch::Tensor train_forward(const torch::Tensor& inputs) override;
  ParamGroups param_groups() override;
  void place(const torch::Device& device) override;

 private:
  struct Layer {
    torch::Tensor w_qkv;      // (3·d, d)  rows: q, k, v
    torch::Tensor w_proj;     // (d, d)    attention output, zero-init
    torch::Tensor w_fc;       // (f·d, d)
    torch::Tensor w_mlp_out;  // (d, f·d)  zero-init
  };
  // Shared by forward, train_forward and begin_segment: runs `inputs` at
  // positions ctx..ctx+T-1 after `ctx` cached context positions (used as
  // constants) and, if `keep_kv`, stores each layer's rotated keys and values
  // in the step cache.
  torch::Tensor run_window(const torch::Tensor& inputs, int64_t ctx, bool keep_kv);
  torch::Tensor attention_qkv(const Layer& layer, const torch::Tensor& x, int64_t pos0,
                              int64_t len, torch::Tensor* q, torch::Tensor* k,
                              torch::Tensor* v) const;
  torch::Tensor head(const torch::Tensor& x) const;

  ModelConfig config_;
  int64_t head_dim_;
  int64_t max_len_;
  torch::Tensor wte_;      // (256, d)
  torch::Tensor lm_head_;  // (256, d), zero-init
  std::vector<Layer> layers_;
  Rope rope_;
  KvCache cache_;  // step mode
};

}  // namespace nncomp::models
