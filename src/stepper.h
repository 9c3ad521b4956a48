// stepper.h — step mode of one segment on the model's device: for every step,
// the model's logits of every stream turned into the step's distributions
// (StepTables, src/coding.h), in buffers that stay in place for the whole run.
//
// On CUDA the steps of a full segment are captured once as CUDA graphs (one
// per step index, sharing one memory pool, replayed in capture order) after a
// first segment run eagerly as warm-up; a graph replays the kernels the eager
// calls launch, with the same arguments, so both give the same bits, and
// encoder and decoder take the same path in any case. Shorter segments (the
// last) run eagerly. The model must keep its step state at stable addresses
// (models/model.h).
#pragma once

#include <torch/torch.h>

#include <memory>
#include <vector>

#include "models/model.h"
#include "src/coding.h"

namespace nncomp {

class Stepper {
 public:
  /// Buffers for B streams and segments of at most S steps on `device`;
  /// each step's distributions go to `tables` (sized for S and B).
  /// `graphs`: capture and replay CUDA graphs (ignored on the CPU).
  Stepper(models::Model& model, StepTables& tables, int64_t B, int64_t S,
          const torch::Device& device, bool graphs);
  ~Stepper();
  Stepper(const Stepper&) = delete;
  Stepper& operator=(const Stepper&) = delete;

  /// int64 [S+1, B] on the device: row 0 the byte before the segment of every
  /// stream, row t+1 the byte at step t (the input of step t+1). Step t reads
  /// row t only.
  torch::Tensor& tokens() { return tokens_; }

  /// Start a segment of `steps` ≤ S steps, the `segment`-th this process
  /// runs (0 for its first, also when it continues a saved run): the
  /// model's begin_segment with `ctx_inputs` (int64 [B, ctx_len] on the
  /// device). Captures the graphs at the first full segment after the first.
  void begin(const torch::Tensor& ctx_inputs, int64_t steps, uint64_t segment);
  /// Step t of the segment: the tables' step t from tokens()[t].
  void step(int64_t t);

 private:
  void run_step(int64_t t);  // the eager computation of step t
  void capture();

  models::Model& model_;
  StepTables& tables_;
  int64_t S_;
  bool graphs_;
  bool replay_ = false;
  torch::Tensor tokens_;
  struct Graphs;
  std::unique_ptr<Graphs> captured_;
};

}  // namespace nncomp
