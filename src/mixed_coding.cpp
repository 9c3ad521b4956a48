// mixed_coding.cpp — the context-mixing coding stages of format v2 (see
// coding.h): per step, every live stream's byte goes through the mixer
// (mix::Predictor, docs/mix.md) as 8 binary decisions, each coded by that
// stream's range coder on its binary path; the mixer then applies the step's
// shared updates in stream order (end_step), so the result does not depend on
// how the streams of a step are scheduled.
#include <cstdint>
#include <span>
#include <vector>

#include "coder/range_coder.h"
#include "mix/coding.h"
#include "mix/predictor.h"
#include "models/model.h"
#include "src/coding.h"
#include "src/mixing.h"

namespace nncomp {
namespace {

constexpr int64_t kTable = models::kVocab + 1;  // entries of a cdf table

// What both directions share: the layout, the mixer over the token buffer,
// the neural cost and the mixer's exact cost (1/65536 bits).
class MixedStage : public CodingStage {
 public:
  MixedStage(const StreamLayout& layout, std::span<const uint8_t> tokens, const MixerConfig& mixer)
      : layout_(layout),
        predictor_(to_mix(mixer), layout.n_streams()),
        neural_(mixer.neural != 0),
        history_(tokens) {
    predictor_.set_history(tokens.data(), layout.stream_len, layout.original_size);
  }

  void collect_segment(const StepTables& tables, const torch::Tensor& coded, int64_t steps,
                       const DeviceTransfer& transfer) override {
    neural_cost_.collect(tables, coded, steps, transfer);
  }

  void finish_segment(uint64_t start, int64_t steps) override {
    if (neural_) neural_cost_.add_to(neural_bits_, layout_, start, steps);
    ideal_bits_ = static_cast<double>(cost_) / 65536.0;
  }

  void save(StateWriter& w) const override {
    w.u64(cost_);
    w.f64(neural_bits_);
    w.bytes(predictor_.save());
  }
  void load(StateReader& r) override {
    cost_ = r.u64();
    ideal_bits_ = static_cast<double>(cost_) / 65536.0;
    neural_bits_ = r.f64();
    try {
      predictor_.load(r.bytes());
    } catch (const std::invalid_argument& e) {
      state_corrupt(e.what());
    }
    predictor_.set_history(history_.data(), layout_.stream_len, layout_.original_size);
  }

 protected:
  const StreamLayout& layout_;
  mix::Predictor predictor_;
  bool neural_;
  uint64_t cost_ = 0;  // the mixer's ideal code length so far, 1/65536 bits

 private:
  NeuralCost neural_cost_;
  std::span<const uint8_t> history_;  // the token buffer the mixer reads
};

class MixedEncoder final : public MixedStage {
 public:
  MixedEncoder(const StreamLayout& layout, std::span<const uint8_t> tokens,
               const MixerConfig& mixer, std::vector<std::vector<uint8_t>>* payload)
      : MixedStage(layout, tokens, mixer), tokens_(tokens) {
    encoders_.reserve(payload->size());
    for (auto& out : *payload) encoders_.emplace_back(&out);
  }
  bool decodes() const override { return false; }
  void code_step(uint64_t, const uint32_t*, int64_t*) override {
    throw Error(ErrorKind::kInternal, "the encoder codes a segment at a time");
  }

  // The whole tables of the segment: the mixer reads every symbol's
  // frequency, [steps, B, 257] in one transfer.
  void collect_segment(const StepTables& tables, const torch::Tensor& coded, int64_t steps,
                       const DeviceTransfer& transfer) override {
    MixedStage::collect_segment(tables, coded, steps, transfer);
    const int64_t S = tables.cdf().size(0), B = tables.cdf().size(1);
    if (!table_host_.defined()) table_host_ = transfer.host_buffer({S, B, kTable}, torch::kInt32);
    tables_ = transfer.download(table_host_.narrow(0, 0, steps), tables.cdf().narrow(0, 0, steps));
  }

  void finish_segment(uint64_t start, int64_t steps) override {
    const uint32_t B = layout_.n_streams();
    const uint64_t L = layout_.stream_len;
    const auto* tables =
        neural_ ? reinterpret_cast<const uint32_t*>(tables_.data_ptr<int32_t>()) : nullptr;
    for (int64_t t = 0; t < steps; ++t) {
      const uint64_t pos = start + static_cast<uint64_t>(t);
      predictor_.begin_step(pos);
      for (uint32_t s = 0; s < B; ++s) {
        if (!layout_.live(s, pos)) continue;
        const uint32_t* cdf = tables ? tables + (static_cast<uint64_t>(t) * B + s) * kTable : nullptr;
        cost_ += mix::encode_byte(predictor_, s, cdf, tokens_[s * L + pos], encoders_[s]);
      }
      predictor_.end_step();
    }
    MixedStage::finish_segment(start, steps);
  }

