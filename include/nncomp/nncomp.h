// nncomp/nncomp.h — the public API: compress, decompress, inspect.
//
// nncomp is a lossless compressor whose probability model is a byte-level
// language model trained online while it scans the input; an arithmetic coder
// turns each predicted distribution into bits, and the decoder replays the
// identical computation. Everything here throws nncomp::Error on failure.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "nncomp/config.h"
#include "nncomp/error.h"
#include "nncomp/fingerprint.h"

namespace nncomp {

/// Progress of a running compression or decompression.
struct Progress {
  uint64_t done = 0;     ///< bytes coded so far
  uint64_t total = 0;    ///< bytes to code
  double bits = 0;       ///< coded size so far under the model, in bits (ideal)
  double seconds = 0;    ///< wall time since the start
};

/// How to run (not part of the computation's description, except `threads`
/// and `device`, which go into the fingerprint).
struct RunOptions {
  std::string device;  ///< "cpu" or "cuda"; empty: "cpu" to compress, the file's to decompress
  uint32_t threads = 0;        ///< intra-op threads; 0 = 2 for compression, the file's for decompression
  bool force = false;          ///< decode despite a fingerprint mismatch
  /// compress() only: decode the new file in the same process and compare it
  /// with the input byte by byte (Error kVerify at the first difference,
  /// naming its offset; the time goes to Stats::verify_seconds).
  bool verify = false;
  /// cuda: replay step mode from CUDA graphs (the same kernels as without, so
  /// the same bits; off for debugging or comparison).
  bool cuda_graphs = true;
  /// cuda: synchronise the GPU at the end of each phase of every segment, so
  /// that Stats' phase times are GPU times (slower; the same bits).
  bool phase_timing = false;
  std::function<void(const Progress&)> progress;  ///< called about every 0.25 s

