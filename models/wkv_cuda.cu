// wkv_cuda.cu — the RWKV-7 wkv recurrence on the GPU: a forward kernel over a
// segment and a backward kernel that recomputes each chunk's states from the
// state kept at its start and walks back through it (contract: wkv_cuda.h;
// equations: wkv.h; arXiv 2503.14456).
//
// One thread block per (stream, head), N threads. Forward: thread i keeps row
// i of the state in registers. Backward: ∂L/∂S lives in shared memory; each
// step first works by rows (thread i: row sums over j), then by columns
// (thread j: sums over i in order 0..N−1). Every sum is sequential in a fixed
// order and nothing is accumulated with atomics, so two runs on one GPU give
// the same bits.
#include <cuda_runtime.h>

#include <algorithm>
#include <type_traits>
#include <utility>

#include "models/rwkv_shape.h"
#include "models/wkv_cuda.h"

namespace nncomp::models::cuda {
namespace {

__host__ __device__ inline long long at(long long bb, long long t, long long h, long long T,
                                        long long H, long long N) {
  return ((bb * T + t) * H + h) * N;
}

// One step of row i of the state (in registers) with the step's vectors in
// shared memory: S_i ← S_i diag(d) + v_i kᵀ + (S_i · a) bᵀ. The forward and the
// backward's recomputation both call this, so they produce the same bits.
template <int N>
__device__ __forceinline__ void step_row(float (&S)[N], const float* d, const float* k,
                                         const float* a, const float* b, float vi) {
  float sa = 0.0f;
#pragma unroll
  for (int j = 0; j < N; ++j) sa += S[j] * a[j];
#pragma unroll
  for (int j = 0; j < N; ++j) S[j] = S[j] * d[j] + k[j] * vi + sa * b[j];
}

// Thread i's share of loading one step's decay, key, a and b vectors (offset
// o) into shared memory; returns its own value v_i. Both the forward and the
// backward's recomputation load through this; the caller synchronises.
__device__ __forceinline__ float load_step(long long o, int i, const float* d, const float* k,
                                           const float* a, const float* b, const float* v,
                                           float* sd, float* sk, float* sa, float* sb) {
  sd[i] = d[o + i];
  sk[i] = k[o + i];
  sa[i] = a[o + i];
  sb[i] = b[o + i];
  return v[o + i];
}

template <int N>
__global__ void __launch_bounds__(N) wkv_forward_kernel(
    int T, int H, int K, const float* __restrict__ r, const float* __restrict__ d,
    const float* __restrict__ k, const float* __restrict__ v, const float* __restrict__ a,
    const float* __restrict__ b, const float* __restrict__ s0, float* __restrict__ y,
    float* __restrict__ chunks, float* __restrict__ s_end) {
  const int h = blockIdx.x, bb = blockIdx.y, i = threadIdx.x;
  const long long bh = static_cast<long long>(bb) * H + h, NN = N * N;
  const int n_chunks = (T + K - 1) / K;
  __shared__ float sr[N], sd[N], sk[N], sa_[N], sb[N];

  float S[N];
  const float* s0_row = s0 + bh * NN + static_cast<long long>(i) * N;
#pragma unroll
  for (int j = 0; j < N; ++j) S[j] = s0_row[j];

  for (int t = 0; t < T; ++t) {
    if (chunks != nullptr && t % K == 0) {
      float* c = chunks + (bh * n_chunks + t / K) * NN + static_cast<long long>(i) * N;
#pragma unroll
      for (int j = 0; j < N; ++j) c[j] = S[j];
    }
    const long long o = at(bb, t, h, T, H, N);
    __syncthreads();  // the previous step is done reading the shared vectors
    sr[i] = r[o + i];
    const float vi = load_step(o, i, d, k, a, b, v, sd, sk, sa_, sb);
    __syncthreads();
    step_row<N>(S, sd, sk, sa_, sb, vi);
    float yi = 0.0f;
#pragma unroll
    for (int j = 0; j < N; ++j) yi += S[j] * sr[j];
    y[o + i] = yi;
  }
  float* end_row = s_end + bh * NN + static_cast<long long>(i) * N;
#pragma unroll
  for (int j = 0; j < N; ++j) end_row[j] = S[j];
}

// Shared memory of the backward kernel: ∂L/∂S (rows padded to N + 1 floats,
// so that row-wise and column-wise access are both free of bank conflicts)
// and nine vectors of N.
template <int N>
constexpr size_t backward_smem() {
  return (static_cast<size_t>(N) * (N + 1) + 9 * N) * sizeof(float);
}

template <int N>
__global__ void __launch_bounds__(N) wkv_backward_kernel(
    int T, int H, int K, const float* __restrict__ r, const float* __restrict__ d,
    const float* __restrict__ k, const float* __restrict__ v, const float* __restrict__ a,
    const float* __restrict__ b, const float* __restrict__ chunks, const float* __restrict__ dy,
    float* __restrict__ dr, float* __restrict__ dd, float* __restrict__ dk,
    float* __restrict__ dv, float* __restrict__ da, float* __restrict__ db,
    float* __restrict__ scratch) {
  constexpr int P = N + 1;  // padded row of dS
  extern __shared__ float smem[];
  float* dS = smem;
  float* vr = dS + N * P;
  float* vd = vr + N;
  float* vk = vd + N;
  float* vv = vk + N;
  float* va = vv + N;
  float* vb = va + N;
  float* vdy = vb + N;
  float* vsa = vdy + N;
  float* vdsa = vsa + N;

  const int h = blockIdx.x, bb = blockIdx.y, i = threadIdx.x;
  const long long bh = static_cast<long long>(bb) * H + h, NN = N * N;
  const int n_chunks = (T + K - 1) / K;
  float* st = scratch + bh * (K + 1) * NN;  // states[s] = S before step t0 + s

  for (int j = 0; j < N; ++j) dS[i * P + j] = 0.0f;

  for (int c = n_chunks - 1; c >= 0; --c) {
    const int t0 = c * K, len = min(K, T - t0);
    // Recompute the chunk's states from the one kept at its start (thread i: row i).
    float S[N];
    const float* c_row = chunks + (bh * n_chunks + c) * NN + static_cast<long long>(i) * N;
#pragma unroll
    for (int j = 0; j < N; ++j) {
      S[j] = c_row[j];
      st[static_cast<long long>(i) * N + j] = S[j];
    }
    for (int s = 0; s < len; ++s) {
      const long long o = at(bb, t0 + s, h, T, H, N);
      __syncthreads();
      const float vi = load_step(o, i, d, k, a, b, v, vd, vk, va, vb);
      __syncthreads();
      step_row<N>(S, vd, vk, va, vb, vi);
      float* out = st + (s + 1) * NN + static_cast<long long>(i) * N;
#pragma unroll
      for (int j = 0; j < N; ++j) out[j] = S[j];
    }
    // Walk back through the chunk.
    for (int s = len - 1; s >= 0; --s) {
      const long long o = at(bb, t0 + s, h, T, H, N);
      __syncthreads();  // recomputed states written, previous step's columns done
      vr[i] = r[o + i];
      vd[i] = d[o + i];
      vk[i] = k[o + i];
      vv[i] = v[o + i];
      va[i] = a[o + i];
      vb[i] = b[o + i];
      vdy[i] = dy[o + i];
      __syncthreads();
      {  // rows: thread i
        const float* Sp = st + s * NN + static_cast<long long>(i) * N;  // S_{t-1}, row i
        float* dSi = dS + i * P;
        const float dyi = vdy[i];
        float sa = 0.0f, dsa = 0.0f, dvi = 0.0f;
        for (int j = 0; j < N; ++j) {
          const float g = dSi[j] + dyi * vr[j];  // y_i = Σ_j S_t,ij r_j
          dSi[j] = g;
          sa += Sp[j] * va[j];
          dsa += g * vb[j];
          dvi += g * vk[j];
        }
        vsa[i] = sa;
        vdsa[i] = dsa;
        dv[o + i] = dvi;
      }
      __syncthreads();
      {  // columns: thread j = i
        const int j = i;
        const float* St = st + (s + 1) * NN + j;  // S_t, column j (stride N)
        const float* Sp = st + s * NN + j;        // S_{t-1}, column j
        const float dj = vd[j], aj = va[j];
        float drj = 0.0f, dkj = 0.0f, dbj = 0.0f, ddj = 0.0f, daj = 0.0f;
        for (int ii = 0; ii < N; ++ii) {
          const float g = dS[ii * P + j];
          const float sp = Sp[static_cast<long long>(ii) * N];
          drj += St[static_cast<long long>(ii) * N] * vdy[ii];
          dkj += g * vv[ii];
          dbj += vsa[ii] * g;
          ddj += sp * g;
          daj += sp * vdsa[ii];
          dS[ii * P + j] = g * dj + vdsa[ii] * aj;  // ∂L/∂S_{t-1}
        }
        dr[o + j] = drj;
        dk[o + j] = dkj;
        db[o + j] = dbj;
        dd[o + j] = ddj;
        da[o + j] = daj;
      }
    }
    __syncthreads();  // the next chunk's recomputation overwrites the scratch states
  }
}

const char* status(cudaError_t e) { return e == cudaSuccess ? nullptr : cudaGetErrorString(e); }

template <int N>
const char* forward_n(int64_t B, int64_t T, int64_t H, int64_t K, const float* r, const float* d,
                      const float* k, const float* v, const float* a, const float* b,
                      const float* s0, float* y, float* chunks, float* s_end, void* stream) {
  const dim3 grid(static_cast<unsigned>(H), static_cast<unsigned>(B));
  wkv_forward_kernel<N><<<grid, N, 0, static_cast<cudaStream_t>(stream)>>>(
      static_cast<int>(T), static_cast<int>(H), static_cast<int>(K), r, d, k, v, a, b, s0, y,
      chunks, s_end);
  return status(cudaGetLastError());
}

template <int N>
const char* backward_n(int64_t B, int64_t T, int64_t H, int64_t K, const float* r,
                       const float* d, const float* k, const float* v, const float* a,
                       const float* b, const float* chunks, const float* dy, float* dr, float* dd,
                       float* dk, float* dv, float* da, float* db, float* scratch,
                       void* stream) {
  constexpr size_t smem = backward_smem<N>();
  if (const char* e = status(cudaFuncSetAttribute(
          wkv_backward_kernel<N>, cudaFuncAttributeMaxDynamicSharedMemorySize,
          static_cast<int>(smem))))
    return e;
  const dim3 grid(static_cast<unsigned>(H), static_cast<unsigned>(B));
  wkv_backward_kernel<N><<<grid, N, smem, static_cast<cudaStream_t>(stream)>>>(
      static_cast<int>(T), static_cast<int>(H), static_cast<int>(K), r, d, k, v, a, b, chunks,
      dy, dr, dd, dk, dv, da, db, scratch);
  return status(cudaGetLastError());
}

bool grid_fits(int64_t B, int64_t T, int64_t H) {
  return B > 0 && B <= 65535 && H > 0 && H <= (int64_t{1} << 31) - 1 && T >= 0 &&
         T <= (int64_t{1} << 30);
}

// Calls fn(std::integral_constant<int, N>{}) for the head size N among
// kRwkvHeadDims that equals n (the kernels are instantiated for exactly that
// list); returns "unsupported head size" for any other n.
template <typename Fn, size_t... I>
const char* dispatch_head_dim(int64_t n, Fn&& fn, std::index_sequence<I...>) {
  const char* result = "unsupported head size";
  (void)((n == kRwkvHeadDims[I]
              ? (result = fn(std::integral_constant<int, static_cast<int>(kRwkvHeadDims[I])>{}),
                 true)
              : false) ||
         ...);
  return result;
}
template <typename Fn>
const char* dispatch_head_dim(int64_t n, Fn&& fn) {
  return dispatch_head_dim(n, fn, std::make_index_sequence<kRwkvHeadDims.size()>{});
}

}  // namespace

bool wkv_supports(int64_t n) {
  return std::find(kRwkvHeadDims.begin(), kRwkvHeadDims.end(), n) != kRwkvHeadDims.end();
}

const char* wkv_forward(int64_t B, int64_t T, int64_t H, int64_t N, int64_t K, const float* r,
                        const float* d, const float* k, const float* v, const float* a,
                        const float* b, const float* s0, float* y, float* chunks, float* s_end,
                        void* stream) {
  if (B == 0 || H == 0) return nullptr;
  if (!grid_fits(B, T, H) || K <= 0) return "batch, length or head count out of range";
  return dispatch_head_dim(N, [&](auto n) {
    return forward_n<decltype(n)::value>(B, T, H, K, r, d, k, v, a, b, s0, y, chunks, s_end,
                                         stream);
  });
}

const char* wkv_backward(int64_t B, int64_t T, int64_t H, int64_t N, int64_t K, const float* r,
                         const float* d, const float* k, const float* v, const float* a,
                         const float* b, const float* chunks, const float* dy, float* dr,
                         float* dd, float* dk, float* dv, float* da, float* db, float* scratch,
                         void* stream) {
  if (B == 0 || H == 0 || T == 0) return nullptr;
  if (!grid_fits(B, T, H) || K <= 0) return "batch, length or head count out of range";
  return dispatch_head_dim(N, [&](auto n) {
    return backward_n<decltype(n)::value>(B, T, H, K, r, d, k, v, a, b, chunks, dy, dr, dd, dk, dv,
                                          da, db, scratch, stream);
  });
}

}  // namespace nncomp::models::cuda
