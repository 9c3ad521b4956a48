// The bitwise predictor of the mixing side: per step, per live stream, the
// 8 bits of one byte are predicted (MSB first) by mixing the neural model's
// bit probability with classical context models, then every part learns the
// coded bit. Lockstep contract (docs/mix.md has the full rule):
//  - between begin_step(t) and end_step(), calls for different streams may
//    run concurrently (calls for one stream are sequential); shared state
//    (bit-history table, match index, cells, mixer weights) is read-only
//    then, each stream logging the updates it wants;
//  - end_step() (serial) replays the logs in stream order, then does the
//    match-model lookups and inserts; so results never depend on scheduling.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mix/big_buffer.h"
#include "mix/config.h"
#include "mix/contexts.h"
#include "mix/match_model.h"
#include "mix/neural_input.h"
#include "mix/slot_table.h"

namespace nncomp::mix {

/// Capacities: hashed contexts (shared + private), layer-1 inputs (the SIMD
/// dot product allows at most 32), other cells updated per bit, mixers.
inline constexpr int kMaxContexts = 24;
inline constexpr int kMaxInputs = 32;
inline constexpr int kMaxCells = 8;
inline constexpr int kMaxMixers = 3;

/// Where everything lives in the cell and weight arrays (derived from the
/// configuration and the stream count; see docs/mix.md).
struct Layout {
  int n_ctx = 0;                          // hashed contexts, shared first
  uint8_t kind[kMaxContexts] = {};        // their kinds (contexts.h)
  uint8_t is_private[kMaxContexts] = {};  // 1: in the stream's private table
  int private_log2 = 0;                   // private table size (0: none)
  bool neural = false;
  uint32_t off_order0 = 0, off_ctx = 0, off_match = 0, off_apm1 = 0, off_apm2 = 0, off_apm_nn = 0;
  uint32_t n_cells = 0;
  uint32_t n_inputs = 0;  // layer-1 inputs, padded to kMixerLanes
  uint32_t n_mixers = 0;
  uint32_t mix_sets[kMaxMixers] = {};
  uint32_t mix_off[kMaxMixers] = {};
  uint32_t n_final = 0;   // final-mixer inputs, padded
  uint32_t final_off = 0;
  uint32_t n_weights = 0;
};

/// The layout for an acceptable configuration and n_streams >= 1.
Layout make_layout(const Config& c, uint32_t n_streams);

class Predictor {
 public:
  /// Allocates every table. Throws std::invalid_argument if
  /// config_problem(c) != "" or n_streams is 0 or above 65536;
  /// std::bad_alloc if memory runs out.
  Predictor(const Config& c, uint32_t n_streams);
  ~Predictor();
  Predictor(const Predictor&) = delete;
  Predictor& operator=(const Predictor&) = delete;

  /// The engine's stream-major buffer: stream s, position t at
  /// tokens[s * stream_len + t]; total_len = N bytes of the input (the last
  /// streams may be shorter or empty: stream s holds positions
  /// [s * stream_len, min((s + 1) * stream_len, N))). Positions < the
  /// current step are final; byte t of every live stream must be stored
  /// before end_step() of step t. Call before the first step (and again
  /// after load()). Throws std::invalid_argument unless total_len < 2^32 - 1,
  /// stream_len * n_streams >= total_len and stream_len <= total_len (or
  /// both 0), or tokens is null with total_len > 0.
  void set_history(const uint8_t* tokens, uint64_t stream_len, uint64_t total_len);

  /// Starts step t (t = 0, 1, ... in order).
  void begin_step(uint64_t t);
  /// Starts byte t of stream s (s < n_streams, t < its length). cdf: 257
  /// entries over 2^24 (the neural model's distribution) or nullptr (no
  /// neural input for this byte); read during this byte's calls only.
  void begin_byte(uint32_t s, const uint32_t* cdf);
  /// P(next bit of stream s = 1) in units of 2^-16, 1..65535.
  uint32_t p_bit(uint32_t s) const;
  /// Learns the coded bit (0/1) of stream s; call 8 times per byte, MSB first.
  void update_bit(uint32_t s, int bit);
  /// Ends the step: replays every stream's logged updates in stream order,
  /// then the match lookups and inserts. Serial. Same as end_step_part(0, 1)
  /// followed by end_step_finish().
  void end_step();

  /// end_step() split for threads: the calls end_step_part(k, n_parts) for
  /// k = 0 .. n_parts - 1 may run concurrently, then end_step_finish()
  /// (serial) does the match model. The updates are divided into 16 work
  /// units over disjoint objects (units 0-1: the cells of the contexts i
  /// with i mod 2 = u; 2: the other cells; 3: the mixer weights; 4-7: the
  /// shared-table buckets of hashes with top bits u - 4; 8-15: the private
  /// tables of the streams s with s mod 8 = u - 8), unit u done by part
  /// u mod n_parts, each in stream order. The resulting state equals
  /// end_step()'s for every n_parts >= 1; more than 16 parts add nothing.
  static constexpr uint32_t kEndUnits = 16;
  void end_step_part(uint32_t part, uint32_t n_parts);
  void end_step_finish();

  /// The complete state as bytes (between steps only), and its restoration
  /// into a predictor of the same configuration and stream count (then call
  /// set_history and continue with the next step). load() throws
  /// std::invalid_argument on bytes that do not fit (wrong magic, rule,
  /// configuration, stream count or size); the predictor is then unchanged.
  std::vector<uint8_t> save() const;
  void load(const std::vector<uint8_t>& bytes);

  uint32_t n_streams() const { return n_streams_; }
  const Config& config() const { return config_; }
  /// Steps completed (end_step calls so far, or as loaded).
  uint64_t steps_done() const { return steps_done_; }

  /// Bytes of one stream's private state (for memory_bytes).
  static size_t stream_bytes();

  struct BitRecord;
  struct Stream;

 private:
  void predict(Stream& st);
  void apply_record(const BitRecord& r);
  void apply_ctx_cells(const BitRecord& r, int first, int step);
  void apply_other_cells(const BitRecord& r);
  void apply_weights(const BitRecord& r);
  void apply_slots(uint32_t s, const Stream& st, bool private_ones, int quarter);
  void begin_nibble(uint32_t s, Stream& st, bool second);
  void end_byte(uint32_t s, Stream& st, int byte);
  void replay_byte(uint32_t s, const Stream& st);
  void match_phase();
  uint64_t match_key(const History& h) const;
  const uint8_t* stream_start(uint32_t s) const { return buf_ + s * stream_len_; }
  SlotTable& table(uint32_t s, int i) { return lay_.is_private[i] ? *private_[s] : slots_; }
  const SlotTable& table(uint32_t s, int i) const { return lay_.is_private[i] ? *private_[s] : slots_; }

  Config config_;
  Layout lay_;
  uint32_t n_streams_;
  uint64_t t_ = 0;
  uint64_t steps_done_ = 0;
  const uint8_t* buf_ = nullptr;
  uint64_t stream_len_ = 0;
  uint64_t total_len_ = 0;
  uint32_t ctx_limit_ = 1016;

  SlotTable slots_;
  std::vector<std::unique_ptr<SlotTable>> private_;  // one per stream, if private models
  MatchIndex match_;
  BigArray<uint32_t> cells_;   // every adaptive probability (counters.h)
  BigArray<int32_t> weights_;  // every mixer weight set
  std::vector<Stream> streams_;
};

}  // namespace nncomp::mix
