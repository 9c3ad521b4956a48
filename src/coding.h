// coding.h — between the model's distributions and the coded streams.
//
// StepTables is the device side: every step's logits become float32 softmax
// probabilities and the integer cdf tables of quant_rule 1 (coder/quantize.h),
// written into buffers that stay in place for the whole run (step mode is
// captured in CUDA graphs that replay into them). CodingStage is the host
// side, one direction of one run: the decoder decodes each step's byte of
// every live stream as soon as the step's tables reach the host (the next
// step needs them as input); the encoder codes a whole segment at a time,
// from what collect_segment downloads in one transfer. Both add up the ideal
// code length Σ −log2 p(x) under the model's float probabilities.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "nncomp/config.h"
#include "nncomp/error.h"
#include "src/device.h"
#include "src/layout.h"
#include "src/run_state.h"

namespace nncomp {

/// The per-step distributions of a run on the model's device.
class StepTables {
 public:
  /// Buffers for segments of at most S steps of B streams on `device`.
  StepTables(int64_t S, int64_t B, const torch::Device& device);
  /// Step t: probs()[t] = softmax(logits) and cdf()[t] = quantize_cdf of each
  /// row. `logits` float32 [B, 256] on the buffers' device. On a GPU the
  /// quantisation is our kernel (coder/quantize_cuda.h), compiled from the
  /// host rule's source, so both give the same integers; capturable in a CUDA
  /// graph. Throws c10::Error if the kernel fails.
  void fill(int64_t t, const torch::Tensor& logits);
  /// float32 [S, B, 256].
  const torch::Tensor& probs() const { return probs_; }
  /// int32 [S, B, 257]: the values are below 2^31, so they read the same as uint32.
  const torch::Tensor& cdf() const { return cdf_; }

 private:
  torch::Tensor probs_, cdf_;
};

/// One direction of coding for all streams of a run.
class CodingStage {
 public:
  virtual ~CodingStage() = default;

  /// The direction. A decoder gets every step's tables in code_step() as
  /// soon as they exist (the next step's input depends on its output); an
  /// encoder codes a segment at once in finish_segment().
  virtual bool decodes() const = 0;
  /// The step at stream position `pos`: `cdf` host uint32 [B][257]. Decodes
  /// the byte of every live stream into the token buffer and into `next`
  /// (int64 [B], 0 for an ended stream). Throws Error(kVerify) at the first
  /// byte that differs from the expected output when one was given.
  virtual void code_step(uint64_t pos, const uint32_t* cdf, int64_t* next) = 0;
  /// After a segment's `steps` steps: queues the downloads finish_segment
  /// needs (asynchronous on a GPU; the engine waits before finish_segment).
  /// `coded` int64 [steps, B, 1] on the device: the byte of every step.
  virtual void collect_segment(const StepTables& tables, const torch::Tensor& coded,
                               int64_t steps, const DeviceTransfer& transfer) = 0;
  /// Codes the segment at stream positions [start, start + steps) (the
  /// encoder) and adds its ideal code length (both directions).
  virtual void finish_segment(uint64_t start, int64_t steps) = 0;
  /// After the last segment: flushes the encoders.
  virtual void finish() = 0;

  /// Saving a run and continuing it in another process (src/run_state.h):
  /// the stage's whole state at the end of a segment (every stream's coder
  /// registers, the encoders' output so far, the ideal lengths, the mixer's
  /// tables). load() restores it into a new stage of the same job, whose
  /// token buffer already holds the bytes of the finished segments; throws
  /// Error(kCorrupt) for a state that does not fit the stage.
  virtual void save(StateWriter& w) const = 0;
  virtual void load(StateReader& r) = 0;

  /// Σ −log2 p(x) over the coded bytes so far, bits, under the
  /// probabilities they were coded with (the model's, or the mixer's).
  double ideal_bits() const { return ideal_bits_; }
  /// The same under the neural model's float probabilities alone (0 without
  /// a neural model).
  double neural_bits() const { return neural_bits_; }

 protected:
  double ideal_bits_ = 0, neural_bits_ = 0;
};

// ---- pieces the stages share (coding.cpp) ---------------------------------------

/// The neural model's cost of each coded byte of a segment: p(x) gathered on
/// the device (collect, downloaded with the segment) and added up on the host.
class NeuralCost {
 public:
  void collect(const StepTables& tables, const torch::Tensor& coded, int64_t steps,
               const DeviceTransfer& transfer);
  /// bits −= log2 p(x) for every live byte of the segment, in step then
  /// stream order (the order fixes the sum's rounding, which format v1's
  /// ideal_bits records).
  void add_to(double& bits, const StreamLayout& layout, uint64_t start, int64_t steps) const;

