// The coding loop of one byte of one stream: 8 binary decisions, MSB first,
// each coded with the predictor's probability by the range coder's binary
// path, then learned. Encoder and decoder call these in the same order.
#pragma once

#include <cstdint>

#include "coder/range_coder.h"
#include "mix/predictor.h"
#include "mix/squash.h"

namespace nncomp::mix {

/// Ideal cost of a decision coded with probability q16 / 2^16 (1..65535 for
/// the coded value), in 1/65536 bits: 16 * 2^16 - log2_q16(q16).
inline uint32_t bit_cost_q16(uint32_t q16) { return (16u << 16) - static_cast<uint32_t>(log2_q16(q16)); }

/// Codes `byte` as byte t of stream s (between p.begin_step(t) and
/// p.end_step()): begin_byte(s, cdf), then per bit p_bit, encode_bit,
/// update_bit. Returns the ideal cost of the 8 decisions in 1/65536 bits.
inline uint32_t encode_byte(Predictor& p, uint32_t s, const uint32_t* cdf, int byte, coder::RangeEncoder& enc) {
  p.begin_byte(s, cdf);
  uint32_t cost = 0;
  for (int b = 7; b >= 0; --b) {
    const int bit = (byte >> b) & 1;
    const uint32_t p1 = p.p_bit(s);
    cost += bit_cost_q16(bit ? p1 : 65536 - p1);
    enc.encode_bit(bit, p1);
    p.update_bit(s, bit);
  }
  return cost;
}

/// Decodes byte t of stream s, the inverse of encode_byte (same calls to p);
/// the caller stores the result in the history buffer before p.end_step().
inline int decode_byte(Predictor& p, uint32_t s, const uint32_t* cdf, coder::RangeDecoder& dec) {
  p.begin_byte(s, cdf);
  int byte = 0;
  for (int b = 0; b < 8; ++b) {
    const int bit = dec.decode_bit(p.p_bit(s));
    byte = 2 * byte + bit;
    p.update_bit(s, bit);
  }
  return byte;
}

}  // namespace nncomp::mix