  void finish() override {
    for (auto& e : encoders_) e.finish();
  }

  void save(StateWriter& w) const override {
    MixedStage::save(w);
    for (const auto& e : encoders_) save_coder(w, e);
  }
  void load(StateReader& r) override {
    MixedStage::load(r);
    for (auto& e : encoders_) load_coder(r, e);
  }

 private:
  std::span<const uint8_t> tokens_;
  std::vector<coder::RangeEncoder> encoders_;
  torch::Tensor table_host_, tables_;  // int32 [S, B, 257] staging and [steps, B, 257]
};

class MixedDecoder final : public MixedStage {
 public:
  MixedDecoder(const StreamLayout& layout, std::span<uint8_t> tokens, const MixerConfig& mixer,
               const std::vector<std::span<const uint8_t>>& streams,
               const std::vector<uint8_t>* expected, double ideal_bits, const std::string& cause)
      : MixedStage(layout, tokens, mixer),
        tokens_(tokens),
        expected_(expected),
        recorded_bits_(ideal_bits),
        cause_(cause) {
    decoders_.reserve(streams.size());
    for (const auto& s : streams) decoders_.emplace_back(s.data(), s.size());
  }
  bool decodes() const override { return true; }

  void code_step(uint64_t pos, const uint32_t* cdf, int64_t* next) override {
    const uint32_t B = layout_.n_streams();
    const uint64_t L = layout_.stream_len;
    predictor_.begin_step(pos);
    for (uint32_t s = 0; s < B; ++s) {
      if (next) next[s] = 0;
      if (!layout_.live(s, pos)) continue;
      // mix::decode_byte, also adding up the cost of the decoded decisions.
      predictor_.begin_byte(s, neural_ && cdf ? cdf + static_cast<uint64_t>(s) * kTable : nullptr);
      int x = 0;
      for (int b = 0; b < 8; ++b) {
        const uint32_t p1 = predictor_.p_bit(s);
        const int bit = decoders_[s].decode_bit(p1);
        cost_ += mix::bit_cost_q16(bit ? p1 : 65536 - p1);
        predictor_.update_bit(s, bit);
        x = 2 * x + bit;
      }
      tokens_[s * L + pos] = static_cast<uint8_t>(x);  // before end_step: the mixer reads it
      if (expected_ && x != (*expected_)[s * L + pos])
        throw verify_error(static_cast<uint8_t>(x), (*expected_)[s * L + pos], s, L, pos);
      if (next) next[s] = x;
    }
    predictor_.end_step();
  }

  void finish_segment(uint64_t start, int64_t steps) override {
    MixedStage::finish_segment(start, steps);
    if (ideal_bits_ > ideal_budget(recorded_bits_))
      throw ideal_budget_error(start + static_cast<uint64_t>(steps), ideal_bits_, recorded_bits_, cause_);
  }

  void finish() override {
    for (size_t s = 0; s < decoders_.size(); ++s)
      if (!decoders_[s].exhausted()) throw unread_bytes_error(s);
  }

  void save(StateWriter& w) const override {
    MixedStage::save(w);
    for (const auto& d : decoders_) save_coder(w, d);
  }
  void load(StateReader& r) override {
    MixedStage::load(r);
    for (auto& d : decoders_) load_coder(r, d);
  }

 private:
  std::span<uint8_t> tokens_;
  const std::vector<uint8_t>* expected_;
  double recorded_bits_;
  std::string cause_;  // named by a divergence error
  std::vector<coder::RangeDecoder> decoders_;
};

}  // namespace

std::unique_ptr<CodingStage> make_mixed_encoder(const StreamLayout& layout,
                                                std::span<const uint8_t> tokens,
                                                const MixerConfig& mixer,
                                                std::vector<std::vector<uint8_t>>* payload) {
  return std::make_unique<MixedEncoder>(layout, tokens, mixer, payload);
}

std::unique_ptr<CodingStage> make_mixed_decoder(const StreamLayout& layout,
                                                std::span<uint8_t> tokens,
                                                const MixerConfig& mixer,
                                                const std::vector<std::span<const uint8_t>>& streams,
                                                const std::vector<uint8_t>* expected,
                                                double ideal_bits, const std::string& divergence_cause) {
  return std::make_unique<MixedDecoder>(layout, tokens, mixer, streams, expected, ideal_bits,
                                        divergence_cause);
}

}  // namespace nncomp
