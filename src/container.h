// container.h — the .nnc file format, versions 1 and 2 (byte layout in
// docs/FORMAT.md). Version 2 adds the context mixer's configuration (the
// "mixer block"); a file without mixing is written as version 1.
//
// A container is a self-describing header (every parameter needed to replay
// the computation, a compute fingerprint, sizes and checksums), protected by
// its own checksum, followed by the payload: one range-coded stream per
// input stream, concatenated. Plain C++ (no LibTorch): the parser reads bytes
// from strangers, so every size and count is bounded before it is used.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "nncomp/config.h"
#include "nncomp/error.h"
#include "nncomp/fingerprint.h"

namespace nncomp {

/// The newest format version this build reads and writes, and the oldest it
/// reads.
inline constexpr uint16_t kFormatVersion = 2;
inline constexpr uint16_t kOldestFormatVersion = 1;

/// The version a header is written in: 1 without the context mixer, else 2.
uint16_t format_version_of(const Config& config);

/// Everything in the header. Sizes in bytes.
struct Header {
  Config config;
  uint8_t quant_rule = 1;  ///< 1 = coder::quantize_cdf rule of format v1
  uint8_t freq_bits = 24;  ///< total of each frequency table = 2^freq_bits
  Fingerprint fingerprint;
  uint64_t original_size = 0;
  uint64_t original_xxh64 = 0;  ///< XXH64(seed 0) of the original bytes
  /// Divergence checkpoints: after every `checkpoint_segments` segments the
  /// engine records the low 32 bits of XXH64 of the tokens of those segments
  /// (stream-major order). checkpoints.size() == checkpoint_count(...).
  uint32_t checkpoint_segments = 0;
  std::vector<uint32_t> checkpoints;
  /// Σ −log2 p(x) of the coded bytes, bits: under the model's float
  /// probabilities (version 1), or the mixer's (version 2, exact).
  double ideal_bits = 0;
  /// Version 2: Σ −log2 p(x) under the neural model's float probabilities
  /// alone, bits (what mixing saved; 0 without a neural model).
  double neural_bits = 0;
  std::vector<uint32_t> stream_sizes;  ///< coded bytes per stream
  uint64_t payload_xxh64 = 0;          ///< XXH64(seed 0) of the payload
};

/// Number of segments of the run: ceil(ceil(original_size / n_streams) / seg_len);
/// 0 for an empty input.
uint64_t segment_count(uint64_t original_size, const EngineConfig& engine);

/// Number of checkpoints the header must hold: one per full group of
/// checkpoint_segments segments plus one for a final partial group (0 if
/// there are no segments).
uint64_t checkpoint_count(uint64_t original_size, const EngineConfig& engine,
                          uint32_t checkpoint_segments);

/// Serialise header + payload streams into a complete .nnc file.
/// Fills header-derived fields it owns (stream_sizes, payload_xxh64) from `streams`.
/// Throws Error(kInternal) if the header is inconsistent.
std::vector<uint8_t> write_container(Header header,
                                     const std::vector<std::vector<uint8_t>>& streams);

/// A parsed container: views into the caller's buffer.
struct ParsedContainer {
  Header header;
  std::vector<std::span<const uint8_t>> streams;  ///< one per stream
};

/// Parse and validate a whole .nnc file. Throws Error with kind kNotOurs (bad
/// magic / too short to be ours), kVersion (unknown version), kTruncated (file
/// shorter than its header or declared payload), kCorrupt (header checksum,
/// out-of-range field, inconsistent sizes, payload checksum, trailing bytes).
/// Never allocates more than a bounded amount before validating a field.
ParsedContainer parse_container(std::span<const uint8_t> file);

/// Parse only the header (for `nncomp info`); the payload checksum is not checked
/// but its length is. Same errors as parse_container.
Header parse_header(std::span<const uint8_t> file);

/// For reading a file in pieces: the size of the whole header (prefix, body,
/// checksum) of a file that starts with `prefix` (its first ≥ 14 bytes), after
/// checking the magic, the version and the header length's bound (the
/// validation order's steps 1–3; the same errors).
uint64_t header_size(std::span<const uint8_t> prefix);
/// The size of the whole file that `header` (its first header_size() bytes)
/// announces, after checking the header completely (steps 1–5).
uint64_t container_size(std::span<const uint8_t> header);

}  // namespace nncomp
