// wkv.cpp — the RWKV-7 recurrence: reference loop, CPU loops, autograd binding
// (see wkv.h for the equations and the source).
#include "models/wkv.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "models/rwkv_shape.h"
#include "models/wkv_cuda.h"

#include <c10/cuda/CUDAStream.h>

namespace nncomp::models {
namespace {

void check_inputs(const torch::Tensor& r, const torch::Tensor& d, const torch::Tensor& k,
                  const torch::Tensor& v, const torch::Tensor& a, const torch::Tensor& b,
                  const torch::Tensor& s0) {
  TORCH_CHECK(r.dim() == 4, "wkv: r must be [B, T, H, N], got ", r.sizes());
  for (const auto* t : {&d, &k, &v, &a, &b})
    TORCH_CHECK(t->sizes() == r.sizes(), "wkv: inputs differ in shape: ", t->sizes(), " vs ",
                r.sizes());
  const int64_t B = r.size(0), H = r.size(2), N = r.size(3);
  TORCH_CHECK(s0.dim() == 4 && s0.size(0) == B && s0.size(1) == H && s0.size(2) == N &&
                  s0.size(3) == N,
              "wkv: state must be [B, H, N, N] = [", B, ", ", H, ", ", N, ", ", N, "], got ",
              s0.sizes());
}

// ---- CPU loops ------------------------------------------------------------
// Sums run over 8 lanes (j mod 8) that are added in a fixed tree at the end,
// so the compiler can vectorise them without changing a single bit; no FMA
// contraction (-ffp-contract=off). Functions are cloned for AVX2 with a
// run-time choice; both clones perform the same operations in the same order.

#define NNCOMP_WKV_CLONES __attribute__((target_clones("avx2", "default")))

inline float dot8(const float* __restrict__ x, const float* __restrict__ y, int64_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (int64_t j = 0; j < n; j += 8)
    for (int l = 0; l < 8; ++l) acc[l] += x[j + l] * y[j + l];
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

struct Dims {
  int64_t B, T, H, N;
  int64_t at(int64_t bb, int64_t t, int64_t h) const { return ((bb * T + t) * H + h) * N; }
};

struct Inputs {
  const float *r, *d, *k, *v, *a, *b;
};

// One step of one (stream, head) in place on S (N×N): S ← S diag(d) + v kᵀ + (S a) bᵀ;
// y ← S r (y may be null).
NNCOMP_WKV_CLONES
void step_state(int64_t N, const float* __restrict__ r, const float* __restrict__ d,
                const float* __restrict__ k, const float* __restrict__ v,
                const float* __restrict__ a, const float* __restrict__ b, float* __restrict__ S,
                float* __restrict__ y) {
  for (int64_t i = 0; i < N; ++i) {
    float* Si = S + i * N;
    const float sa = dot8(Si, a, N), vi = v[i];
    for (int64_t j = 0; j < N; ++j) Si[j] = Si[j] * d[j] + k[j] * vi + sa * b[j];
    if (y) y[i] = dot8(Si, r, N);
  }
}

// Forward of one (stream, head) over all T steps; S (N×N) holds s0 on entry
// and S_T on exit; if `states` is non-null, the state before step t goes to
// states[t] and S_T to states[T] (the CPU keeps them all: B·H·(T+1) states
// of a segment are a few MB, and the backward then needs no recomputation).
void forward_bh(const Dims& D, int64_t bb, int64_t h, const Inputs& in, float* S, float* y,
                float* states) {
  const int64_t NN = D.N * D.N;
  for (int64_t t = 0; t < D.T; ++t) {
    if (states) std::memcpy(states + t * NN, S, NN * sizeof(float));
    const int64_t o = D.at(bb, t, h);
    step_state(D.N, in.r + o, in.d + o, in.k + o, in.v + o, in.a + o, in.b + o, S, y + o);
  }
  if (states) std::memcpy(states + D.T * NN, S, NN * sizeof(float));
}

// The backward of one step of one (stream, head). Sp: S_{t-1}, St: S_t,
// dS: ∂L/∂S_t on entry (before adding dy r ᵀ), ∂L/∂S_{t-1} on exit.
NNCOMP_WKV_CLONES
void backward_step(int64_t N, const float* __restrict__ r, const float* __restrict__ d,
                   const float* __restrict__ k, const float* __restrict__ v,
                   const float* __restrict__ a, const float* __restrict__ b,
                   const float* __restrict__ dy, const float* __restrict__ Sp,
                   const float* __restrict__ St, float* __restrict__ dS, float* __restrict__ dr,
                   float* __restrict__ dd, float* __restrict__ dk, float* __restrict__ dv,
                   float* __restrict__ da, float* __restrict__ db) {
  for (int64_t j = 0; j < N; ++j) dr[j] = dd[j] = dk[j] = da[j] = db[j] = 0.0f;
  for (int64_t i = 0; i < N; ++i) {
    float* dSi = dS + i * N;
    const float* Spi = Sp + i * N;
    const float* Sti = St + i * N;
    const float dyi = dy[i], vi = v[i];
    for (int64_t j = 0; j < N; ++j) {
      dSi[j] += dyi * r[j];       // y_i = Σ_j S_t,ij r_j
      dr[j] += Sti[j] * dyi;
    }
    const float sa = dot8(Spi, a, N), dsa = dot8(dSi, b, N);
    dv[i] = dot8(dSi, k, N);
    for (int64_t j = 0; j < N; ++j) {
      dk[j] += dSi[j] * vi;
      db[j] += sa * dSi[j];
      dd[j] += Spi[j] * dSi[j];
      da[j] += Spi[j] * dsa;
      dSi[j] = dSi[j] * d[j] + dsa * a[j];  // ∂L/∂S_{t-1}
    }
  }
}

// states: null or [B, H, T + 1, N, N].
void wkv_forward_cpu(const Dims& D, const Inputs& in, const float* s0, float* y, float* states,
                     float* s_end) {
  const int64_t NN = D.N * D.N;
  at::parallel_for(0, D.B * D.H, 1, [&](int64_t begin, int64_t end) {
    for (int64_t bh = begin; bh < end; ++bh) {
      float* S = s_end + bh * NN;
      std::memcpy(S, s0 + bh * NN, NN * sizeof(float));
      forward_bh(D, bh / D.H, bh % D.H, in, S, y, states ? states + bh * (D.T + 1) * NN : nullptr);
    }
  });
}

struct Grads {
  float *r, *d, *k, *v, *a, *b;
};

// states: [B, H, T + 1, N, N] from the forward.
void wkv_backward_cpu(const Dims& D, const Inputs& in, const float* states, const float* dy,
                      const Grads& g) {
  const int64_t N = D.N, NN = N * N;
  at::parallel_for(0, D.B * D.H, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> dS(NN);
    for (int64_t bh = begin; bh < end; ++bh) {
      const int64_t bb = bh / D.H, h = bh % D.H;
      const float* st = states + bh * (D.T + 1) * NN;
      std::fill(dS.begin(), dS.end(), 0.0f);
      for (int64_t t = D.T - 1; t >= 0; --t) {
        const int64_t o = D.at(bb, t, h);
        backward_step(N, in.r + o, in.d + o, in.k + o, in.v + o, in.a + o, in.b + o, dy + o,
                      st + t * NN, st + (t + 1) * NN, dS.data(), g.r + o, g.d + o, g.k + o,
                      g.v + o, g.a + o, g.b + o);
      }
    }
  });
}

Inputs inputs_of(const torch::Tensor& r, const torch::Tensor& d, const torch::Tensor& k,
                 const torch::Tensor& v, const torch::Tensor& a, const torch::Tensor& b) {
  return {r.data_ptr<float>(), d.data_ptr<float>(), k.data_ptr<float>(),
          v.data_ptr<float>(), a.data_ptr<float>(), b.data_ptr<float>()};
}

void check_cuda(const char* error, const char* what) {
  TORCH_CHECK(error == nullptr, "wkv: CUDA ", what, " failed: ", error ? error : "");
}

void* current_stream() { return c10::cuda::getCurrentCUDAStream().stream(); }

// Forward by device into preallocated contiguous y and s_end; the chunk
// states go to *chunks unless it is null.
void run_forward(const torch::Tensor& r, const torch::Tensor& d, const torch::Tensor& k,
                 const torch::Tensor& v, const torch::Tensor& a, const torch::Tensor& b,
                 const torch::Tensor& s0, torch::Tensor& y, torch::Tensor* chunks,
                 torch::Tensor& s_end) {
  const Dims D{r.size(0), r.size(1), r.size(2), r.size(3)};
  float* c = chunks ? chunks->data_ptr<float>() : nullptr;
  if (r.is_cuda()) {
    check_cuda(cuda::wkv_forward(D.B, D.T, D.H, D.N, kWkvChunk, r.data_ptr<float>(),
                                 d.data_ptr<float>(), k.data_ptr<float>(), v.data_ptr<float>(),
                                 a.data_ptr<float>(), b.data_ptr<float>(), s0.data_ptr<float>(),
                                 y.data_ptr<float>(), c, s_end.data_ptr<float>(), current_stream()),
               "forward");
  } else {
    wkv_forward_cpu(D, inputs_of(r, d, k, v, a, b), s0.data_ptr<float>(), y.data_ptr<float>(), c,
                    s_end.data_ptr<float>());
  }
}

// The fast path as an autograd function: saves the inputs and the chunk states.
struct WkvFunction : public torch::autograd::Function<WkvFunction> {
  static torch::autograd::tensor_list forward(torch::autograd::AutogradContext* ctx,
                                              torch::Tensor r, torch::Tensor d, torch::Tensor k,
                                              torch::Tensor v, torch::Tensor a, torch::Tensor b,
                                              torch::Tensor s0) {
    const Dims D{r.size(0), r.size(1), r.size(2), r.size(3)};
    // Kept for the backward: CUDA the state every kWkvChunk steps, CPU every state.
    const int64_t kept = r.is_cuda() ? (D.T + kWkvChunk - 1) / kWkvChunk : D.T + 1;
    auto y = torch::empty_like(r);
    auto chunks = torch::empty({D.B, D.H, kept, D.N, D.N}, r.options());
    auto s_end = torch::empty_like(s0);
    run_forward(r, d, k, v, a, b, s0, y, &chunks, s_end);
    ctx->save_for_backward({r, d, k, v, a, b, chunks});
    ctx->mark_non_differentiable({s_end});
    return {y, s_end};
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto &r = saved[0], &d = saved[1], &k = saved[2], &v = saved[3], &a = saved[4],
               &b = saved[5], &chunks = saved[6];
    const Dims D{r.size(0), r.size(1), r.size(2), r.size(3)};
    auto dy = grads[0].defined() ? grads[0].contiguous() : torch::zeros_like(r);
    std::vector<torch::Tensor> out;
    for (int i = 0; i < 6; ++i) out.push_back(torch::empty_like(r));
    if (r.is_cuda()) {
      auto scratch = torch::empty({D.B, D.H, kWkvChunk + 1, D.N, D.N}, r.options());
      check_cuda(cuda::wkv_backward(D.B, D.T, D.H, D.N, kWkvChunk, r.data_ptr<float>(),
                                    d.data_ptr<float>(), k.data_ptr<float>(), v.data_ptr<float>(),
                                    a.data_ptr<float>(), b.data_ptr<float>(),
                                    chunks.data_ptr<float>(), dy.data_ptr<float>(),
                                    out[0].data_ptr<float>(), out[1].data_ptr<float>(),
                                    out[2].data_ptr<float>(), out[3].data_ptr<float>(),
                                    out[4].data_ptr<float>(), out[5].data_ptr<float>(),
                                    scratch.data_ptr<float>(), current_stream()),
                 "backward");
    } else {
      wkv_backward_cpu(D, inputs_of(r, d, k, v, a, b), chunks.data_ptr<float>(),
                       dy.data_ptr<float>(),
                       {out[0].data_ptr<float>(), out[1].data_ptr<float>(), out[2].data_ptr<float>(),
                        out[3].data_ptr<float>(), out[4].data_ptr<float>(),
                        out[5].data_ptr<float>()});
    }
    return {out[0], out[1], out[2], out[3], out[4], out[5], torch::Tensor()};
  }
};

}  // namespace

torch::Tensor wkv_reference(const torch::Tensor& r, const torch::Tensor& d, const torch::Tensor& k,
                            const torch::Tensor& v, const torch::Tensor& a, const torch::Tensor& b,
                            const torch::Tensor& s0, torch::Tensor* s_end) {
  check_inputs(r, d, k, v, a, b, s0);
  auto S = s0;  // [B, H, N(i), N(j)]
  std::vector<torch::Tensor> ys;
  for (int64_t t = 0; t < r.size(1); ++t) {
    auto col = [t](const torch::Tensor& x) { return x.select(1, t).unsqueeze(-1); };  // [B,H,N,1]
    auto row = [t](const torch::Tensor& x) { return x.select(1, t).unsqueeze(-2); };  // [B,H,1,N]
    auto sa = torch::matmul(S, col(a));                                              // [B,H,N,1]
    S = S * row(d) + col(v) * row(k) + sa * row(b);
    ys.push_back(torch::matmul(S, col(r)).squeeze(-1));  // [B,H,N]
  }
  if (s_end) *s_end = S;
  return ys.empty() ? torch::zeros_like(r) : torch::stack(ys, 1);
}

torch::Tensor wkv(const torch::Tensor& r, const torch::Tensor& d, const torch::Tensor& k,
                  const torch::Tensor& v, const torch::Tensor& a, const torch::Tensor& b,
                  const torch::Tensor& s0, torch::Tensor* s_end) {
  check_inputs(r, d, k, v, a, b, s0);
  const int64_t N = r.size(3);
  for (const auto* t : {&r, &d, &k, &v, &a, &b, &s0}) {
    TORCH_CHECK(t->scalar_type() == torch::kFloat32, "wkv: float32 tensors expected");
    TORCH_CHECK(t->device() == r.device(), "wkv: tensors on different devices");
  }
  if (r.is_cuda()) {
    TORCH_CHECK(cuda::wkv_supports(N), "wkv: no CUDA kernel for head size ", N, " (",
                rwkv_head_dims_text(), ")");
  } else {
    TORCH_CHECK(N % 8 == 0, "wkv: head size ", N, " is not a multiple of 8");
  }
  auto c = [](const torch::Tensor& x) { return x.contiguous(); };
  const bool grad = torch::GradMode::is_enabled() &&
                    (r.requires_grad() || d.requires_grad() || k.requires_grad() ||
                     v.requires_grad() || a.requires_grad() || b.requires_grad());
  if (!grad) {  // step mode and inference: no chunk states, nothing saved
    auto y = torch::empty_like(r, torch::MemoryFormat::Contiguous);
    auto end = torch::empty_like(s0, torch::MemoryFormat::Contiguous);
    run_forward(c(r), c(d), c(k), c(v), c(a), c(b), c(s0), y, nullptr, end);
    if (s_end) *s_end = end;
    return y;
  }
  auto out = WkvFunction::apply(c(r), c(d), c(k), c(v), c(a), c(b), c(s0.detach()));
  if (s_end) *s_end = out[1];
  return out[0];
}

}  // namespace nncomp::models
