// wkv.h — the RWKV-7 state recurrence ("wkv"), in three implementations.
//
// Per stream b and head h the state S is an N×N matrix (rows: value index i,
// columns: key index j). With per-step vectors r, d, k, v, a, b of length N:
//   S_t = S_{t-1} (diag(d_t) + a_t b_tᵀ) + v_t k_tᵀ,      y_t = S_t r_t
// (Peng et al. 2025, "RWKV-7 Goose", arXiv 2503.14456, §4: the generalised
// delta rule with a diagonal-plus-rank-one transition; RWKV-7 passes
// a = −κ̂ and b = κ̂ ⊙ a_iclr). Element-wise, with sa_i = Σ_j S_{t-1,ij} a_j:
//   S_t,ij = S_{t-1,ij} d_j + v_i k_j + sa_i b_j.
//
//   wkv_reference  a loop of LibTorch ops over t; autograd differentiates it.
//                  The executable specification, slow.
//   wkv            the fast path, by device: plain C++ loops on the CPU, our
//                  CUDA kernel pair (models/wkv_cuda.cu) on a GPU. The CPU
//                  forward keeps every state for the backward (a few MB per
//                  segment); the GPU forward keeps the state every kWkvChunk
//                  steps and its backward recomputes the states inside each
//                  chunk before walking back through it. One
//                  (stream, head) per thread or thread block, every sum in a
//                  fixed order, no atomics: bit-identical results run to run,
//                  whatever the thread count.
//
// Tensors: r, d, k, v, a, b float32 [B, T, H, N] (d, the decay, in (0, 1]);
// the state s0 float32 [B, H, N, N]. No gradient flows into s0 (the engine
// trains each segment from the detached state at its start).
#pragma once

#include <torch/torch.h>

namespace nncomp::models {

/// Steps between the states kept by the GPU forward for its backward.
inline constexpr int64_t kWkvChunk = 16;

/// The reference loop: returns y float32 [B, T, H, N]; the final state S_T
/// [B, H, N, N] goes to *s_end when non-null. Differentiable through
/// autograd in r, d, k, v, a, b and s0. Throws c10::Error on shape mismatch.
torch::Tensor wkv_reference(const torch::Tensor& r, const torch::Tensor& d, const torch::Tensor& k,
                            const torch::Tensor& v, const torch::Tensor& a, const torch::Tensor& b,
                            const torch::Tensor& s0, torch::Tensor* s_end);

/// The fast path (CPU loops or the CUDA kernel, by the tensors' device): same
/// contract as wkv_reference, differentiable in r, d, k, v, a, b (not s0)
/// through a torch::autograd::Function. Requires float32 tensors on one
/// device and N a multiple of 8 (CUDA: N one of kRwkvHeadDims); throws
/// c10::Error otherwise.
torch::Tensor wkv(const torch::Tensor& r, const torch::Tensor& d, const torch::Tensor& k,
                  const torch::Tensor& v, const torch::Tensor& a, const torch::Tensor& b,
                  const torch::Tensor& s0, torch::Tensor* s_end);

}  // namespace nncomp::models
