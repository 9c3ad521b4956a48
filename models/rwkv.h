// rwkv.h — an RWKV-7 "Goose" style recurrent model for online byte modelling.
//
// Peng et al. 2025, arXiv 2503.14456, and the reference training code
// (BlinkDL/RWKV-LM, RWKV-v7): embedding → LayerNorm (ln0) → n_layer ×
// [x += time_mix(ln1 x); x += channel_mix(ln2 x)] → LayerNorm → head.
//   time mix   token shift (x_{t−1} − x_t mixed in per channel for r, k, v, w,
//              a, g); r, k, v projections; data-dependent decay
//              d = exp(−e^{−0.5}·σ(w0 + tanh(x_w W1) W2)) ∈ (0.545, 1);
//              in-context learning rate a = σ(a0 + x_a A1 A2); value residual
//              v += (v_first − v)·σ(v0 + x_v V1 V2) in layers ≥ 1; output gate
//              g = σ(x_g G1) G2; κ̂ = per-head L2-normalised k ⊙ k_k;
//              k ← k ⊙ (1 + (a − 1) ⊙ k_a); the wkv recurrence (models/wkv.h)
//              with a = −κ̂, b = κ̂ ⊙ a; GroupNorm per head (eps 64e-5); the
//              "bonus" (Σ r ⊙ k ⊙ r_k per head)·v; W_o (· ⊙ g).
//   channel mix  token shift, relu(W_key x_k)², W_val.
// Initialisation follows the reference (decay and mix curves over channels
// and layers, zero output projections and LoRA first factors, orthogonal
// LoRA second factors), drawn from our own deterministic generator; the head
// starts at zero, so the first prediction is uniform.
//
// Coding: the model carries its recurrent state per stream from segment to
// segment (token-shift vectors and the wkv state of every layer), so the
// context is unbounded and each step costs the same; it takes no context
// window (ctx_len 0). Training on a segment starts from the detached state
// kept at the segment's start.
#pragma once

#include "models/model.h"
#include "models/rwkv_shape.h"

namespace nncomp::models {

class Rwkv : public Model {
 public:
  /// `max_len` is not used (no position tables); kept for the common factory.
  /// Throws nncomp::Error(kUsage) unless head_dim = d_model / n_head is one of
  /// kRwkvHeadDims (the wkv kernels' head sizes).
  Rwkv(const ModelConfig& config, int64_t max_len, uint64_t seed);

  /// `ctx_inputs` must have 0 columns (c10::Error otherwise): the carried
  /// state is the context. Keeps a detached copy of the state for training.
  void begin_segment(const torch::Tensor& ctx_inputs, int64_t max_steps) override;
  /// Advances the carried state of every stream by one byte, in place (the
  /// state tensors keep their addresses, so a CUDA graph can capture a step).
  torch::Tensor step(const torch::Tensor& tokens) override;
  /// From the zero state; the carried state is left alone.
  torch::Tensor forward(const torch::Tensor& inputs) override;
  /// From the state kept by begin_segment.
  torch::Tensor train_forward(const torch::Tensor& inputs) override;
  ParamGroups param_groups() override;

  /// Token-shift vectors and wkv states of every layer (Model::carried_state).
  std::vector<torch::Tensor> carried_state(int64_t batch) override;
  /// Forget the carried state: the next begin_segment starts from zeros (with
  /// any batch size).
  void reset_state();
  /// Use the reference wkv loop instead of the fast path (tests).
  void use_reference_wkv(bool on) { reference_wkv_ = on; }

 private:
  struct Layer {
    torch::Tensor ln0_w, ln0_b;        // (d) layer 0 only: after the embedding
    torch::Tensor ln1_w, ln1_b;        // (d)
    torch::Tensor mix;                 // (6, d) token-shift mix for r, k, v, w, a, g
    torch::Tensor w_rkv;               // (3·d, d) rows: r, k, v
    torch::Tensor w0, w1, w2;          // decay: (d), (d, r_w), (r_w, d)
    torch::Tensor a0, a1, a2;          // in-context learning rate
    torch::Tensor v0, v1, v2;          // value residual (layers ≥ 1)
    torch::Tensor g1, g2;              // output gate LoRA
    torch::Tensor k_k, k_a;            // (d)
    torch::Tensor r_k;                 // (H, N) bonus
    torch::Tensor lnx_w, lnx_b;        // (d) GroupNorm
    torch::Tensor w_o;                 // (d, d) zero-init
    torch::Tensor ln2_w, ln2_b;        // (d)
    torch::Tensor mix_k;               // (d) channel-mix token shift
    torch::Tensor w_key;               // (f·d, d)
    torch::Tensor w_val;               // (d, f·d) zero-init
  };
  /// Per layer: last ln1 output, last ln2 output (B, d), wkv state (B, H, N, N).
  struct State {
    std::vector<torch::Tensor> att_x, ffn_x, wkv;
  };
  State zero_state(int64_t B) const;
  // Runs inputs (B, T) from `state`, which is replaced by the state after the
  // last position; returns logits (B, T, 256).
  torch::Tensor run(const torch::Tensor& inputs, State& state);
  torch::Tensor time_mix(const Layer& layer, size_t l, const torch::Tensor& x, State& state,
                         torch::Tensor& v_first);
  torch::Tensor channel_mix(const Layer& layer, size_t l, const torch::Tensor& x,
                            State& state) const;

  ModelConfig config_;
  int64_t head_dim_;
  torch::Tensor wte_;                  // (256, d)
  torch::Tensor ln_out_w_, ln_out_b_;  // (d)
  torch::Tensor lm_head_;              // (256, d), zero-init
  std::vector<Layer> layers_;
  bool reference_wkv_ = false;

  State carried_;     // step mode: the state after the last step
  State seg_start_;   // detached copy at begin_segment
  int64_t batch_ = 0;  // batch of carried_ (0: none yet)
  int64_t steps_ = 0, max_steps_ = -1;
};

}  // namespace nncomp::models
