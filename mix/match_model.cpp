// Backward verification of a match candidate under the lockstep knowledge
// rule (only bytes at in-stream positions < t_next may be read).
#include "mix/match_model.h"

namespace nncomp::mix {

uint32_t match_verify(const uint8_t* buf, uint64_t n, uint64_t stream_len, uint64_t t_next, uint64_t cand,
                      uint64_t cur, uint64_t stream_start, uint32_t max_len) {
  if (cand == 0 || cand >= n || cand % stream_len >= t_next) return 0;  // predicted byte not known
  uint32_t len = 0;
  while (len < max_len) {
    if (cand <= len || cur <= stream_start + len) break;  // ran out of history
    const uint64_t a = cand - 1 - len;
    const uint64_t b = cur - 1 - len;
    if (a % stream_len >= t_next) break;  // unknown byte of another stream
    if (buf[a] != buf[b]) break;
    ++len;
  }
  return len;
}

}  // namespace nncomp::mix
