// wkv_cuda.h — launchers of the RWKV-7 wkv kernel pair (wkv_cuda.cu).
//
// Plain pointers, no LibTorch: models/wkv.cpp checks and binds the tensors.
// Layouts (all float32, contiguous, on the current device):
//   r, d, k, v, a, b, y, dy and the gradients   [B, T, H, N]
//   s0, s_end                                    [B, H, N, N]   (row i: value index)
//   chunks   [B, H, n_chunks, N, N]  the state before steps 0, K, 2K, ...
//            (K = chunk steps, n_chunks = ceil(T / K))
//   scratch  [B, H, K + 1, N, N]     backward's recomputed states of one chunk
// One thread block per (stream, head), N threads, every sum in a fixed order,
// no atomics: results are bit-identical from run to run on one GPU.
// Each launcher returns nullptr on success or CUDA's error string.
#pragma once

#include <cstdint>

namespace nncomp::models::cuda {

/// Whether the kernels are instantiated for head size N (kRwkvHeadDims).
bool wkv_supports(int64_t n);

/// Forward over T steps from s0: writes y, s_end and, unless null, chunks.
const char* wkv_forward(int64_t B, int64_t T, int64_t H, int64_t N, int64_t K, const float* r,
                        const float* d, const float* k, const float* v, const float* a,
                        const float* b, const float* s0, float* y, float* chunks, float* s_end,
                        void* stream);

/// Backward: from dy and the chunk states, writes dr, dd, dk, dv, da, db
/// (no gradient into s0; none flows in from s_end).
const char* wkv_backward(int64_t B, int64_t T, int64_t H, int64_t N, int64_t K, const float* r,
                         const float* d, const float* k, const float* v, const float* a,
                         const float* b, const float* chunks, const float* dy, float* dr,
                         float* dd, float* dk, float* dv, float* da, float* db, float* scratch,
                         void* stream);

}  // namespace nncomp::models::cuda
