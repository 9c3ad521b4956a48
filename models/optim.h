// optim.h — Muon for hidden matrices, AdamW for the rest, and the lr schedule.
//
// Muon (K. Jordan et al. 2024, github.com/KellerJordan/Muon): Nesterov momentum,
// then the update is orthogonalised by a quintic Newton–Schulz iteration with
// coefficients (3.4445, −4.7750, 2.0315) and scaled by √max(1, rows/cols).
// AdamW (Loshchilov & Hutter, arXiv 1711.05101) with bias correction.
// Everything is deterministic for a fixed thread count: plain tensor ops with
// fixed shapes, and scalar factors computed with +, ×, ÷ and sqrt only (no
// libm pow: β^t is kept as a running product).
#pragma once

#include <torch/torch.h>

#include <tuple>
#include <utility>
#include <vector>

#include "models/model.h"
#include "nncomp/config.h"

namespace nncomp::models {

/// Orthogonalise a batch of matrices G (k, m, n) with `steps` quintic
/// Newton–Schulz iterations on the Frobenius-normalised input, in float32.
/// Returns (k, m, n), approximately U·S'·Vᵀ with S' in [0.5, 1.5] (Muon).
torch::Tensor newton_schulz(const torch::Tensor& g, int64_t steps);

/// The lr multiplier after `step` optimizer steps out of `total_steps`:
/// linear warm-up over warmup_steps, then linear from 1 to lr_end_frac.
double lr_scale(const OptimConfig& config, uint64_t step, uint64_t total_steps);

/// Muon + AdamW over the groups of a model; owns the optimizer state.
class Optimizer {
 public:
  Optimizer(ParamGroups groups, const OptimConfig& config);

  /// One update from the parameters' .grad(); `scale` multiplies both lrs.
  /// Parameters without a gradient are left alone. Then every matrix in
  /// the groups' `unit_norm` list is projected back onto the unit sphere.
  void step(double scale);
  void zero_grad();

  /// The optimizer's state, for saving a run and continuing it
  /// (src/run_state.h): its moment tensors in a fixed order (a load writes
  /// into them in place) and the running products β1^t, β2^t.
  std::vector<torch::Tensor> state_tensors() const;
  std::pair<double, double> beta_pows() const { return {beta1_pow_, beta2_pow_}; }
  void set_beta_pows(std::pair<double, double> p) { std::tie(beta1_pow_, beta2_pow_) = p; }

 private:
  ParamGroups groups_;
  OptimConfig config_;
  std::vector<torch::Tensor> momentum_;        // Muon: one per matrix
  std::vector<torch::Tensor> exp_avg_, exp_avg_sq_;  // AdamW
  double beta1_pow_ = 1.0, beta2_pow_ = 1.0;   // β^t, running products
};

}  // namespace nncomp::models
