// init.h — deterministic weight initialisation, independent of LibTorch's RNG.
//
// Weights are drawn from splitmix64 → uniform floats with integer arithmetic
// and one exact scaling, so the same seed gives the same bits on every machine
// and LibTorch version (LibTorch's normal_ goes through libm).
#pragma once

#include <torch/torch.h>

#include <cstdint>

namespace nncomp::models {

/// splitmix64 (Steele, Lea & Flood 2014): a 64-bit counter-based generator.
class InitRng {
 public:
  explicit InitRng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

 private:
  uint64_t state_;
};

/// Fill a float32 CPU tensor with U(−bound, bound): 24 random bits per value.
inline void init_uniform(torch::Tensor& t, float bound, InitRng& rng) {
  torch::NoGradGuard no_grad;
  auto acc = t.contiguous();
  float* p = acc.data_ptr<float>();
  for (int64_t i = 0, n = acc.numel(); i < n; ++i) {
    float u = static_cast<float>(rng.next() >> 40) * (1.0f / 16777216.0f);  // [0,1)
    p[i] = (2.0f * u - 1.0f) * bound;
  }
  if (!acc.is_same(t)) t.copy_(acc);
}

}  // namespace nncomp::models
