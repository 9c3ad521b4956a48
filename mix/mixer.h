// Gated linear mixing in the stretch domain (lpaq1 / paq8 Mixer): a weight
// set, chosen by a small context, forms p = squash(sum_i w_i x_i / 2^16) and
// learns online by w_i += x_i * err / 2^16 with err = lr * (y - p) scaled
// (the gradient of coding cost for the logistic mix). Inputs are stretch
// values (|x| <= 2047), weights are 16.16 fixed point clamped to +-2^20.
// The SSE2 paths (mixer.cpp) compute exactly the scalar definitions below.
#pragma once

#include <cstdint>

namespace nncomp::mix {

/// Weight bound: |w| <= kWeightLimit (16.0 in 16.16 fixed point).
inline constexpr int32_t kWeightLimit = (1 << 20) - 1;

/// Input vectors are padded with zeros to a multiple of this many entries.
inline constexpr int kMixerLanes = 4;

/// floor(sum_i x_i * w_i / 2^16), clamped to [-2047, 2047]: the mixer's
/// output in the stretch domain. n a multiple of kMixerLanes, n <= 32,
/// |x_i| <= 2047, |w_i| <= kWeightLimit.
int mixer_dot(const int32_t* x, const int32_t* w, int n);

/// Mixer error term for bit y and output p16: ((y << 16) - p16) * lr / 16
/// (floor), clamped to [-32767, 32767]. lr = 7 is lpaq1's rate.
inline int mixer_err(int y, int p16, int lr) {
  int e = (((y << 16) - p16) * lr) >> 4;
  if (e > 32767) e = 32767;
  if (e < -32767) e = -32767;
  return e;
}

/// w_i += (x_i * err + 2^15) >> 16 (floor), clamped to +-kWeightLimit.
/// Same preconditions as mixer_dot, |err| <= 32767.
void mixer_train(const int32_t* x, int32_t* w, int n, int err);

/// The plain scalar definitions (the reference the tests compare against)
/// and the SSE2 paths (used where AVX2 is missing; the reference elsewhere).
inline int mixer_dot_reference(const int32_t* x, const int32_t* w, int n) {
  int64_t s = 0;
  for (int i = 0; i < n; ++i) s += static_cast<int64_t>(x[i]) * w[i];
  s >>= 16;
  if (s > 2047) s = 2047;
  if (s < -2047) s = -2047;
  return static_cast<int>(s);
}
void mixer_train_reference(const int32_t* x, int32_t* w, int n, int err);
int mixer_dot_sse2(const int32_t* x, const int32_t* w, int n);
void mixer_train_sse2(const int32_t* x, int32_t* w, int n, int err);

}  // namespace nncomp::mix
