// History update and context hashing (rule version 1).
#include "mix/contexts.h"

namespace nncomp::mix {

void history_step(History& h, uint32_t c, uint64_t pos, const uint8_t* stream) {
  h.c8 = (h.c8 << 8) | c;
  uint32_t l = c;
  if (l >= 'A' && l <= 'Z') l += 32;
  if (l >= 'a' && l <= 'z') {
    h.word = (h.word + l + 1) * 0x2F0F3B7Bu;
  } else if (h.word != 0) {
    h.word_prev = h.word;
    h.word = 0;
  }
  switch (c) {
    case '[': h.mark |= kMarkLink; break;
    case ']': h.mark &= ~kMarkLink; break;
    case '{': h.mark |= kMarkTemplate; break;
    case '}': h.mark &= ~kMarkTemplate; break;
    case '<': h.mark |= kMarkTag; break;
    case '>': h.mark &= ~kMarkTag; break;
    case '&': h.mark |= kMarkEntity; break;
    case ';': h.mark &= ~kMarkEntity; break;
    case '|': h.mark |= kMarkPipe; break;
    case '\n': h.mark &= ~(kMarkPipe | kMarkEntity); break;
    default: break;
  }
  if (c == '\n') {
    h.prev_line_start = h.line_start;
    h.have_prev_line = 1;
    h.line_start = pos + 1;
    h.col = 0;
  } else {
    ++h.col;
  }
  // The byte above the next one: previous line, same column, if that line
  // reaches it (its '\n' excluded). It lies at or before pos; pos is c.
  h.above = 0;
  if (h.have_prev_line) {
    const uint64_t ap = h.prev_line_start + h.col;
    if (ap + 1 < h.line_start) h.above = ap == pos ? c : stream[ap];
  }
}

uint64_t context_hash(uint8_t kind, const History& h, uint64_t pos, const uint8_t* stream) {
  const uint64_t c8 = h.c8;
  uint64_t v;
  switch (kind) {
    case kCtxOrder9:
    case kCtxOrder12: {
      const uint64_t k = kind == kCtxOrder9 ? 9 : 12;
      v = c8;
      for (uint64_t back = 9; back <= k; ++back) v = v * 0x100000001B3ull + (pos >= back ? stream[pos - back] : 0);
      break;
    }
    case kCtxWord: v = h.word ^ (h.word == 0 ? (c8 & 0xFF) << 32 : 0); break;
    case kCtxWord2: v = (static_cast<uint64_t>(h.word_prev) << 32) ^ h.word; break;
    case kCtxMarkup: v = (static_cast<uint64_t>(h.mark) << 16) | (c8 & 0xFFFF); break;
    case kCtxColumn:
      v = (static_cast<uint64_t>(h.col < 64 ? h.col : 64) << 16) | (static_cast<uint64_t>(h.above) << 8) | (c8 & 0xFF);
      break;
    case kCtxAbove: v = (static_cast<uint64_t>(h.above) << 8) | (h.col < 255 ? h.col : 255); break;
    default: {  // orders 1..7
      const int k = kind - kCtxOrder1 + 1;
      v = c8 & ((uint64_t{1} << (8 * k)) - 1);
      break;
    }
  }
  return hash64(v, kind);
}

}  // namespace nncomp::mix
