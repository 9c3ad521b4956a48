// resume.h — what binds a state file to its job (docs/RESUME.md): the part of
// a state that the API writes before the engine's, and its checks when a run
// continues from it.
#pragma once

#include <cstdint>
#include <span>

#include "src/container.h"
#include "src/layout.h"
#include "src/run_state.h"

namespace nncomp {

/// A job as a state names it.
struct JobIdentity {
  bool decoding = false;
  /// The configuration and fingerprint of the run, its original_size and
  /// (decoding) the file's header fields; the other fields are not used.
  const Header* header = nullptr;
  /// Decoding: XXH64 (seed 0) of the whole .nnc file being decoded; 0 when
  /// compressing.
  uint64_t source_xxh64 = 0;
};

/// Writes the identity of `job` for a state saved at stream position `pos`
/// (the segments before it done): nncomp's version, the direction, the
/// configuration and fingerprint (as a container header), the original
/// size, the source file's checksum, `pos` and, when compressing, XXH64 of
/// the input consumed so far (`tokens` at stream positions [0, pos)).
void write_identity(StateWriter& w, const JobIdentity& job, std::span<const uint8_t> tokens,
                    const StreamLayout& layout, uint64_t pos);

/// Reads the identity of a state and checks it against `job`, in this
/// order: nncomp version (Error kVersion), direction (kUsage), configuration
/// (kUsage, naming the part that differs), fingerprint (kFingerprint unless
/// `force`, naming each difference), then the input: its size and the
/// checksum of the part consumed (compressing) or the file's checksum
/// (decoding) (kUsage). Returns the state's stream position; the reader is
/// left at the engine's part.
uint64_t check_identity(StateReader& r, const JobIdentity& job, std::span<const uint8_t> tokens,
                        const StreamLayout& layout, bool force);

}  // namespace nncomp
