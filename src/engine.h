// engine.h — the one loop that runs both directions (docs/FORMAT.md, "The
// computation the decoder replays").
//
// For each segment: rebuild the model's step cache from the context, then for
// each of seg_len steps predict all n_streams next bytes at once and turn the
// distributions into tables (step mode); code or decode one byte per live
// stream (the coding stage, src/coding.h); train on the segment; check or
// record a divergence checkpoint. Encoder and decoder execute exactly the same
// tensor operations with the same shapes; only the coding stage differs.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "models/model.h"
#include "nncomp/config.h"
#include "nncomp/nncomp.h"
#include "src/coding.h"
#include "src/device.h"
#include "src/layout.h"
#include "src/run_state.h"

namespace nncomp {

/// One run of the engine. `tokens` has n_streams·L bytes, stream-major, zero
/// beyond each stream's length: the input when encoding, filled in by the
/// coding stage when decoding (src/layout.h, ZeroBuffer). `coding` codes in one direction;
/// `checkpoints` is filled when the stage encodes and checked when it
/// decodes: Error(kCorrupt) at the first mismatch, naming the positions of
/// the group and `divergence_cause`.
struct EngineJob {
  const Config* config = nullptr;
  const StreamLayout* layout = nullptr;
  std::span<uint8_t> tokens;
  CodingStage* coding = nullptr;
  uint32_t checkpoint_segments = 1;
  std::vector<uint32_t>* checkpoints = nullptr;
  std::string divergence_cause;  ///< the probable cause named by a divergence error
  std::function<void(const Progress&)> progress;
  Device device = Device::kCpu;  ///< runtime initialised for it (src/runtime.h)
  bool cuda_graphs = true;       ///< kCuda: replay step mode from CUDA graphs
  /// Synchronise the device at the end of each phase of a segment so that
  /// EngineResult's phase times are device times (slower; same bits).
  bool phase_timing = false;

  /// Resumable runs (src/run_state.h, docs/RESUME.md). `resume`: continue
  /// from a state, the reader positioned at the engine's part (the caller
  /// has read and checked its own part, the job's identity); Error(kCorrupt)
  /// if the engine's part does not fit this job. `save`: after every
  /// `save_every_seconds` of this process's work, at the end of a segment
  /// (not the last), a state is written: `save_identity` writes the
  /// caller's part for stream position `pos` (the segments before it are
  /// done), the engine its own, and `save` receives the finished file.
  StateReader* resume = nullptr;
  uint64_t resume_pos = 0;  ///< the stream position the caller's part names
  double save_every_seconds = 0;
  std::function<void(StateWriter& w, uint64_t pos)> save_identity;
  std::function<void(std::vector<uint8_t> state)> save;
};

/// XXH64 (seed 0) of the bytes at stream positions [p0, p1) of every stream,
/// stream-major: the divergence checkpoints keep its low 32 bits
/// (docs/FORMAT.md), a state the value for [0, pos) (docs/RESUME.md).
uint64_t positions_xxh64(std::span<const uint8_t> tokens, const StreamLayout& layout, uint64_t p0,
                         uint64_t p1);

/// What a run measured; the ideal code lengths are the coding stage's. For
/// model kind none (no neural model) the loop only codes: every step is one
/// byte of every live stream through the coding stage's context mixer.
struct EngineResult {
  int64_t n_params = 0;  ///< the model's scalar parameters
  /// Wall time by phase, seconds: step mode (predicting, and decoding on the
  /// host while decoding), training (forward, backward, optimizer), and the
  /// host's coding of a segment while encoding. Without `phase_timing` on a
  /// GPU, step and training time are mostly launch time and the device's
  /// work shows up where the host next waits for it.
  double step_seconds = 0, train_seconds = 0, code_seconds = 0;
  uint64_t steps = 0;            ///< step-mode calls (segments × steps)
  uint64_t train_steps = 0;      ///< optimizer steps
  uint64_t peak_gpu_bytes = 0;   ///< kCuda: peak bytes reserved by LibTorch's allocator; 0 on the CPU
  /// A resumed run: the input bytes done before this process, and the wall
  /// seconds the earlier processes worked (the phase times and counts above
  /// include their part).
  uint64_t resumed_bytes = 0;
  double resumed_seconds = 0;
  uint64_t saves = 0;          ///< states written
  double save_seconds = 0;     ///< time spent writing them (their bytes: last_save_bytes)
  uint64_t last_save_bytes = 0;
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
