// coding.cpp — see coding.h.
#include "src/coding.h"

#include <c10/cuda/CUDAStream.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "coder/quantize.h"
#include "coder/quantize_cuda.h"
#include "coder/range_coder.h"
#include "models/model.h"
#include "nncomp/error.h"

namespace nncomp {
namespace {

constexpr int64_t kVocab = models::kVocab;

}  // namespace

void save_coder(StateWriter& w, const coder::RangeEncoder& e) {
  const auto r = e.registers();
  w.u64(r.low);
  w.u32(r.range);
  w.u8(r.cache);
  w.u8(r.have_cache ? 1 : 0);
  w.u64(r.pending_ff);
  w.bytes(e.written());
}

void load_coder(StateReader& r, coder::RangeEncoder& e) {
  coder::RangeEncoder::Registers g;
  g.low = r.u64();
  g.range = r.u32();
  g.cache = r.u8();
  g.have_cache = r.u8() != 0;
  g.pending_ff = r.u64();
  const std::vector<uint8_t> written = r.bytes();
  try {
    e.restore(g, written);
  } catch (const std::invalid_argument& ex) {
    state_corrupt(ex.what());
  }
}

void save_coder(StateWriter& w, const coder::RangeDecoder& d) {
  const auto g = d.registers();
  w.u64(g.pos);
  w.u64(g.overrun);
  w.u32(g.code);
  w.u32(g.range);
}

void load_coder(StateReader& r, coder::RangeDecoder& d) {
  coder::RangeDecoder::Registers g;
  g.pos = r.u64();
  g.overrun = r.u64();
  g.code = r.u32();
  g.range = r.u32();
  try {
    d.restore(g);
  } catch (const std::invalid_argument& ex) {
    state_corrupt(ex.what());
  }
}

Error verify_error(uint8_t got, uint8_t want, uint64_t s, uint64_t L, uint64_t pos) {
  char msg[320];  // no fmt in LibTorch translation units (LibTorch bundles its own)
  std::snprintf(msg, sizeof msg,
                "verification failed: decoding the new file gives byte 0x%02x at offset %llu "
                "(stream %llu, position %llu) where the input has 0x%02x; the computation is "
                "not reproducible on this machine",
                got, static_cast<unsigned long long>(s * L + pos),
                static_cast<unsigned long long>(s), static_cast<unsigned long long>(pos), want);
  return Error(ErrorKind::kVerify, msg);
}

namespace {

// What both directions of the byte path share: the layout, the neural cost,
// which is the ideal code length of what is coded.
class ByteStage : public CodingStage {
 public:
  explicit ByteStage(const StreamLayout& layout) : layout_(layout) {}

  void collect_segment(const StepTables& tables, const torch::Tensor& coded, int64_t steps,
                       const DeviceTransfer& transfer) override {
    neural_.collect(tables, coded, steps, transfer);
  }

  void finish_segment(uint64_t start, int64_t steps) override {
    neural_.add_to(ideal_bits_, layout_, start, steps);
    neural_bits_ = ideal_bits_;
  }

  void save(StateWriter& w) const override { w.f64(ideal_bits_); }
  void load(StateReader& r) override { ideal_bits_ = neural_bits_ = r.f64(); }

 protected:
  const StreamLayout& layout_;

 private:
  NeuralCost neural_;
};

class ByteEncoder final : public ByteStage {
 public:
  ByteEncoder(const StreamLayout& layout, std::vector<std::vector<uint8_t>>* payload)
      : ByteStage(layout) {
    encoders_.reserve(payload->size());
    for (auto& out : *payload) encoders_.emplace_back(&out);
  }
  bool decodes() const override { return false; }
  void code_step(uint64_t, const uint32_t*, int64_t*) override {
    throw Error(ErrorKind::kInternal, "the encoder codes a segment at a time");
  }