 private:
  torch::Tensor host_, px_;  // float32 [S, B] staging and [steps, B] result
};

/// A decode whose ideal code length passes the file's ideal_bits by more
/// than this (relative, plus absolute bits) is not replaying the encoder: a
/// replay gives ideal_bits to the bit; the margin covers a forced decode on
/// another computation.
inline constexpr double kIdealSlack = 0.01, kIdealSlackBits = 4096;
inline double ideal_budget(double recorded) { return recorded * (1.0 + kIdealSlack) + kIdealSlackBits; }

namespace coder {
class RangeEncoder;
class RangeDecoder;
}  // namespace coder
/// A coder's registers (and an encoder's output so far) in a state.
void save_coder(StateWriter& w, const coder::RangeEncoder& e);
void load_coder(StateReader& r, coder::RangeEncoder& e);
void save_coder(StateWriter& w, const coder::RangeDecoder& d);
void load_coder(StateReader& r, coder::RangeDecoder& d);

/// The errors of the decoders: a decoded byte that differs from the expected
/// one (kVerify), an ideal code length over the budget, a stream with bytes
/// never read (kCorrupt).
Error verify_error(uint8_t got, uint8_t want, uint64_t s, uint64_t L, uint64_t pos);
Error ideal_budget_error(uint64_t position, double spent, double recorded, const std::string& cause);
Error unread_bytes_error(size_t stream);

/// The 256-symbol path of format v1: one range coder per stream
/// (coder/range_coder.h) coding each byte with its step's quantised table.
/// Encoder: appends stream s's coded bytes to (*payload)[s] (n_streams
/// entries); finish() flushes them. The bytes come from the engine (the
/// tokens of each step, gathered on the device).
std::unique_ptr<CodingStage> make_byte_encoder(const StreamLayout& layout,
                                               std::vector<std::vector<uint8_t>>* payload);
/// Decoder of `streams` (one per stream, the coded bytes): writes the decoded
/// bytes into `tokens`. With `expected` (stream-major like tokens), each
/// decoded byte is compared with it as it appears (Error kVerify).
/// `ideal_bits` is the file's record of the encoder's ideal code length: a
/// decode whose own ideal length passes it (by more than rounding and the
/// differences of a forced decode could explain) is not replaying the
/// encoder, and stops at that segment with Error(kCorrupt) naming
/// `divergence_cause` (empty: a generic cause); finish() throws kCorrupt if a
/// stream has bytes that decoding never read.
std::unique_ptr<CodingStage> make_byte_decoder(const StreamLayout& layout,
                                               std::span<uint8_t> tokens,
                                               const std::vector<std::span<const uint8_t>>& streams,
                                               const std::vector<uint8_t>* expected,
                                               double ideal_bits, const std::string& divergence_cause);

/// The context-mixing path of format v2 (src/mixed_coding.cpp; docs/mix.md):
/// one binary range coder per stream; each byte is coded as 8 decisions with
/// the probabilities of the mixer (mix::Predictor configured by `mixer`),
/// which mixes each step's neural table (when the model has one) with its
/// context models. The mixer reads the bytes of `tokens` that both sides
/// know. The encoder codes a segment at a time from the segment's tables (or
/// without them, for model kind none); the decoder a step at a time. Same
/// contracts as the byte path otherwise; ideal_bits() is the mixer's code
/// length (exact: integer costs), neural_bits() the neural model's alone.
std::unique_ptr<CodingStage> make_mixed_encoder(const StreamLayout& layout,
                                                std::span<const uint8_t> tokens,
                                                const MixerConfig& mixer,
                                                std::vector<std::vector<uint8_t>>* payload);
std::unique_ptr<CodingStage> make_mixed_decoder(const StreamLayout& layout,
                                                std::span<uint8_t> tokens,
                                                const MixerConfig& mixer,
                                                const std::vector<std::span<const uint8_t>>& streams,
                                                const std::vector<uint8_t>* expected,
                                                double ideal_bits, const std::string& divergence_cause);

}  // namespace nncomp