  /// Resumable runs (docs/RESUME.md). With `save_state`, the run hands over
  /// a state file (everything its continuation needs, zstd-compressed) after
  /// every `save_every_seconds` of work, at the end of a segment; the caller
  /// stores it. A run given `resume_state` (such a file) continues from it
  /// and returns exactly what the uninterrupted run would have; it refuses,
  /// before any work, a state of another direction, input or file (kUsage),
  /// configuration (kUsage), nncomp version or state version (kVersion),
  /// fingerprint (kFingerprint, unless `force`), or a damaged or truncated
  /// one (kCorrupt), and a file that is not a state at all (kNotOurs).
  std::function<void(std::vector<uint8_t> state)> save_state;
  double save_every_seconds = 600;
  std::span<const uint8_t> resume_state;
};

/// What a run measured.
struct Stats {
  uint64_t original_size = 0;    ///< bytes
  uint64_t compressed_size = 0;  ///< bytes, whole container
  uint64_t payload_size = 0;     ///< bytes of coded streams
  /// Σ −log2 p(x) of the coded bytes, bits, under the probabilities they
  /// were coded with: the model's float probabilities (mixer none) or the
  /// context mixer's (exact).
  double ideal_bits = 0;
  /// The same under the neural model's probabilities alone (0 for model
  /// kind none): with the mixer, what mixing saved is neural − ideal.
  double neural_ideal_bits = 0;
  MixerMode mixer = MixerMode::kNone;  ///< how the bytes were coded
  double seconds = 0;            ///< wall time of the engine
  double verify_seconds = 0;     ///< wall time of the verifying decode (RunOptions::verify)
  int64_t n_params = 0;          ///< model parameters
  std::string device;            ///< "cpu" or "cuda": where the model ran
  /// Engine wall time by phase, seconds: step mode (prediction; on decoding
  /// also the host's decoding), training (forward, backward, optimizer) and
  /// coding (the host's range coding of each segment when encoding, and the
  /// wait for the segment's probabilities). On a GPU without
  /// RunOptions::phase_timing the GPU runs ahead of the host, so step and
  /// training time are mostly launch time.
  double step_seconds = 0, train_seconds = 0, code_seconds = 0;
  uint64_t steps = 0;        ///< step-mode calls (each predicts one byte of every stream)
  uint64_t train_steps = 0;  ///< optimizer steps
  uint64_t peak_gpu_bytes = 0;  ///< cuda: peak bytes held by LibTorch's allocator (no CUDA context); 0 on the CPU
  /// A resumed run (RunOptions::resume_state): the input bytes done before
  /// this process and the seconds the earlier processes worked (`seconds`,
  /// the phase times and the counts include them).
  uint64_t resumed_bytes = 0;
  double resumed_seconds = 0;
  uint64_t state_saves = 0;          ///< states handed to RunOptions::save_state
  double state_save_seconds = 0;     ///< time spent making them
  uint64_t state_bytes = 0;          ///< size of the last one
  /// The upper bound of the run's memory that the check before allocating
  /// held against the machine's (docs/FORMAT.md, "Memory"), bytes.
  uint64_t memory_estimate = 0;
  /// Coding loss: payload bits over ideal bits, minus 1 (e.g. 0.0003 = 0.03 %).
  double coding_loss() const {
    return ideal_bits > 0 ? static_cast<double>(payload_size) * 8.0 / ideal_bits - 1.0 : 0.0;
  }
};

/// Compress `input` with `config`. Returns the whole .nnc container.
/// Throws Error(kUsage) for an invalid config, kUnsupported for an
/// unavailable model kind or device or a run needing more memory than the
/// machine has, kVerify if options.verify and the decode differs.
std::vector<uint8_t> compress(std::span<const uint8_t> input, const Config& config,
                              const RunOptions& options, Stats* stats = nullptr);

/// Decompress a whole .nnc container. Throws Error with kNotOurs, kVersion,
/// kTruncated, kCorrupt (checksums; a diverging decode stops at the first bad
/// checkpoint and names the position), kFingerprint (made on another
/// device/build/thread count, unless options.force), kUnsupported (needs
/// more memory than this machine has; checked before any large allocation).
std::vector<uint8_t> decompress(std::span<const uint8_t> file, const RunOptions& options,
                                Stats* stats = nullptr);

/// The header of a container, for display (`nncomp info`).
struct FileInfo {
  uint16_t format_version = 0;
  uint8_t quant_rule = 0, freq_bits = 0;  ///< the probability → frequency rule and its total's bits
  std::string model_name;
  Config config;
  Fingerprint fingerprint;
  uint64_t original_size = 0, file_size = 0, header_size = 0, payload_size = 0;
  uint64_t original_xxh64 = 0;
  double ideal_bits = 0;   ///< of the coded bytes (the mixer's in format 2)
  double neural_bits = 0;  ///< format 2: the neural model's alone (0 for kind none)
  uint32_t n_checkpoints = 0, checkpoint_segments = 0;
  std::vector<uint32_t> stream_sizes;
};
/// Parse the header (checks it fully, but not the payload checksum).
FileInfo inspect(std::span<const uint8_t> file);

/// Reading a container in pieces, so that a caller never reads more than the
/// file announces: the size of the whole header of a file whose first bytes
/// are `prefix` (at least 14), after checking its magic, version and header
/// length (kNotOurs, kTruncated, kVersion, kCorrupt) ...
uint64_t container_header_size(std::span<const uint8_t> prefix);
/// ... then the size of the whole file, from its first
/// container_header_size() bytes, after checking the header fully (the same
/// errors as inspect).
uint64_t container_file_size(std::span<const uint8_t> header);

/// A named profile for a model kind, e.g. profile("gpt", "cpu").
/// Throws Error(kUsage) naming the known ones.
Config profile(const std::string& model, const std::string& name);
/// Profile names of a model kind, and all model kind names.
std::vector<std::string> profile_names(const std::string& model);
std::vector<std::string> model_names();
/// Name of a model kind (kCorrupt for a value no kind has).
std::string model_name(ModelKind kind);
/// One line describing the model kind `name` (kUsage if unknown).
std::string model_summary(const std::string& name);
/// Parse a model name (kUsage if unknown).
ModelKind model_kind(const std::string& name);

/// The fingerprint this process would write (device "cpu"/"cuda", threads).
Fingerprint current_fingerprint(const std::string& device, uint32_t threads);

/// Version string of this build, and of the LibTorch it runs on.
std::string version();

}  // namespace nncomp
