// ngpt.h — nGPT, the normalized transformer, for online byte modelling.
//
// After Loshchilov, Hsieh, Sun & Ginsburg, "nGPT: Normalized Transformer with
// Representation Learning on the Hypersphere" (arXiv 2410.01131), and the
// authors' reference model. Every hidden state and every weight vector along
// the embedding dimension lives on the unit sphere; there is no RMSNorm.
//   h ← Norm(wte[token])
//   per layer: q, k = s_qk ⊙ Norm(RoPE(W_q h)), Norm(RoPE(W_k h)) per head,
//              softmax scale √head_dim (not 1/√head_dim);
//              h ← Norm(h + α_A ⊙ (Norm(W_o attn) − h));
//              u, v = (W_uv h) ⊙ s_uv·√d_model;  h_M = W_mo (u ⊙ SiLU(v)) (SwiGLU);
//              h ← Norm(h + α_M ⊙ (Norm(h_M) − h))
//   logits = s_z ⊙ (lm_head h)
// Scaling vectors are stored as in the paper: a stored value p with
// initial value s_init ("scaling") is used as p·(v_init/s_init), so AdamW moves
// the effective value v_init/s_init times faster. v_init, s_init: α 0.25, 1/√d;
// s_qk 1, 1/√d; s_uv 1, 1 (then ×√d); s_z 10, 1/√d. The paper has α 0.05 and
// s_z 1; ours start higher for online coding (ngpt.cpp, docs/ngpt.md).
// Weight rows along d_model (wte, lm_head, W_qkv, W_uv) and columns along
// d_model (W_o, W_mo) are put back on the sphere after every optimizer step
// (ParamGroups::unit_norm), which makes it part of the replayed computation.
// MLP width: ffn_mult·d_model for each of u and v.
#pragma once

#include "models/attention.h"
#include "models/model.h"

namespace nncomp::models {

class Ngpt : public Model {
 public:
  /// `max_len`: the longest window (ctx_len + seg_len) the model will see.
  /// Throws nncomp::Error(kUsage) unless d_model is a multiple of 2·n_head.
  Ngpt(const ModelConfig& config, int64_t max_len, uint64_t seed);

  void begin_segment(const torch::Tensor& ctx_inputs, int64_t max_steps) override;
  torch::Tensor step(const torch::Tensor& tokens) override;
  torch::Tensor forward(const torch::Tensor& inputs) override;
  torch::Tensor train_forward(const torch::Tensor& inputs) override;
  ParamGroups param_groups() override;
  void place(const torch::Device& device) override;

 private:
  struct Layer {
    torch::Tensor w_qkv;      // (3·d, d)  rows: q, k, v; unit rows
    torch::Tensor w_proj;     // (d, d)    attention output; unit columns
    torch::Tensor w_uv;       // (2·f, d)  rows: u, v; unit rows
    torch::Tensor w_mlp_out;  // (d, f)    unit columns
    torch::Tensor alpha_attn, alpha_mlp;  // (d) eigen learning rates, stored form
    torch::Tensor s_qk;                   // (d) = (n_head, head_dim), stored form
    torch::Tensor s_uv;                   // (2·f), stored form
  };
  // Shared by forward, train_forward and begin_segment: runs `inputs` (B, T)
  // at positions ctx..ctx+T-1 after `ctx` cached context positions (used as
  // constants) and, if `keep_kv`, stores each layer's keys and values in the
  // step cache. len == 0 in the helpers below means one position (step mode).
  torch::Tensor run_window(const torch::Tensor& inputs, int64_t ctx, bool keep_kv);
  void attention_qkv(const Layer& layer, const torch::Tensor& h, int64_t pos0, int64_t len,
                     torch::Tensor* q, torch::Tensor* k, torch::Tensor* v) const;
  torch::Tensor residual(const torch::Tensor& h, const torch::Tensor& branch,
                         const torch::Tensor& alpha) const;
  torch::Tensor mlp(const Layer& layer, const torch::Tensor& h) const;
  torch::Tensor head(const torch::Tensor& h) const;

  ModelConfig config_;
  int64_t head_dim_;
  int64_t max_len_;
  double sqrt_d_;  // √d_model
  torch::Tensor wte_;      // (256, d) unit rows
  torch::Tensor lm_head_;  // (256, d) unit rows
  torch::Tensor s_z_;      // (256) logit scale, stored form
  std::vector<Layer> layers_;
  Rope rope_;
  KvCache cache_;  // step mode
};

}  // namespace nncomp::models
