// ArgmaxTree construction: leaves are the 256 frequencies, each internal
// node keeps the child with the larger frequency (left child on a tie).
#include "mix/neural_input.h"

namespace nncomp::mix {

void ArgmaxTree::build(const uint32_t* cdf) {
  uint32_t f[256];
  for (int i = 0; i < 256; ++i) f[i] = cdf[i + 1] - cdf[i];
  // Level of nodes 128..255: pairs of bytes.
  uint8_t idx[512];
  for (int i = 0; i < 256; ++i) idx[256 + i] = static_cast<uint8_t>(i);
  for (int node = 255; node >= 1; --node) {
    const uint8_t a = idx[2 * node];
    const uint8_t b = idx[2 * node + 1];
    idx[node] = f[b] > f[a] ? b : a;
  }
  for (int node = 1; node < 256; ++node) best[node] = idx[node];
  best[0] = idx[1];
}

}  // namespace nncomp::mix
