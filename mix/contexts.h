// Byte-level contexts of one stream: the history the context models hash
// (last bytes, word hashes, a small markup state for MediaWiki/XML text, the
// column and the byte above it), how it advances by one byte, and the hash
// of each context kind for the next byte. Only the stream's own bytes at
// positions below the current one are read (see docs/mix.md).
#pragma once

#include <cstdint>

namespace nncomp::mix {

/// 64-bit mixing function (the splitmix64 finaliser) of a value and a salt.
inline uint64_t hash64(uint64_t x, uint64_t salt) {
  x += salt * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
  x ^= x >> 31;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 29;
  x *= 0x94D049BB133111EBull;
  x ^= x >> 32;
  return x;
}

/// Markup flags of History::mark.
enum MarkBit : uint32_t {
  kMarkLink = 1,      ///< after '[' (until ']')
  kMarkTemplate = 2,  ///< after '{' (until '}')
  kMarkTag = 4,       ///< after '<' (until '>')
  kMarkEntity = 8,    ///< after '&' (until ';' or a newline)
  kMarkPipe = 16,     ///< after '|' (until a newline)
};

/// What a stream's context hashes are computed from.
struct History {
  uint64_t c8 = 0;               ///< last 8 bytes, the most recent in the low byte
  uint32_t word = 0;             ///< hash of the current word's letters (0 outside a word)
  uint32_t word_prev = 0;        ///< hash of the previous word
  uint32_t mark = 0;             ///< MarkBit flags
  uint32_t col = 0;              ///< column of the next byte (bytes since the last '\n')
  uint64_t line_start = 0;       ///< stream position of the current line's first byte
  uint64_t prev_line_start = 0;  ///< and of the previous line's
  uint32_t have_prev_line = 0;   ///< 1 once a '\n' was seen
  uint32_t above = 0;            ///< byte of the previous line at the next byte's column, 0 if none
};

/// Context kinds (rule version 1). The value is also the hash salt.
enum CtxKind : uint8_t {
  kCtxOrder1 = 1,
  kCtxOrder2,
  kCtxOrder3,
  kCtxOrder4,
  kCtxOrder5,
  kCtxOrder6,
  kCtxOrder7,
  kCtxOrder9,
  kCtxOrder12,
  kCtxWord,      ///< current word; outside a word, the last byte
  kCtxWord2,     ///< previous word and current word
  kCtxMarkup,    ///< markup flags and the last 2 bytes
  kCtxColumn,    ///< column (capped at 64), the byte above, the last byte
  kCtxAbove,     ///< the byte above and the column (capped at 255)
};

/// Advances h by byte c, the byte at stream position pos. stream = the
/// stream's first byte in the buffer; only stream[q] for q < pos is read.
void history_step(History& h, uint32_t c, uint64_t pos, const uint8_t* stream);

/// The hash of context `kind` for the byte at stream position pos, from the
/// history after byte pos - 1 (orders above 8 read stream[pos - 9 ..]).
uint64_t context_hash(uint8_t kind, const History& h, uint64_t pos, const uint8_t* stream);

}  // namespace nncomp::mix
