// engine.h — the one loop that runs both directions (DESIGN.md §1).
//
// For each segment: rebuild the model's step cache from the context, then for
// each of seg_len steps predict all n_streams next bytes at once, quantise the
// distributions and code (or decode) one byte per live stream; then train on
// the segment. Encoder and decoder execute exactly the same tensor operations
// with the same shapes; only the symbol I/O differs.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "coder/range_coder.h"
#include "models/model.h"
#include "nncomp/config.h"
#include "nncomp/nncomp.h"

namespace nncomp {

/// Streams of an input of `size` bytes: stream s holds bytes [s·L, s·L + len[s]).
struct StreamLayout {
  uint64_t size = 0;     ///< original bytes
  uint64_t length = 0;   ///< L = ceil(size / n_streams), bytes per stream
  std::vector<uint64_t> lens;  ///< bytes actually in each stream (≤ L)
  StreamLayout(uint64_t size, uint32_t n_streams);
};

/// The segment count per divergence checkpoint chosen for an input: enough
/// segments to cover max(64 KiB, size/256) bytes, at least one and at most
/// 2^32 - 1 (the header's u32 field).
uint32_t choose_checkpoint_segments(uint64_t size, const EngineConfig& engine);

/// One run of the engine. Exactly one of `encoders` / `decoders` is non-null
/// and holds n_streams coders. `tokens` has n_streams·L bytes, stream-major,
/// zero beyond each stream's length: the input when encoding, filled in when
/// decoding. `checkpoints` is filled when encoding and checked when decoding:
/// Error(kCorrupt) at the first mismatch, naming the positions of the group and
/// `divergence_cause`. With `expected` (decoding only, stream-major like
/// `tokens`), every decoded byte is compared as it is produced and the first
/// difference stops the run with Error(kVerify) naming its offset.
struct EngineJob {
  const Config* config = nullptr;
  const StreamLayout* layout = nullptr;
  std::vector<uint8_t>* tokens = nullptr;
  std::vector<coder::RangeEncoder>* encoders = nullptr;
  std::vector<coder::RangeDecoder>* decoders = nullptr;
  uint32_t checkpoint_segments = 1;
  std::vector<uint32_t>* checkpoints = nullptr;
  const std::vector<uint8_t>* expected = nullptr;
  std::string divergence_cause;  ///< the probable cause named by a divergence error
  std::function<void(const Progress&)> progress;
  std::string device = "cpu";  ///< "cpu" or "cuda" (runtime initialised for it)
  bool cuda_graphs = true;     ///< cuda: replay step mode from CUDA graphs
  /// Synchronise the device at the end of each phase of a segment so that
  /// EngineResult's phase times are device times (slower; same bits).
  bool phase_timing = false;
};

/// Runs the job; returns Σ −log2 p(x) (bits) of the coded bytes under the
/// model's float probabilities, and the model's parameter count.
struct EngineResult {
  double ideal_bits = 0;
  int64_t n_params = 0;
  /// Wall time by phase, seconds: step mode (predicting, and decoding on the
  /// host while decoding), training (forward, backward, optimizer), and the
  /// host's range coding of a segment while encoding. Without `phase_timing` on a
  /// GPU, step and training time are mostly launch time and the device's
  /// work shows up where the host next waits for it.
  double step_seconds = 0, train_seconds = 0, code_seconds = 0;
  uint64_t steps = 0;            ///< step-mode calls (segments × steps)
  uint64_t train_steps = 0;      ///< optimizer steps
  uint64_t peak_gpu_bytes = 0;  ///< cuda: peak bytes allocated by LibTorch; 0 on the CPU
};
EngineResult run_engine(const EngineJob& job);

namespace testing {
/// Test-only fault injection: when set, called after every optimizer step of
/// every run with the model, the segment index and the direction, so that a
/// test can corrupt a parameter on one side only and check that the damage is
/// caught at the first checkpoint after it. Unset (empty) in normal use; not
/// thread-safe. Returns the previous hook.
using AfterTrainHook = std::function<void(models::Model& model, uint64_t segment, bool decoding)>;
AfterTrainHook set_after_train_hook(AfterTrainHook hook);
}  // namespace testing

}  // namespace nncomp