  // Per coded byte its interval [cdf[x], cdf[x+1]) in its table, gathered on
  // the device: one transfer of [steps, B, 2] instead of the whole tables.
  void collect_segment(const StepTables& tables, const torch::Tensor& coded, int64_t steps,
                       const DeviceTransfer& transfer) override {
    ByteStage::collect_segment(tables, coded, steps, transfer);
    const int64_t S = tables.cdf().size(0), B = tables.cdf().size(1);
    if (!range_host_.defined()) range_host_ = transfer.host_buffer({S, B, 2}, torch::kInt32);
    auto cdf = tables.cdf().narrow(0, 0, steps);
    ranges_ = transfer.download(range_host_.narrow(0, 0, steps),
                                torch::cat({cdf.gather(2, coded), cdf.gather(2, coded + 1)}, 2));
  }

  void finish_segment(uint64_t start, int64_t steps) override {
    const int64_t B = layout_.n_streams();
    const int32_t* range = ranges_.data_ptr<int32_t>();
    for (int64_t t = 0; t < steps; ++t) {
      const uint64_t pos = start + static_cast<uint64_t>(t);
      for (int64_t s = 0; s < B; ++s) {
        if (!layout_.live(static_cast<uint32_t>(s), pos)) continue;
        const auto lo = static_cast<uint32_t>(range[(t * B + s) * 2]);
        const auto hi = static_cast<uint32_t>(range[(t * B + s) * 2 + 1]);
        encoders_[static_cast<size_t>(s)].encode_range(lo, hi - lo);
      }
    }
    ByteStage::finish_segment(start, steps);
  }

  void finish() override {
    for (auto& e : encoders_) e.finish();
  }

  void save(StateWriter& w) const override {
    ByteStage::save(w);
    for (const auto& e : encoders_) save_coder(w, e);
  }
  void load(StateReader& r) override {
    ByteStage::load(r);
    for (auto& e : encoders_) load_coder(r, e);
  }

 private:
  std::vector<coder::RangeEncoder> encoders_;
  torch::Tensor range_host_, ranges_;  // int32 [S, B, 2] staging and [steps, B, 2] result
};

class ByteDecoder final : public ByteStage {
 public:
  ByteDecoder(const StreamLayout& layout, std::span<uint8_t> tokens,
              const std::vector<std::span<const uint8_t>>& streams,
              const std::vector<uint8_t>* expected, double ideal_bits, const std::string& cause)
      : ByteStage(layout),
        tokens_(tokens),
        expected_(expected),
        ideal_budget_(ideal_budget(ideal_bits)),
        cause_(cause) {
    decoders_.reserve(streams.size());
    for (const auto& s : streams) decoders_.emplace_back(s.data(), s.size());
  }
  bool decodes() const override { return true; }

  void code_step(uint64_t pos, const uint32_t* cdf, int64_t* next) override {
    const uint64_t L = layout_.stream_len;
    for (uint32_t s = 0; s < layout_.n_streams(); ++s) {
      next[s] = 0;
      if (!layout_.live(s, pos)) continue;
      uint8_t& x = tokens_[s * L + pos];
      x = static_cast<uint8_t>(
          decoders_[s].decode(cdf + s * (kVocab + 1), static_cast<int>(kVocab)));
      if (expected_ && x != (*expected_)[s * L + pos])
        throw verify_error(x, (*expected_)[s * L + pos], s, L, pos);
      next[s] = x;
    }
  }

  void finish_segment(uint64_t start, int64_t steps) override {
    ByteStage::finish_segment(start, steps);
    if (ideal_bits_ > ideal_budget_)
      throw ideal_budget_error(start + static_cast<uint64_t>(steps), ideal_bits_,
                               (ideal_budget_ - kIdealSlackBits) / (1.0 + kIdealSlack), cause_);
  }

  void finish() override {
    for (size_t s = 0; s < decoders_.size(); ++s)
      if (!decoders_[s].exhausted()) throw unread_bytes_error(s);
  }

  void save(StateWriter& w) const override {
    ByteStage::save(w);
    for (const auto& d : decoders_) save_coder(w, d);
  }
  void load(StateReader& r) override {
    ByteStage::load(r);
    for (auto& d : decoders_) load_coder(r, d);
  }

