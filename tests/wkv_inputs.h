// wkv_inputs.h — random inputs of the RWKV-7 recurrence as the model makes
// them (decay in (0.545, 1), a = −κ̂ and b = κ̂ ⊙ iclr with κ̂ of unit norm per
// head), for the CPU and GPU tests of models/wkv.h.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace nncomp::models::testing {

struct WkvInputs {
  torch::Tensor r, d, k, v, a, b, s0;  // [B, T, H, N] each; s0 [B, H, N, N]
  std::vector<torch::Tensor*> grads() { return {&r, &d, &k, &v, &a, &b}; }
};

/// float32 CPU tensors from `seed`; s0 random (a state carried in from
/// earlier segments) unless `zero_state`.
inline WkvInputs wkv_inputs(int64_t B, int64_t T, int64_t H, int64_t N, uint64_t seed,
                            bool zero_state = false) {
  torch::manual_seed(seed);
  WkvInputs in;
  const std::vector<int64_t> shape{B, T, H, N};
  in.r = torch::randn(shape) * 0.5;
  in.d = torch::exp(-0.6065306597 * torch::sigmoid(torch::randn(shape) * 2.0));
  in.k = torch::randn(shape) * 0.3;
  in.v = torch::randn(shape);
  auto kk = torch::randn(shape);
  kk = kk / kk.norm(2, -1, true);
  in.a = -kk;
  in.b = kk * torch::sigmoid(torch::randn(shape));
  in.s0 = zero_state ? torch::zeros({B, H, N, N}) : torch::randn({B, H, N, N}) * 0.5;
  return in;
}

}  // namespace nncomp::models::testing
