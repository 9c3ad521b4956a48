// optim.cpp — Muon, AdamW and the schedule (see optim.h for sources).
#include "models/optim.h"

#include <algorithm>
#include <cmath>

namespace nncomp::models {
namespace {
constexpr double kNsA = 3.4445, kNsB = -4.7750, kNsC = 2.0315;
}  // namespace

torch::Tensor newton_schulz(const torch::Tensor& g, int64_t steps) {
  auto x = g.to(torch::kFloat32);
  const bool tall = x.size(-2) > x.size(-1);
  if (tall) x = x.transpose(-2, -1);  // iterate on the wide orientation: X Xᵀ is small
  x = x / (torch::linalg_matrix_norm(x, "fro", {-2, -1}, /*keepdim=*/true) + 1e-7);
  for (int64_t i = 0; i < steps; ++i) {
    auto a = torch::matmul(x, x.transpose(-2, -1));  // (k, m, m)
    auto b = torch::baddbmm(a, a, a, /*beta=*/kNsB, /*alpha=*/kNsC);  // b·A + c·A·A
    x = torch::baddbmm(x, b, x, /*beta=*/kNsA, /*alpha=*/1.0);         // a·X + B·X
  }
  if (tall) x = x.transpose(-2, -1);
  return x.contiguous();
}

double lr_scale(const OptimConfig& config, uint64_t step, uint64_t total_steps) {
  double s = 1.0;
  if (config.warmup_steps > 0 && step < config.warmup_steps)
    s = static_cast<double>(step + 1) / static_cast<double>(config.warmup_steps);
  const double progress =
      total_steps > 0 ? std::min(1.0, static_cast<double>(step) / static_cast<double>(total_steps))
                      : 0.0;
  return s * (1.0 + (config.lr_end_frac - 1.0) * progress);
}

std::vector<torch::Tensor> Optimizer::state_tensors() const {
  std::vector<torch::Tensor> out = momentum_;
  out.insert(out.end(), exp_avg_.begin(), exp_avg_.end());
  out.insert(out.end(), exp_avg_sq_.begin(), exp_avg_sq_.end());
  return out;
}

Optimizer::Optimizer(ParamGroups groups, const OptimConfig& config)
    : groups_(std::move(groups)), config_(config) {
  for (auto& p : groups_.muon) momentum_.push_back(torch::zeros_like(p));
  for (auto& p : groups_.adam) {
    exp_avg_.push_back(torch::zeros_like(p));
    exp_avg_sq_.push_back(torch::zeros_like(p));
  }
}

void Optimizer::zero_grad() {
  for (auto* list : {&groups_.muon, &groups_.adam})
    for (auto& p : *list)
      if (p.grad().defined()) p.mutable_grad().zero_();
}

void Optimizer::step(double scale) {
  torch::NoGradGuard no_grad;
  // Muon: u = lerp(g, buf ← lerp(buf, g, 1−μ), μ) (Nesterov), orthogonalised.
  const double mu = config_.muon_momentum, lr = config_.muon_lr * scale;
  for (size_t i = 0; i < groups_.muon.size(); ++i) {
    auto& p = groups_.muon[i];
    if (!p.grad().defined()) continue;
    const auto& g = p.grad();
    momentum_[i].lerp_(g, 1.0 - mu);
    auto u = g.lerp(momentum_[i], mu);
    const int64_t blocks = groups_.muon_blocks[i];
    const int64_t rows = p.size(0) / blocks, cols = p.size(1);
    auto o = newton_schulz(u.view({blocks, rows, cols}), config_.ns_steps).view_as(p);
    if (config_.weight_decay > 0) p.mul_(1.0 - lr * config_.weight_decay);
    p.add_(o, -lr * std::sqrt(std::max(1.0, static_cast<double>(rows) / cols)));
  }
  // AdamW with bias correction; β^t as running products.
  const double b1 = config_.adam_beta1, b2 = config_.adam_beta2;
  beta1_pow_ *= b1;
  beta2_pow_ *= b2;
  const double alr = config_.adam_lr * scale;
  const double step_size = alr / (1.0 - beta1_pow_);
  const double bias2_sqrt = std::sqrt(1.0 - beta2_pow_);
  for (size_t i = 0; i < groups_.adam.size(); ++i) {
    auto& p = groups_.adam[i];
    if (!p.grad().defined()) continue;
    const auto& g = p.grad();
    exp_avg_[i].lerp_(g, 1.0 - b1);
    exp_avg_sq_[i].mul_(b2).addcmul_(g, g, 1.0 - b2);
    auto denom = (exp_avg_sq_[i].sqrt() / bias2_sqrt).add_(config_.adam_eps);
    p.addcdiv_(exp_avg_[i], denom, -step_size);
  }
  // Back onto the unit sphere (nGPT, arXiv 2410.01131): part of the step.
  for (size_t i = 0; i < groups_.unit_norm.size(); ++i)
    groups_.unit_norm[i].copy_(unit_norm(groups_.unit_norm[i], groups_.unit_norm_dims[i]));
}

}  // namespace nncomp::models
