// Mixer dot product and training step: scalar reference and an SSE2 path
// (baseline x86-64) that computes the same integers. The dot product splits
// each int32 weight w into hi = (w + 2^15) >> 16 and lo = w - hi * 2^16 (a
// signed 16-bit value; it is the low half of w read as signed), so that
// sum x*w = 2^16 * sum x*hi + sum x*lo, both sums formed by pmaddwd on
// 16-bit halves with exact 32-bit lane sums (|x*lo| <= 2047 * 32768 and at
// at most 32 terms in all), then floor-divided by 2^16 exactly. On x86 the
// AVX2 version runs where the CPU has it (chosen at start-up), else SSE2;
// all three give the same integers (tested).
#include "mix/mixer.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace nncomp::mix {

void mixer_train_reference(const int32_t* x, int32_t* w, int n, int err) {
  for (int i = 0; i < n; ++i) {
    int32_t v = w[i] + ((x[i] * err + (1 << 15)) >> 16);
    if (v > kWeightLimit) v = kWeightLimit;
    if (v < -kWeightLimit) v = -kWeightLimit;
    w[i] = v;
  }
}

#if defined(__x86_64__) || defined(__i386__)

namespace {

int dot_sse2(const int32_t* x, const int32_t* w, int n) {
  const __m128i lo_mask = _mm_set1_epi32(0xFFFF);
  const __m128i half = _mm_set1_epi32(0x8000);
  __m128i acc_hi = _mm_setzero_si128();
  __m128i acc_lo = _mm_setzero_si128();
  for (int i = 0; i < n; i += 4) {
    const __m128i xv = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i));
    const __m128i wv = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + i));
    // lanes [x, 0] times [lo, hi] -> x * lo (lo read as signed)
    acc_lo = _mm_add_epi32(acc_lo, _mm_madd_epi16(_mm_and_si128(xv, lo_mask), wv));
    // lanes [0, x] times [., hi'] with hi' = high half of (w + 2^15)
    acc_hi = _mm_add_epi32(acc_hi, _mm_madd_epi16(_mm_slli_epi32(xv, 16), _mm_add_epi32(wv, half)));
  }
  // n <= 32 keeps sum x*lo within int32 (32 * 2047 * 32768 < 2^31), and
  // sum x*hi' is far smaller: both lane sums are exact in 32 bits.
  __m128i t = _mm_add_epi32(acc_lo, _mm_shuffle_epi32(acc_lo, 0x4E));
  t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0xB1));
  __m128i u = _mm_add_epi32(acc_hi, _mm_shuffle_epi32(acc_hi, 0x4E));
  u = _mm_add_epi32(u, _mm_shuffle_epi32(u, 0xB1));
  int32_t s = _mm_cvtsi128_si32(u) + (_mm_cvtsi128_si32(t) >> 16);
  if (s > 2047) s = 2047;
  if (s < -2047) s = -2047;
  return s;
}

void train_sse2(const int32_t* x, int32_t* w, int n, int err) {
  const __m128i lo_mask = _mm_set1_epi32(0xFFFF);
  const __m128i e = _mm_set1_epi32(err & 0xFFFF);  // lanes [err, 0]
  const __m128i round = _mm_set1_epi32(1 << 15);
  const __m128i hi_lim = _mm_set1_epi32(kWeightLimit);
  const __m128i lo_lim = _mm_set1_epi32(-kWeightLimit);
  for (int i = 0; i < n; i += 4) {
    const __m128i xv = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i));
    __m128i wv = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + i));
    const __m128i prod = _mm_madd_epi16(_mm_and_si128(xv, lo_mask), e);  // x * err, exact
    wv = _mm_add_epi32(wv, _mm_srai_epi32(_mm_add_epi32(prod, round), 16));
    const __m128i over = _mm_cmpgt_epi32(wv, hi_lim);
    wv = _mm_or_si128(_mm_and_si128(over, hi_lim), _mm_andnot_si128(over, wv));
    const __m128i under = _mm_cmpgt_epi32(lo_lim, wv);
    wv = _mm_or_si128(_mm_and_si128(under, lo_lim), _mm_andnot_si128(under, wv));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(w + i), wv);
  }
}

