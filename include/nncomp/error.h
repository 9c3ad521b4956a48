// nncomp/error.h — the one exception type the public API throws.
#pragma once

#include <stdexcept>
#include <string>

namespace nncomp {

/// What went wrong, so that the CLI can name the problem in one line.
enum class ErrorKind {
  kUsage,        ///< bad option or argument
  kIo,           ///< a file could not be read or written
  kNotOurs,      ///< input is not an nncomp container (bad magic)
  kVersion,      ///< container written by an unknown format version
  kTruncated,    ///< container ends before its declared size
  kCorrupt,      ///< checksum or consistency check failed
  kFingerprint,  ///< container made on another device/build/thread count
  kUnsupported,  ///< feature not available in this build (e.g. CUDA), or
                 ///< a run that needs more memory than this machine has
  kVerify,       ///< --verify: decoding the new file did not give back the input
  kInternal,     ///< a bug: an invariant of nncomp itself failed
};

/// Thrown by every public function of nncomp.
class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message)
      : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const noexcept { return kind_; }

 private:
  ErrorKind kind_;
};

}  // namespace nncomp