 private:
  std::span<uint8_t> tokens_;
  const std::vector<uint8_t>* expected_;
  double ideal_budget_;
  std::string cause_;  // named by a divergence error
  std::vector<coder::RangeDecoder> decoders_;
};

}  // namespace

void NeuralCost::collect(const StepTables& tables, const torch::Tensor& coded, int64_t steps,
                         const DeviceTransfer& transfer) {
  const int64_t S = tables.probs().size(0), B = tables.probs().size(1);
  if (!host_.defined()) host_ = transfer.host_buffer({S, B}, torch::kFloat32);
  px_ = transfer.download(host_.narrow(0, 0, steps),
                          tables.probs().narrow(0, 0, steps).gather(2, coded).squeeze(2));
}

void NeuralCost::add_to(double& bits, const StreamLayout& layout, uint64_t start,
                        int64_t steps) const {
  const int64_t B = layout.n_streams();
  const float* p = px_.data_ptr<float>();
  for (int64_t t = 0; t < steps; ++t) {
    const uint64_t pos = start + static_cast<uint64_t>(t);
    for (int64_t s = 0; s < B; ++s)
      if (layout.live(static_cast<uint32_t>(s), pos))  // a float32 p may underflow to 0
        bits -= std::log2(p[t * B + s] > 0 ? static_cast<double>(p[t * B + s]) : 0x1p-149);
  }
}

Error ideal_budget_error(uint64_t position, double spent, double recorded, const std::string& cause) {
  char msg[400];
  std::snprintf(msg, sizeof msg,
                "decoding diverged or the file is corrupt: by stream position %llu the decoded "
                "bytes already cost %.0f bits under the model, more than the %.0f the file "
                "records for all of it; stopped there, nothing was written",
                static_cast<unsigned long long>(position), spent, recorded);
  return Error(ErrorKind::kCorrupt, cause.empty() ? std::string(msg) : msg + (". Probable cause: " + cause));
}

Error unread_bytes_error(size_t stream) {
  return Error(ErrorKind::kCorrupt,
               "corrupt data: stream " + std::to_string(stream) +
                   " has coded bytes that decoding never read (bytes that do not belong to the "
                   "stream); nothing was written");
}

StepTables::StepTables(int64_t S, int64_t B, const torch::Device& device) {
  const auto on = torch::TensorOptions().device(device);
  probs_ = torch::zeros({S, B, kVocab}, on.dtype(torch::kFloat32));
  cdf_ = torch::zeros({S, B, kVocab + 1}, on.dtype(torch::kInt32));
}

void StepTables::fill(int64_t t, const torch::Tensor& logits) {
  auto probs = probs_[t];  // (B, 256), contiguous
  probs.copy_(torch::softmax(logits, -1));
  auto* cdf = reinterpret_cast<uint32_t*>(cdf_[t].data_ptr<int32_t>());
  const int64_t B = probs_.size(1);
  if (probs.is_cuda()) {
    const char* error = coder::cuda::quantize_cdf_rows(probs.data_ptr<float>(), B,
                                                       static_cast<int>(kVocab), cdf,
                                                       c10::cuda::getCurrentCUDAStream().stream());
    TORCH_CHECK(error == nullptr, "quantisation kernel failed: ", error ? error : "");
  } else {
    const float* p = probs.data_ptr<float>();
    for (int64_t s = 0; s < B; ++s)
      coder::quantize_cdf(p + s * kVocab, static_cast<int>(kVocab), cdf + s * (kVocab + 1));
  }
}

std::unique_ptr<CodingStage> make_byte_encoder(const StreamLayout& layout,
                                               std::vector<std::vector<uint8_t>>* payload) {
  return std::make_unique<ByteEncoder>(layout, payload);
}

std::unique_ptr<CodingStage> make_byte_decoder(const StreamLayout& layout,
                                               std::span<uint8_t> tokens,
                                               const std::vector<std::span<const uint8_t>>& streams,
                                               const std::vector<uint8_t>* expected,
                                               double ideal_bits, const std::string& divergence_cause) {
  return std::make_unique<ByteDecoder>(layout, tokens, streams, expected, ideal_bits, divergence_cause);
}

}  // namespace nncomp
