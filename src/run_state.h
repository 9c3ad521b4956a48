// run_state.h — the state file of a resumable run (docs/RESUME.md).
//
// A long compression or decompression saves everything its continuation
// needs at the end of a segment: the model's parameters and carried state,
// the optimizer's moments, every stream's coder registers and output so far,
// the context mixer's tables, the engine's position and its divergence
// checkpoints, and what binds the state to its job (configuration,
// fingerprint, the data consumed so far). A process that loads it replays
// the rest of the run exactly as the interrupted one would have, so the
// output is byte-identical to an uninterrupted run's.
//
// File: "NNCSTATE", u16 state version, then one zstd frame of the state's
// bytes (little-endian fields in the order the writer wrote them), then a
// trailer: u64 the state's length, u64 XXH64 of the state's bytes, u64 XXH64
// of everything before this field (so a truncated or damaged file is caught
// before anything is decompressed).
#pragma once

#include <torch/torch.h>
#include <zstd.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "nncomp/error.h"

namespace nncomp {

inline constexpr uint16_t kStateVersion = 1;

/// Builds a state file: fields are compressed as they are written (a state
/// is mostly the mixer's tables, hundreds of MB, never held twice).
class StateWriter {
 public:
  StateWriter();
  ~StateWriter();
  StateWriter(const StateWriter&) = delete;
  StateWriter& operator=(const StateWriter&) = delete;

  void u8(uint8_t v);
  void u32(uint32_t v);
  void u64(uint64_t v);
  void f64(double v);  ///< its bit pattern, exactly
  void str(const std::string& s);
  /// u64 length, then the bytes.
  void bytes(std::span<const uint8_t> b);
  /// u8 dtype, u8 rank, u64 sizes, then the elements (contiguous, from any
  /// device): the exact bits of `t`.
  void tensor(const torch::Tensor& t);
  /// The complete file. No writes afterwards.
  std::vector<uint8_t> finish();

 private:
  void put(const void* p, size_t n);
  void drain(ZSTD_EndDirective mode, const void* p, size_t n);
  ZSTD_CCtx* cctx_;
  std::vector<uint8_t> file_;
  uint64_t raw_size_ = 0;
  void* hash_;  // XXH64_state_t of the raw bytes
};

/// Reads a state file. The constructor checks the magic, the version and
/// the checksums and decompresses it: Error(kNotOurs) for a file that is not
/// a state file, kVersion for another state version, kCorrupt for a
/// truncated or damaged one. Every read past the end, or a tensor that does
/// not match the one it is read into, is kCorrupt.
class StateReader {
 public:
  explicit StateReader(std::span<const uint8_t> file);

  uint8_t u8();
  uint32_t u32();
  uint64_t u64();
  double f64();
  std::string str();
  std::vector<uint8_t> bytes();
  /// A length-prefixed field read straight into `out`, whose size it must have.
  void bytes_into(std::span<uint8_t> out);
  /// Copies the next tensor into `t` (any device), which must have its dtype
  /// and shape.
  void tensor_into(const torch::Tensor& t);
  /// Whether every byte was read.
  bool at_end() const { return pos_ == raw_.size(); }

 private:
  const uint8_t* take(uint64_t n);
  std::vector<uint8_t> raw_;
  size_t pos_ = 0;
};

/// Error(kCorrupt) "the state file ...: <what>".
[[noreturn]] void state_corrupt(const std::string& what);

}  // namespace nncomp
