// Fixed float -> integer frequency rule shared by encoder and decoder.
// The encoder and decoder must turn the same float probabilities into the same
// integer table on every IEEE-754 machine, so the rule below uses only integer
// operations and single, correctly rounded double operations (no libm, no FMA).
#pragma once

#include <cstdint>

namespace nncomp::coder {

/// Number of bits of the frequency total used by quantize_cdf and the range coder.
inline constexpr int kFreqBits = 24;
/// Frequency total T = 2^24: every quantised table sums to exactly this.
inline constexpr uint32_t kFreqTotal = 1u << kFreqBits;
/// Largest alphabet quantize_cdf accepts.
inline constexpr int kMaxSymbols = 256;

/// Quantises n float probabilities into a cumulative frequency table over 2^24.
///
/// Rule (format v1, `quant_rule = 1` in the container; changing ANY step below
/// changes compressed files). T = kFreqTotal = 2^24, all double arithmetic is
/// IEEE-754 binary64 with round-to-nearest-even, one rounding per operation:
///  1. Cleaning: w_i = p_i converted exactly to double if p_i is finite and
///     > 0 (subnormal floats included, converted exactly by integer ops so that
///     flush-to-zero / denormals-are-zero CPU modes do not matter); otherwise
///     (+0, -0, negative, NaN, +-inf) w_i = 0.
///  2. sum = w_0 + w_1 + ... + w_{n-1}, accumulated left to right in double
///     starting from 0.0. If sum == 0 (all weights zero), set every w_i = 1.0
///     and sum = (double)n (uniform table).
///  3. scale = (double)(T - n) / sum   (one rounded division).
///  4. For each i: x_i = w_i * scale (one rounded multiplication);
///     q_i = T - n if x_i >= (double)(T - n), otherwise q_i = floor(x_i)
///     (truncation of the non-negative double to an integer);
///     f_i = 1 + q_i.
///  5. d = T - (f_0 + ... + f_{n-1}) as a signed integer. Let m be the index
///     of the largest f_i (smallest such index on ties), computed after step 4.
///     If d >= 0: f_m += d.  If d < 0: take min(-d, f_m - 1) from f_m, then
///     take the rest from i = 0, 1, 2, ... in index order (skipping m), each
///     f_i giving at most f_i - 1, until the total taken is -d.
///     (With the bounds of step 4, d is in [0, n] in practice; the d < 0 branch
///     exists only to make the rule total.)
///  6. cdf[0] = 0, cdf[i+1] = cdf[i] + f_i.
///
/// Output guarantees: cdf[0] = 0, cdf[n] = 2^24, every f_i = cdf[i+1]-cdf[i]
/// is >= 1 (so any symbol can be coded). For n == 1 the table is {0, 2^24}.
///
/// @param probs  n probabilities, ideally non-negative and summing to ~1
///               (any values are accepted, see the cleaning step).
/// @param n      alphabet size, 1 <= n <= kMaxSymbols (checked by assert only;
///               in release builds n < 1 writes nothing and n > 256 acts as 256).
/// @param cdf    output array of n + 1 entries.
/// Requires a compiler evaluating double expressions in double (FLT_EVAL_METHOD
/// 0, e.g. x86-64 SSE2, AArch64) without -ffast-math; checked at compile time.
/// Throws nothing. O(n).
void quantize_cdf(const float* probs, int n, uint32_t* cdf) noexcept;

}  // namespace nncomp::coder
