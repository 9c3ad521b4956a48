// The predictor's layout (which contexts, where each table lives in the
// cell and weight arrays) and the serialisation of its complete state
// (save/load: little-endian, every table as a plain array).
#include <cstring>
#include <stdexcept>

#include "mix/apm.h"
#include "mix/mixer.h"
#include "mix/predictor.h"
#include "mix/predictor_internal.h"

namespace nncomp::mix {

namespace {

struct KindBit {
  uint32_t bit;
  uint8_t kind;
};
// Hashed contexts in input order.
constexpr KindBit kKinds[] = {
    {kModelOrder1, kCtxOrder1}, {kModelOrder2, kCtxOrder2},   {kModelOrder3, kCtxOrder3},
    {kModelOrder4, kCtxOrder4}, {kModelOrder5, kCtxOrder5},   {kModelOrder6, kCtxOrder6},
    {kModelOrder7, kCtxOrder7}, {kModelOrder9, kCtxOrder9},   {kModelOrder12, kCtxOrder12},
    {kModelWord, kCtxWord},     {kModelWord2, kCtxWord2},     {kModelMarkup, kCtxMarkup},
    {kModelColumn, kCtxColumn}, {kModelAbove, kCtxAbove},
};

uint32_t pad_lanes(uint32_t n) { return (n + kMixerLanes - 1) & ~(kMixerLanes - 1u); }

constexpr char kMagic[8] = {'N', 'N', 'C', 'M', 'I', 'X', '0', '1'};

struct Writer {
  std::vector<uint8_t>& out;
  void u8(uint8_t v) { out.push_back(v); }
  void u32(uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  void u64(uint64_t v) {
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  void bytes(const uint8_t* p, uint64_t n) {
    const size_t at = out.size();
    out.resize(at + n);
    if (n) std::memcpy(out.data() + at, p, n);
  }
  void words(const uint32_t* p, uint64_t n) {
    const size_t at = out.size();
    out.resize(at + 4 * n);
    for (uint64_t i = 0; i < n; ++i)
      for (int k = 0; k < 4; ++k) out[at + 4 * i + k] = static_cast<uint8_t>(p[i] >> (8 * k));
  }
};

struct Reader {
  const std::vector<uint8_t>& in;
  size_t pos = 0;
  void need(uint64_t n) const {
    if (n > in.size() - pos) throw std::invalid_argument("mix::Predictor::load: state truncated");
  }
  uint8_t u8() {
    need(1);
    return in[pos++];
  }
  uint32_t u32() {
    need(4);
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(in[pos++]) << (8 * i);
    return v;
  }
  uint64_t u64() {
    need(8);
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(in[pos++]) << (8 * i);
    return v;
  }
  const uint8_t* bytes(uint64_t n) {
    need(n);
    const uint8_t* p = in.data() + pos;
    pos += n;
    return p;
  }
};

void write_config(Writer& w, const Config& c) {
  w.u8(c.rule_version);
  w.u8(c.neural);
  w.u8(c.log2_slot_bytes);
  w.u8(c.log2_match);
  w.u8(c.log2_private_bytes);
  w.u8(c.log2_private_total);
  w.u8(c.match_min);
  w.u8(c.mixer_lr);
  w.u8(c.final_lr);
  w.u8(c.sm_limit);
  w.u32(c.models);
  w.u32(c.private_models);
}

}  // namespace

Layout make_layout(const Config& c, uint32_t n_streams) {
  Layout L;
  for (const KindBit& k : kKinds)
    if ((c.models & k.bit) && L.n_ctx < kMaxContexts) L.kind[L.n_ctx++] = k.kind;
  L.private_log2 = private_table_log2(c, n_streams);
  if (L.private_log2 > 0)
    for (const KindBit& k : kKinds)
      if ((c.private_models & k.bit) && L.n_ctx < kMaxContexts) {
        L.is_private[L.n_ctx] = 1;
        L.kind[L.n_ctx++] = k.kind;
      }
  L.neural = c.neural != 0;
  const uint32_t n_ctx = static_cast<uint32_t>(L.n_ctx);
  uint32_t n = 0;
  L.off_order0 = n;
  n += 256;  // by c0
  L.off_ctx = n;
  n += 256 * n_ctx;  // by bit-history state, per context
  L.off_match = n;
  n += 64 * 2;  // by match length (0..63) and expected bit
  L.off_apm1 = n;
  n += 256 * kApmBuckets;  // by c0
  L.off_apm2 = n;
  n += 65536 * kApmBuckets;  // by (c0, c1)
  L.off_apm_nn = n;
  if (L.neural) n += 4096 * kApmBuckets;  // by (neural level, c0)
  L.n_cells = n;
  L.n_inputs = pad_lanes(2 + n_ctx + 1 + (L.neural ? 1 : 0));
  L.n_mixers = L.neural ? 3 : 2;
  L.mix_sets[0] = 4 * 256;  // match state x c0
  L.mix_sets[1] = 8 * 32;   // c1 >> 5 x known contexts
  L.mix_sets[2] = 16 * 8;   // neural level x bit position
  uint32_t w = 0;
  for (uint32_t k = 0; k < L.n_mixers; ++k) {
    L.mix_off[k] = w;
    w += L.mix_sets[k] * L.n_inputs;
  }
  L.n_final = pad_lanes(L.n_mixers + (L.neural ? 1 : 0) + 1);
  L.final_off = w;
  w += 8 * L.n_final;  // by bit position
  L.n_weights = w;
  return L;
}

size_t Predictor::stream_bytes() { return sizeof(Stream); }

std::vector<uint8_t> Predictor::save() const {
  std::vector<uint8_t> out;
  uint64_t size = 64 + 4 * cells_.size() + 4 * weights_.size() + slots_.size_bytes() + match_.size_bytes();
  for (const auto& t : private_) size += t->size_bytes();
  out.reserve(size + 64 * n_streams_);
  Writer w{out};
  w.bytes(reinterpret_cast<const uint8_t*>(kMagic), 8);
  write_config(w, config_);
  w.u32(n_streams_);
  w.u64(steps_done_);
  w.words(cells_.data(), cells_.size());
  w.words(reinterpret_cast<const uint32_t*>(weights_.data()), weights_.size());
  w.bytes(slots_.data(), slots_.size_bytes());
  w.bytes(match_.data(), match_.size_bytes());
  for (const auto& t : private_) w.bytes(t->data(), t->size_bytes());
  for (const Stream& st : streams_) {
    const History& h = st.h;
    w.u64(h.c8);
    w.u32(h.word);
    w.u32(h.word_prev);
    w.u32(h.mark);
    w.u32(h.col);
    w.u64(h.line_start);
    w.u64(h.prev_line_start);
    w.u32(h.have_prev_line);
    w.u32(h.above);
    w.u64(st.match.ptr);
    w.u32(st.match.len);
  }
  return out;
}

void Predictor::load(const std::vector<uint8_t>& bytes) {
  Reader r{bytes};
  if (std::memcmp(r.bytes(8), kMagic, 8) != 0) throw std::invalid_argument("mix::Predictor::load: not a mix state");
  std::vector<uint8_t> mine;
  Writer cw{mine};
  write_config(cw, config_);
  if (std::memcmp(r.bytes(mine.size()), mine.data(), mine.size()) != 0)
    throw std::invalid_argument("mix::Predictor::load: state of another configuration");
  if (r.u32() != n_streams_) throw std::invalid_argument("mix::Predictor::load: state of another stream count");
  const uint64_t steps = r.u64();
  // Size check first, so that a bad state leaves the predictor unchanged.
  uint64_t need = 4 * cells_.size() + 4 * weights_.size() + slots_.size_bytes() + match_.size_bytes();
  for (const auto& t : private_) need += t->size_bytes();
  need += uint64_t{n_streams_} * (8 + 4 * 4 + 8 + 8 + 4 + 4 + 8 + 4);
  if (bytes.size() - r.pos != need) throw std::invalid_argument("mix::Predictor::load: state has the wrong size");
  const uint8_t* p = r.bytes(4 * cells_.size());
  for (size_t i = 0; i < cells_.size(); ++i)
    cells_[i] = static_cast<uint32_t>(p[4 * i]) | static_cast<uint32_t>(p[4 * i + 1]) << 8 |
                static_cast<uint32_t>(p[4 * i + 2]) << 16 | static_cast<uint32_t>(p[4 * i + 3]) << 24;
  p = r.bytes(4 * weights_.size());
  for (size_t i = 0; i < weights_.size(); ++i)
    weights_[i] = static_cast<int32_t>(static_cast<uint32_t>(p[4 * i]) | static_cast<uint32_t>(p[4 * i + 1]) << 8 |
                                       static_cast<uint32_t>(p[4 * i + 2]) << 16 |
                                       static_cast<uint32_t>(p[4 * i + 3]) << 24);
  std::memcpy(slots_.data(), r.bytes(slots_.size_bytes()), slots_.size_bytes());
  std::memcpy(match_.data(), r.bytes(match_.size_bytes()), match_.size_bytes());
  for (auto& t : private_) std::memcpy(t->data(), r.bytes(t->size_bytes()), t->size_bytes());
  for (Stream& st : streams_) {
    st = Stream{};
    History& h = st.h;
    h.c8 = r.u64();
    h.word = r.u32();
    h.word_prev = r.u32();
    h.mark = r.u32();
    h.col = r.u32();
    h.line_start = r.u64();
    h.prev_line_start = r.u64();
    h.have_prev_line = r.u32();
    h.above = r.u32();
    st.match.ptr = r.u64();
    st.match.len = r.u32();
  }
  steps_done_ = steps;
  t_ = steps;
}

}  // namespace nncomp::mix
