// Host entry point of the format-v1 quantisation rule (quantize.h); the rule
// itself lives in quantize_rule.h, shared with the GPU kernel.
#include "coder/quantize.h"

#include <cassert>
#include <cfloat>

#include "coder/quantize_rule.h"

#if defined(__FAST_MATH__)
#error "coder/quantize.cpp must not be compiled with -ffast-math (file format rule)"
#endif
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD > 0
#error "coder/quantize.cpp needs FLT_EVAL_METHOD == 0 (no excess precision)"
#endif

namespace nncomp::coder {

void quantize_cdf(const float* probs, int n, uint32_t* cdf) noexcept {
  assert(n >= 1 && n <= kMaxSymbols);
  if (n < 1) return;  // nothing sensible to write; precondition violated
  if (n > kMaxSymbols) n = kMaxSymbols;
  rule::quantize_cdf(probs, n, cdf);
  assert(cdf[n] == kFreqTotal);
}

}  // namespace nncomp::coder
