// quantize_cuda.h — the quantisation rule of quantize.h on the GPU, for the
// rows of a batch of distributions. Plain pointers, no LibTorch.
#pragma once

#include <cstdint>

namespace nncomp::coder::cuda {

/// For each of `rows` rows: cdf[r·(n+1) .. r·(n+1)+n] = quantize_cdf(probs +
/// r·n, n), the same integers the host function gives (the rule is compiled
/// from the same source, quantize_rule.h). `probs` float32 [rows, n] and `cdf`
/// uint32 [rows, n+1], both in device memory; launched on `stream`
/// (a cudaStream_t). 1 ≤ n ≤ kMaxSymbols. Returns nullptr on success, else
/// CUDA's error string (or a message for bad arguments). One thread per row.
const char* quantize_cdf_rows(const float* probs, int64_t rows, int n, uint32_t* cdf, void* stream);

}  // namespace nncomp::coder::cuda
