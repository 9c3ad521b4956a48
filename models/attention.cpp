// attention.cpp — rotary tables and causal attention (see attention.h).
#include "models/attention.h"

#include <cmath>

#include "models/detmath.h"
#include "nncomp/error.h"

namespace nncomp::models {

int64_t checked_head_dim(const ModelConfig& config, const char* kind) {
  const int64_t d = config.d_model, h = config.n_head;
  if (h == 0 || d % h != 0 || (d / h) % 2 != 0)
    throw Error(ErrorKind::kUsage, std::string(kind) + ": d_model must be a multiple of 2·n_head");
  return d / h;
}

Rope::Rope(int64_t max_len, int64_t head_dim, double base) : half_(head_dim / 2) {
  cos_ = torch::empty({max_len, half_}, torch::kFloat32);
  sin_ = torch::empty({max_len, half_}, torch::kFloat32);
  float* c = cos_.data_ptr<float>();
  float* s = sin_.data_ptr<float>();
  for (int64_t i = 0; i < half_; ++i) {
    const double inv_freq = detmath::pow(base, -2.0 * static_cast<double>(i) / head_dim);
    for (int64_t pos = 0; pos < max_len; ++pos) {
      double sn, cs;
      detmath::sincos(static_cast<double>(pos) * inv_freq, &sn, &cs);
      c[pos * half_ + i] = static_cast<float>(cs);
      s[pos * half_ + i] = static_cast<float>(sn);
    }
  }
}

torch::Tensor Rope::apply(const torch::Tensor& x, int64_t pos0, int64_t len) const {
  torch::Tensor c, s;
  if (len == 0) {
    c = cos_[pos0];  // (half)
    s = sin_[pos0];
  } else {
    c = cos_.narrow(0, pos0, len);  // (len, half)
    s = sin_.narrow(0, pos0, len);
  }
  auto x1 = x.narrow(-1, 0, half_), x2 = x.narrow(-1, half_, half_);
  return torch::cat({x1 * c + x2 * s, x2 * c - x1 * s}, -1);
}

void Rope::to(const torch::Device& device) {
  cos_ = cos_.to(device);
  sin_ = sin_.to(device);
}

void KvCache::begin(const char* kind, int64_t n_layer, int64_t B, int64_t H, int64_t max_len,
                    int64_t hd, int64_t ctx_len, int64_t max_steps,
                    const torch::TensorOptions& options) {
  TORCH_CHECK(ctx_len + max_steps <= max_len, kind, ": context + segment exceeds max_len");
  if (k.empty() || k[0].size(0) != B) {
    k.clear();
    v.clear();
    for (int64_t l = 0; l < n_layer; ++l) {
      k.push_back(torch::zeros({B, H, max_len, hd}, options));
      v.push_back(torch::zeros({B, H, max_len, hd}, options));
    }
  }
  ctx = ctx_len;
  pos = ctx_len;
  pos_end = ctx_len + max_steps;
}

int64_t KvCache::next_step(const char* kind) {
  TORCH_CHECK(pos < pos_end, kind, ": step() past the segment announced to begin_segment()");
  return pos++;
}

void KvCache::check_segment(const char* kind, int64_t len) const {
  TORCH_CHECK(!k.empty() && ctx + len <= pos_end, kind,
              ": train_forward() needs begin_segment() with room for the segment");
}

void KvCache::store(size_t l, int64_t pos0, int64_t len, const torch::Tensor& keys,
                    const torch::Tensor& values) {
  if (len == 0) {
    k[l].select(2, pos0).copy_(keys);
    v[l].select(2, pos0).copy_(values);
  } else {
    k[l].narrow(2, pos0, len).copy_(keys);
    v[l].narrow(2, pos0, len).copy_(values);
  }
}

torch::Tensor window_attention(const torch::Tensor& q, torch::Tensor k, torch::Tensor v,
                               const KvCache& cache, size_t l, int64_t ctx, double scale) {
  const int64_t B = q.size(0), H = q.size(1), T = q.size(2), hd = q.size(3);
  // Query i sits at position ctx+i and sees keys 0..ctx+i: (T, ctx+T), 0 / −inf.
  auto mask = torch::full({T, ctx + T}, -INFINITY, q.options()).triu(ctx + 1);
  if (ctx > 0) {  // cached context first, as constants: (B, H, ctx+T, hd)
    k = torch::cat({cache.k[l].narrow(2, 0, ctx).clone(), k}, 2);
    v = torch::cat({cache.v[l].narrow(2, 0, ctx).clone(), v}, 2);
  }
  auto att = torch::softmax(torch::matmul(q, k.transpose(-2, -1)) * scale + mask, -1);
  return torch::matmul(att, v).transpose(1, 2).reshape({B, T, H * hd});
}

torch::Tensor step_attention(const torch::Tensor& q, const KvCache& cache, size_t l, int64_t pos,
                             double scale) {
  const int64_t B = q.size(0), H = q.size(1), hd = q.size(2);
  auto keys = cache.k[l].narrow(2, 0, pos + 1);    // (B, H, pos+1, hd)
  auto values = cache.v[l].narrow(2, 0, pos + 1);  // (B, H, pos+1, hd)
  auto att = torch::softmax(torch::matmul(q.unsqueeze(2), keys.transpose(-2, -1)) * scale, -1);
  return torch::matmul(att, values).reshape({B, H * hd});
}

}  // namespace nncomp::models