// The same computations on 8 lanes; n % 8 == 4 ends with one SSE2 step.
__attribute__((target("avx2"))) int dot_avx2(const int32_t* x, const int32_t* w, int n) {
  const __m256i lo_mask = _mm256_set1_epi32(0xFFFF);
  const __m256i half = _mm256_set1_epi32(0x8000);
  __m256i acc_hi = _mm256_setzero_si256();
  __m256i acc_lo = _mm256_setzero_si256();
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + i));
    const __m256i wv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + i));
    acc_lo = _mm256_add_epi32(acc_lo, _mm256_madd_epi16(_mm256_and_si256(xv, lo_mask), wv));
    acc_hi = _mm256_add_epi32(acc_hi, _mm256_madd_epi16(_mm256_slli_epi32(xv, 16), _mm256_add_epi32(wv, half)));
  }
  __m128i lo = _mm_add_epi32(_mm256_castsi256_si128(acc_lo), _mm256_extracti128_si256(acc_lo, 1));
  __m128i hi = _mm_add_epi32(_mm256_castsi256_si128(acc_hi), _mm256_extracti128_si256(acc_hi, 1));
  if (i < n) {
    const __m128i xv = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i));
    const __m128i wv = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + i));
    lo = _mm_add_epi32(lo, _mm_madd_epi16(_mm_and_si128(xv, _mm_set1_epi32(0xFFFF)), wv));
    hi = _mm_add_epi32(hi, _mm_madd_epi16(_mm_slli_epi32(xv, 16), _mm_add_epi32(wv, _mm_set1_epi32(0x8000))));
  }
  lo = _mm_add_epi32(lo, _mm_shuffle_epi32(lo, 0x4E));
  lo = _mm_add_epi32(lo, _mm_shuffle_epi32(lo, 0xB1));
  hi = _mm_add_epi32(hi, _mm_shuffle_epi32(hi, 0x4E));
  hi = _mm_add_epi32(hi, _mm_shuffle_epi32(hi, 0xB1));
  int32_t s = _mm_cvtsi128_si32(hi) + (_mm_cvtsi128_si32(lo) >> 16);
  if (s > 2047) s = 2047;
  if (s < -2047) s = -2047;
  return s;
}

__attribute__((target("avx2"))) void train_avx2(const int32_t* x, int32_t* w, int n, int err) {
  const __m256i lo_mask = _mm256_set1_epi32(0xFFFF);
  const __m256i e = _mm256_set1_epi32(err & 0xFFFF);
  const __m256i round = _mm256_set1_epi32(1 << 15);
  const __m256i hi_lim = _mm256_set1_epi32(kWeightLimit);
  const __m256i lo_lim = _mm256_set1_epi32(-kWeightLimit);
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + i));
    __m256i wv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + i));
    const __m256i prod = _mm256_madd_epi16(_mm256_and_si256(xv, lo_mask), e);
    wv = _mm256_add_epi32(wv, _mm256_srai_epi32(_mm256_add_epi32(prod, round), 16));
    wv = _mm256_max_epi32(_mm256_min_epi32(wv, hi_lim), lo_lim);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(w + i), wv);
  }
  if (i < n) {
    const __m128i xv = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i));
    __m128i wv = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + i));
    const __m128i prod = _mm_madd_epi16(_mm_and_si128(xv, _mm_set1_epi32(0xFFFF)), _mm256_castsi256_si128(e));
    wv = _mm_add_epi32(wv, _mm_srai_epi32(_mm_add_epi32(prod, _mm_set1_epi32(1 << 15)), 16));
    wv = _mm_max_epi32(_mm_min_epi32(wv, _mm_set1_epi32(kWeightLimit)), _mm_set1_epi32(-kWeightLimit));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(w + i), wv);
  }
}

using DotFn = int (*)(const int32_t*, const int32_t*, int);
using TrainFn = void (*)(const int32_t*, int32_t*, int, int);

struct Dispatch {
  DotFn dot = dot_sse2;
  TrainFn train = train_sse2;
  Dispatch() {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2")) {
      dot = dot_avx2;
      train = train_avx2;
    }
  }
};
const Dispatch kDispatch;

}  // namespace

int mixer_dot(const int32_t* x, const int32_t* w, int n) { return kDispatch.dot(x, w, n); }
void mixer_train(const int32_t* x, int32_t* w, int n, int err) { kDispatch.train(x, w, n, err); }
int mixer_dot_sse2(const int32_t* x, const int32_t* w, int n) { return dot_sse2(x, w, n); }
void mixer_train_sse2(const int32_t* x, int32_t* w, int n, int err) { train_sse2(x, w, n, err); }

#else

int mixer_dot(const int32_t* x, const int32_t* w, int n) { return mixer_dot_reference(x, w, n); }
void mixer_train(const int32_t* x, int32_t* w, int n, int err) { mixer_train_reference(x, w, n, err); }
int mixer_dot_sse2(const int32_t* x, const int32_t* w, int n) { return mixer_dot_reference(x, w, n); }
void mixer_train_sse2(const int32_t* x, int32_t* w, int n, int err) { mixer_train_reference(x, w, n, err); }

#endif

}  // namespace nncomp::mix
