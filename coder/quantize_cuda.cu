// quantize_cuda.cu — see quantize_cuda.h. Compiled with --fmad=false.
#include "coder/quantize_cuda.h"

#include <cuda_runtime.h>

#include "coder/quantize_rule.h"

namespace nncomp::coder::cuda {
namespace {

constexpr int kThreads = 64;

__global__ void quantize_rows_kernel(const float* probs, int64_t rows, int n, uint32_t* cdf) {
  const int64_t r = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (r >= rows) return;
  rule::quantize_cdf(probs + r * n, n, cdf + r * (n + 1));
}

}  // namespace

const char* quantize_cdf_rows(const float* probs, int64_t rows, int n, uint32_t* cdf,
                              void* stream) {
  if (n < 1 || n > kMaxSymbols) return "alphabet size out of range";
  if (rows <= 0) return nullptr;
  const int64_t blocks = (rows + kThreads - 1) / kThreads;
  if (blocks > 0x7fffffff) return "too many rows";
  quantize_rows_kernel<<<static_cast<unsigned>(blocks), kThreads, 0,
                         static_cast<cudaStream_t>(stream)>>>(probs, rows, n, cdf);
  const cudaError_t e = cudaGetLastError();
  return e == cudaSuccess ? nullptr : cudaGetErrorString(e);
}

}  // namespace nncomp::coder::cuda
