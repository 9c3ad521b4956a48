// Internal: the per-stream state and the per-bit update record of
// Predictor (shared by predictor.cpp and predictor_state.cpp only).
#pragma once

#include <cstdint>

#include "mix/predictor.h"

namespace nncomp::mix {

/// Everything one bit's prediction used, so that its updates can be
/// replayed at the end of the step.
struct Predictor::BitRecord {
  int32_t x[kMaxInputs];              // layer-1 inputs (stretch domain, zero-padded)
  int32_t x2[8];                      // final-mixer inputs (layer-1 outputs, neural, bias, 0)
  uint32_t ctx_cell[kMaxContexts];    // the contexts' cells (count limit ctx_limit_), relative to off_ctx
  uint32_t cell[kMaxCells];           // the other cells to update, in order
  uint16_t limit[kMaxCells];          // their count limits
  uint32_t mix_off[kMaxMixers];       // weight sets used
  int32_t mix_p[kMaxMixers];          // layer-1 outputs as p16
  uint32_t final_off;
  int32_t final_p;
  uint8_t n_cells;
  uint8_t bit;
};

struct Predictor::Stream {
  uint32_t c0 = 1;      // partial byte with a leading 1
  uint32_t bitpos = 0;  // bits of this byte coded so far
  History h;            // byte-level history
  uint64_t hash[kMaxContexts];       // context hashes of this byte
  uint64_t hash2[kMaxContexts];      // their second-nibble slot hashes (set after bit 4)
  uint64_t next_hash[kMaxContexts];  // of the next byte (computed at the end of this one)
  bool next_valid = false;
  alignas(16) uint8_t nodes[kMaxContexts][16];  // current nibble's states (node 1..15), per context
  MatchState match;
  int expected = -1;  // match model's predicted byte, -1 if none
  const uint32_t* cdf = nullptr;
  uint32_t p = 32768;
  bool live = false;  // called in this step
  uint8_t byte = 0;   // the byte coded in this step
  BitRecord rec[8];
};

}  // namespace nncomp::mix
