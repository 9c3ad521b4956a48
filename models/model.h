// model.h — the narrow interface between the engine and a byte-level model.
//
// The engine drives a model in two modes that both directions of coding run
// identically (docs/FORMAT.md, "The computation the decoder replays"):
//   step mode   begin_segment(context) then step(tokens) once per coded byte;
//   train mode  train_forward(segment) attending to the cached context, loss
//               and backward in the engine, then the optimizer (models/optim.h).
// forward() is a reference for the tests (the whole window from scratch).
// Models know nothing of files, coders or streams beyond the batch dimension.
//
// Stable addresses: on a GPU the engine captures step() in CUDA graphs and
// replays them, so every tensor that outlives a step() call and that step()
// reads or writes (the parameters, the step cache or carried state, any
// constant table) must keep its address: it is allocated at construction or
// by begin_segment and updated in place (the optimizer updates parameters in
// place too); begin_segment re-allocates only when the batch size changes.
// Temporaries that step() creates, including the logits it returns, are
// replayed from the graph's own memory pool and need no care.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "nncomp/config.h"

namespace nncomp::models {

inline constexpr int64_t kVocab = 256;  ///< byte-level vocabulary

/// Parameters split the way the optimizer treats them.
struct ParamGroups {
  /// 2-D hidden matrices for Muon, each with the number of equal row blocks
  /// orthogonalised separately (3 for a fused q/k/v matrix, else 1).
  std::vector<torch::Tensor> muon;
  std::vector<int64_t> muon_blocks;
  /// Embeddings, head and scalars for AdamW.
  std::vector<torch::Tensor> adam;
  /// Matrices that live on the unit sphere (nGPT): after every optimizer step
  /// each is replaced by unit_norm(p, unit_norm_dims[i]). Each is also in
  /// `muon` or `adam`.
  std::vector<torch::Tensor> unit_norm;
  std::vector<int64_t> unit_norm_dims;
};

/// x / max(‖x‖₂, 1e-12) along `dim`, shape unchanged, differentiable: the
/// projection onto the unit sphere, "Norm" of nGPT (Loshchilov et al. 2024,
/// arXiv 2410.01131).
torch::Tensor unit_norm(const torch::Tensor& x, int64_t dim);

/// An online byte-level language model over a batch of B streams.
class Model : public torch::nn::Module {
 public:
  /// Prepare step mode for a segment of at most `max_steps` steps:
  /// rebuild the per-stream cache from `ctx_inputs` (int64 [B, ctx_len],
  /// the inputs of the ctx_len positions before the segment) with the current
  /// weights. Runs without autograd. A recurrent model (rwkv) instead carries
  /// its state from the previous segment's steps and takes [B, 0].
  virtual void begin_segment(const torch::Tensor& ctx_inputs, int64_t max_steps) = 0;

  /// One step: `tokens` int64 [B] (the previous byte of each stream) →
  /// logits float32 [B, 256] for the next byte. Runs without autograd.
  /// Throws c10::Error if called more than max_steps times after begin_segment.
  virtual torch::Tensor step(const torch::Tensor& tokens) = 0;

  /// Reference for tests: `inputs` int64 [B, T] → logits float32 [B, T, 256],
  /// causal, positions 0..T-1 from scratch (no cache, no carried state); step
  /// mode and train_forward must agree with it. The engine does not call it.
  virtual torch::Tensor forward(const torch::Tensor& inputs) = 0;

  /// Training forward over the segment just stepped through: `inputs` int64
  /// [B, S] (the same tokens given to step(), S ≤ max_steps) → logits float32
  /// [B, S, 256] with autograd. Attends to the context cached by
  /// begin_segment as constants: no gradient flows into the context
  /// (Transformer-XL's stop-gradient memory, Dai et al. 2019); a recurrent
  /// model starts from its detached state at the segment start.
  virtual torch::Tensor train_forward(const torch::Tensor& inputs) = 0;

  /// The parameters, grouped for the optimizer.
  virtual ParamGroups param_groups() = 0;

  /// Number of scalar parameters.
  int64_t n_params();
  /// The state a model carries from one segment to the next besides its
  /// parameters (rwkv: its recurrent state; the transformers rebuild their
  /// cache from the context and carry none), for saving a run and
  /// continuing it (src/run_state.h). Allocated (zeros) for `batch` streams
  /// if it does not exist yet; the tensors are the model's own, so writing
  /// into them in place restores the state.
  virtual std::vector<torch::Tensor> carried_state(int64_t batch) { return {}; }

  /// Move every parameter and constant table to `device`. make_model calls it
  /// once, after the deterministic initialisation on the CPU, so a model
  /// starts from the same bits on every device. State made later (caches,
  /// carried state) is created on the device of the parameters.
  virtual void place(const torch::Device& device) { to(device); }
};

/// Build a model of `config.kind`, initialised deterministically from `seed`
/// (the same bits on every machine) and placed on `device`. Throws
/// nncomp::Error(kCorrupt) for an unknown kind, kUsage for an invalid shape.
std::shared_ptr<Model> make_model(const ModelConfig& config, int64_t max_len, uint64_t seed,
                                  const torch::Device& device = torch::kCPU);

}  // namespace nncomp::models
