// Predictor: per byte, the context hashes and bit-history slots of each
// stream; per bit, the inputs, the two-layer mixer and the APM stages, with
// a record of every update the bit implies; at the end of a step, the serial
// replay of those records and of the bit-history updates in stream order,
// then the match model's lookups and inserts.
#include "mix/predictor.h"
#include "mix/predictor_internal.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "mix/apm.h"
#include "mix/counters.h"
#include "mix/mixer.h"
#include "mix/squash.h"
#include "mix/state_table.h"

namespace nncomp::mix {

namespace {

// Node of the current nibble's slot for the bits coded so far.
inline uint32_t node_of(uint32_t c0, uint32_t bitpos) {
  if (bitpos < 4) return c0;
  const uint32_t k = bitpos - 4;
  return (1u << k) | (c0 & ((1u << k) - 1));
}

// Hash of a context's second-nibble slot: its hash and the first nibble
// with a leading 1 (16..31).
inline uint64_t second_nibble_hash(uint64_t h, uint32_t c0_after_4) { return hash64(h, c0_after_4); }

// Mixer training is skipped when |(y << 16) - p16| is at most this (paq8px's
// idea; measured free of cost, a few percent faster).
constexpr int kSkipLayer1 = 600;
constexpr int kSkipFinal = 200;

}  // namespace

Predictor::Predictor(const Config& c, uint32_t n_streams)
    : config_(c),
      n_streams_(n_streams),
      slots_(config_problem(c).empty() ? c.log2_slot_bytes : 12),
      match_(config_problem(c).empty() ? c.log2_match : 10) {
  const std::string problem = config_problem(c);
  if (!problem.empty()) throw std::invalid_argument("mix::Predictor: " + problem);
  if (n_streams == 0 || n_streams > 65536) throw std::invalid_argument("mix::Predictor: n_streams must be in 1..65536");
  lay_ = make_layout(c, n_streams);
  ctx_limit_ = 8u * c.sm_limit;

  // All cells start at p = 1/2 (filled by doubling copies), the context
  // cells at their state's count-based estimate, the APMs at the identity.
  cells_ = BigArray<uint32_t>(lay_.n_cells);
  cells_[0] = make_cell(1u << 21);
  for (uint64_t done = 1; done < cells_.size(); done *= 2)
    std::memcpy(&cells_[done], &cells_[0], 4 * std::min(done, cells_.size() - done));
  for (int i = 0; i < lay_.n_ctx; ++i)
    for (uint32_t s = 0; s < 256; ++s) {
      const uint32_t n0 = kStates.n0[s], n1 = kStates.n1[s];
      cells_[lay_.off_ctx + 256 * i + s] = make_cell(((2 * n1 + 1) << 22) / (2 * (n0 + n1) + 2));
    }
  // Every APM context starts as the identity: one row, copied.
  uint32_t row[kApmBuckets];
  for (int b = 0; b < kApmBuckets; ++b) row[b] = apm_initial_cell(b);
  const uint32_t apm_contexts = 256 + 65536 + (lay_.neural ? 4096 : 0);
  for (uint32_t j = 0; j < apm_contexts; ++j) std::memcpy(&cells_[lay_.off_apm1 + j * kApmBuckets], row, sizeof row);

  weights_ = BigArray<int32_t>(lay_.n_weights);
  for (uint32_t k = 0; k < lay_.n_mixers; ++k)
    for (uint32_t s = 0; s < lay_.mix_sets[k]; ++s)
      for (uint32_t i = 1; i < lay_.n_inputs; ++i) weights_[lay_.mix_off[k] + s * lay_.n_inputs + i] = (1 << 16) / 4;
  for (uint32_t s = 0; s < 8; ++s)
    for (uint32_t i = 0; i < lay_.n_mixers; ++i)
      weights_[lay_.final_off + s * lay_.n_final + i] = static_cast<int32_t>((1u << 16) / lay_.n_mixers);

  if (lay_.private_log2 > 0)
    for (uint32_t s = 0; s < n_streams; ++s) private_.push_back(std::make_unique<SlotTable>(lay_.private_log2));
  streams_.resize(n_streams);
}

Predictor::~Predictor() = default;

void Predictor::set_history(const uint8_t* tokens, uint64_t stream_len, uint64_t total_len) {
  if (total_len >= (uint64_t{1} << 32) - 1) throw std::invalid_argument("mix::Predictor: input of 2^32 - 1 bytes or more");
  if (total_len > 0 && (tokens == nullptr || stream_len == 0 || stream_len > total_len ||
                        stream_len * n_streams_ < total_len))
    throw std::invalid_argument("mix::Predictor: set_history needs tokens and 1 <= stream_len <= total_len <= stream_len * n_streams");
  buf_ = tokens;
  stream_len_ = stream_len;
  total_len_ = total_len;
}

void Predictor::begin_step(uint64_t t) {
  t_ = t;
  for (Stream& st : streams_) st.live = false;
}

void Predictor::begin_byte(uint32_t s, const uint32_t* cdf) {
  Stream& st = streams_[s];
  st.live = true;
  st.c0 = 1;
  st.bitpos = 0;
  st.cdf = lay_.neural ? cdf : nullptr;
  st.expected = st.match.len > 0 ? buf_[st.match.ptr] : -1;
  if (st.next_valid) {
    std::memcpy(st.hash, st.next_hash, sizeof st.hash);
  } else {
    const uint8_t* sb = stream_start(s);
    for (int i = 0; i < lay_.n_ctx; ++i) st.hash[i] = context_hash(lay_.kind[i], st.h, t_, sb);
  }
  st.next_valid = false;
  begin_nibble(s, st, false);
  predict(st);
}

void Predictor::begin_nibble(uint32_t s, Stream& st, bool second) {
  for (int i = 0; i < lay_.n_ctx; ++i) {
    uint64_t h = st.hash[i];
    if (second) h = st.hash2[i] = second_nibble_hash(h, st.c0);
    const uint8_t* slot = table(s, i).find(h);
    if (slot) {
      std::memcpy(st.nodes[i] + 1, slot, kSlotStates);
    } else {
      std::memset(st.nodes[i], 0, 16);
    }
  }
}

void Predictor::predict(Stream& st) {
  BitRecord& r = st.rec[st.bitpos];
  int32_t* x = r.x;
  const uint32_t* cells = cells_.data();
  const uint32_t c0 = st.c0;
  const uint32_t bitpos = st.bitpos;
  const uint32_t c1 = static_cast<uint32_t>(st.h.c8 & 0xFF);
  const bool apm = (config_.models & kModelApm) != 0;
  const uint32_t apm2_row = lay_.off_apm2 + (c0 | c1 << 8) * kApmBuckets;
  if (apm) {
    const char* row = reinterpret_cast<const char*>(&cells[apm2_row]);
    __builtin_prefetch(row);
    __builtin_prefetch(row + 64);
    __builtin_prefetch(row + 128);
  }
  // Inputs: bias, order 0, the contexts, match, neural.
  x[0] = 256;
  r.cell[0] = lay_.off_order0 + c0;
  r.limit[0] = 255;
  x[1] = stretch(cell_p16(cells[r.cell[0]]));
  uint32_t nc = 1;
  const uint32_t node = node_of(c0, bitpos);
  const int n_ctx = lay_.n_ctx;
  const uint8_t* nodes = &st.nodes[0][node];
  const uint32_t* ctx_cells = cells + lay_.off_ctx;
  uint32_t* rc = r.ctx_cell;
  int32_t* xc = x + 2;
  uint32_t known = 0;  // contexts with a non-empty history at this node
  for (int i = 0; i < n_ctx; ++i) {
    const uint32_t state = nodes[16 * i];
    known += state != 0;
    const uint32_t idx = 256 * static_cast<uint32_t>(i) + state;
    rc[i] = idx;
    xc[i] = stretch(cell_p16(ctx_cells[idx]));
  }
  uint32_t ni = 2 + static_cast<uint32_t>(n_ctx);
  // Match model: the expected bit's cell if the expected byte agrees so far.
  uint32_t mstate = 0;  // 0: no match, 1: contradicted in this byte, 2/3: expected bit 0/1
  x[ni] = 0;
  if (st.expected >= 0) {
    mstate = 1;
    const uint32_t e = static_cast<uint32_t>(st.expected);
    if (((e + 256) >> (8 - bitpos)) == c0) {
      const uint32_t len = st.match.len < 63 ? st.match.len : 63;
      const uint32_t ebit = (e >> (7 - bitpos)) & 1;
      mstate = 2 + ebit;
      r.cell[nc] = lay_.off_match + 2 * len + ebit;
      r.limit[nc++] = 1023;
      x[ni] = stretch(cell_p16(cells[r.cell[nc - 1]]));
    }
  }
  ++ni;
  // Neural input: the stretch of the subtree's bit probability.
  int st_nn = 0;
  uint32_t nn_level = 8;  // (st_nn + 2048) >> 8: 16 levels
  if (lay_.neural) {
    if (st.cdf) {
      uint32_t m0, m1;
      neural_masses(st.cdf, c0, m0, m1);
      st_nn = stretch_ratio(m1, m0);
      nn_level = static_cast<uint32_t>(st_nn + 2048) >> 8;
    }
    x[ni++] = st_nn;
  }
  while (ni < lay_.n_inputs) x[ni++] = 0;

  // Layer 1: weight sets chosen by (match state, c0), by (c1 >> 5, known
  // contexts) and, with the neural input, by (neural level, bit position).
  const uint32_t sel[kMaxMixers] = {mstate * 256 + c0, (c1 >> 5) * 32 + known, nn_level * 8 + bitpos};
  const int32_t* weights = weights_.data();
  const int n_inputs = static_cast<int>(lay_.n_inputs);
  const uint32_t n_mixers = lay_.n_mixers;
  for (uint32_t k = 0; k < n_mixers; ++k) {
    const uint32_t off = lay_.mix_off[k] + sel[k] * lay_.n_inputs;
    const int dot = mixer_dot(x, &weights[off], n_inputs);
    r.mix_off[k] = off;
    r.mix_p[k] = squash(dot);
    r.x2[k] = dot;
  }
  // Final mixer (weight set by bit position): layer-1 outputs, neural, bias.
  uint32_t k2 = n_mixers;
  if (lay_.neural) r.x2[k2++] = st_nn;
  r.x2[k2++] = 256;
  while (k2 < lay_.n_final) r.x2[k2++] = 0;
  r.final_off = lay_.final_off + bitpos * lay_.n_final;
  const int fdot = mixer_dot_reference(r.x2, &weights[r.final_off], static_cast<int>(lay_.n_final));
  int p = squash(fdot);
  r.final_p = p;

  // APM stages on the final mixer's output: by c0, by (c0, c1), and with the
  // neural input by (neural level, c0).
  if (apm) {
    const ApmPoint a = apm_point(fdot);
    const uint32_t t1 = lay_.off_apm1 + c0 * kApmBuckets;
    const uint32_t p1 = apm_p16(&cells[t1], a);
    const uint32_t p2 = apm_p16(&cells[apm2_row], a);
    r.cell[nc] = t1 + apm_learner(a);
    r.limit[nc++] = 127;
    r.cell[nc] = apm2_row + apm_learner(a);
    r.limit[nc++] = 127;
    if (lay_.neural) {
      const uint32_t t3 = lay_.off_apm_nn + (nn_level * 256 + c0) * kApmBuckets;
      const uint32_t p3 = apm_p16(&cells[t3], a);
      r.cell[nc] = t3 + apm_learner(a);
      r.limit[nc++] = 255;
      p = static_cast<int>((static_cast<uint32_t>(p) + p3 + 1) >> 1);
    }
    p = static_cast<int>((2 * static_cast<uint32_t>(p) + p1 + p2 + 2) >> 2);
  }
  r.n_cells = static_cast<uint8_t>(nc);
  if (p < 1) p = 1;
  if (p > 65535) p = 65535;
  st.p = static_cast<uint32_t>(p);
}

void Predictor::apply_record(const BitRecord& r) {
  apply_ctx_cells(r, 0, 1);
  apply_other_cells(r);
  apply_weights(r);
}

void Predictor::apply_ctx_cells(const BitRecord& r, int first, int step) {
  const int y = r.bit;
  uint32_t* ctx_cells = cells_.data() + lay_.off_ctx;
  const uint32_t lim = ctx_limit_;
  const int n_ctx = lay_.n_ctx;
  for (int i = first; i < n_ctx; i += step) cell_update(ctx_cells[r.ctx_cell[i]], y, lim);
}

void Predictor::apply_other_cells(const BitRecord& r) {
  const int y = r.bit;
  uint32_t* cells = cells_.data();
  const uint32_t n_cells = r.n_cells;
  for (uint32_t i = 0; i < n_cells; ++i) cell_update(cells[r.cell[i]], y, r.limit[i]);
}

void Predictor::apply_weights(const BitRecord& r) {
  const int y = r.bit;
  int32_t* weights = weights_.data();
  const uint32_t n_mixers = lay_.n_mixers;
  for (uint32_t k = 0; k < n_mixers; ++k) {
    const int e = (y << 16) - r.mix_p[k];
    if (e > kSkipLayer1 || e < -kSkipLayer1)
      mixer_train(r.x, &weights[r.mix_off[k]], static_cast<int>(lay_.n_inputs), mixer_err(y, r.mix_p[k], config_.mixer_lr));
  }
  const int e = (y << 16) - r.final_p;
  if (e > kSkipFinal || e < -kSkipFinal)
    mixer_train_reference(r.x2, &weights[r.final_off], static_cast<int>(lay_.n_final),
                          mixer_err(y, r.final_p, config_.final_lr));
}

// The slot updates of stream s's byte for its private contexts or its shared
// ones; for shared ones with quarter >= 0 only the operations whose hash has
// top two bits `quarter` (a set of whole buckets).
void Predictor::apply_slots(uint32_t s, const Stream& st, bool private_ones, int quarter) {
  const uint32_t hi = st.byte >> 4;
  for (int i = 0; i < lay_.n_ctx; ++i) {  // overlap the buckets' cache misses
    if ((lay_.is_private[i] != 0) != private_ones) continue;
    if (quarter < 0 || static_cast<int>(st.hash[i] >> 62) == quarter) table(s, i).prefetch(st.hash[i]);
    if (quarter < 0 || static_cast<int>(st.hash2[i] >> 62) == quarter) table(s, i).prefetch(st.hash2[i]);
  }
  for (int i = 0; i < lay_.n_ctx; ++i) {
    if ((lay_.is_private[i] != 0) != private_ones) continue;
    SlotTable& t = table(s, i);
    const uint64_t h1 = st.hash[i];
    const uint64_t h2 = st.hash2[i];
    if (quarter < 0 || static_cast<int>(h1 >> 62) == quarter) slot_apply_nibble(t.insert(h1), hi);
    if (quarter < 0 || static_cast<int>(h2 >> 62) == quarter) slot_apply_nibble(t.insert(h2), st.byte & 15u);
  }
}

uint32_t Predictor::p_bit(uint32_t s) const { return streams_[s].p; }

void Predictor::update_bit(uint32_t s, int bit) {
  Stream& st = streams_[s];
  bit = bit ? 1 : 0;
  st.rec[st.bitpos].bit = static_cast<uint8_t>(bit);
  st.c0 = st.c0 * 2 + static_cast<uint32_t>(bit);
  ++st.bitpos;
  if (st.bitpos == 8) {
    end_byte(s, st, static_cast<int>(st.c0 & 0xFF));
    return;
  }
  if (st.bitpos == 4) {
    begin_nibble(s, st, true);
  } else if (st.bitpos == 3) {  // start loading both candidate second-nibble slots
    for (int i = 0; i < lay_.n_ctx; ++i) {
      table(s, i).prefetch(second_nibble_hash(st.hash[i], 2 * st.c0));
      table(s, i).prefetch(second_nibble_hash(st.hash[i], 2 * st.c0 + 1));
    }
  }
  predict(st);
}

void Predictor::end_byte(uint32_t s, Stream& st, int byte) {
  st.byte = static_cast<uint8_t>(byte);
  history_step(st.h, static_cast<uint32_t>(byte), t_, stream_start(s));
  // The next byte's contexts are known now: hash them and start loading
  // their slots, so that the end-of-step work overlaps the memory latency.
  if (t_ + 1 < stream_len_) {
    const uint8_t* sb = stream_start(s);
    for (int i = 0; i < lay_.n_ctx; ++i) {
      st.next_hash[i] = context_hash(lay_.kind[i], st.h, t_ + 1, sb);
      table(s, i).prefetch(st.next_hash[i]);
    }
    st.next_valid = true;
  }
  if ((config_.models & kModelMatch) && t_ + 1 >= config_.match_min) match_.prefetch(match_key(st.h));
  if (st.match.len > 0) {
    if (st.expected == byte && st.match.ptr + 1 < total_len_) {
      ++st.match.ptr;
      if (st.match.len < 65535) ++st.match.len;
    } else {
      st.match.len = 0;
    }
  }
  st.c0 = 1;
  st.bitpos = 0;
}

void Predictor::replay_byte(uint32_t s, const Stream& st) {
  for (int i = 0; i < lay_.n_ctx; ++i) {  // overlap the buckets' cache misses
    table(s, i).prefetch(st.hash[i]);
    table(s, i).prefetch(st.hash2[i]);
  }
  for (int b = 0; b < 8; ++b) apply_record(st.rec[b]);
  const uint32_t hi = st.byte >> 4;
  for (int i = 0; i < lay_.n_ctx; ++i) {
    SlotTable& t = table(s, i);
    slot_apply_nibble(t.insert(st.hash[i]), hi);
    slot_apply_nibble(t.insert(st.hash2[i]), st.byte & 15u);
  }
}

void Predictor::end_step() {
  end_step_part(0, 1);
  end_step_finish();
}

void Predictor::end_step_part(uint32_t part, uint32_t n_parts) {
  // Serial: per live stream in order, the cell and weight updates of its 8
  // bits, then its bit-history updates (each context: first-nibble slot,
  // then second-nibble slot).
  if (n_parts <= 1) {
    for (uint32_t s = 0; s < n_streams_; ++s)
      if (streams_[s].live) replay_byte(s, streams_[s]);
    return;
  }
  // In parts: work units over disjoint objects, unit u done by part u mod
  // n_parts; each unit walks the streams in order.
  for (uint32_t u = part; u < kEndUnits; u += n_parts) {
    for (uint32_t s = 0; s < n_streams_; ++s) {
      const Stream& st = streams_[s];
      if (!st.live) continue;
      if (u < 2) {  // context cells of the contexts i with i mod 2 = u
        for (int b = 0; b < 8; ++b) apply_ctx_cells(st.rec[b], static_cast<int>(u), 2);
      } else if (u == 2) {  // the other cells
        for (int b = 0; b < 8; ++b) apply_other_cells(st.rec[b]);
      } else if (u == 3) {  // mixer weights
        for (int b = 0; b < 8; ++b) apply_weights(st.rec[b]);
      } else if (u < 8) {  // shared-table buckets whose hash has top bits u - 4
        apply_slots(s, st, false, static_cast<int>(u - 4));
      } else if (s % 8 == u - 8) {  // private tables of the streams s with s mod 8 = u - 8
        apply_slots(s, st, true, -1);
      }
    }
  }
}

void Predictor::end_step_finish() {
  if (config_.models & kModelMatch) match_phase();
  steps_done_ = t_ + 1;
}

// The match index key of a stream: its last min(match_min, 8) bytes, hashed.
uint64_t Predictor::match_key(const History& h) const {
  const uint32_t key_len = config_.match_min < 8 ? config_.match_min : 8;
  const uint64_t mask = key_len >= 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * key_len)) - 1;
  return hash64(h.c8 & mask, 99);
}

void Predictor::match_phase() {
  // Lookups for the live streams without a match (all before any insert, so
  // that every candidate points at a byte known at the next step), then the
  // inserts of every live stream's current position.
  const uint64_t t_next = t_ + 1;
  const uint32_t min_len = config_.match_min;
  if (t_next < min_len) return;
  for (uint32_t s = 0; s < n_streams_; ++s) {
    Stream& st = streams_[s];
    const uint64_t start = s * stream_len_;
    const uint64_t cur = start + t_next;
    if (!st.live || st.match.len > 0 || t_next >= stream_len_ || cur >= total_len_) continue;
    const uint64_t cand = match_.get(match_key(st.h));
    const uint32_t len = match_verify(buf_, total_len_, stream_len_, t_next, cand, cur, start, kMatchVerifyMax);
    if (len >= min_len) {
      st.match.ptr = cand;
      st.match.len = len;
    }
  }
  for (uint32_t s = 0; s < n_streams_; ++s) {
    const uint64_t cur = s * stream_len_ + t_next;
    if (!streams_[s].live || cur >= total_len_ || t_next >= stream_len_) continue;
    match_.set(match_key(streams_[s].h), static_cast<uint32_t>(cur));
  }
}

}  // namespace nncomp::mix
