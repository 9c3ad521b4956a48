// files.h — whole-file input and all-or-nothing output for the CLI.
//
// Output goes to a temporary file beside the target and is renamed into place
// only when complete, so an error, Ctrl-C or kill never leaves a partial file
// and an existing file is never replaced unless overwriting was asked for.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace nncomp::cli {

/// Read a whole file, or standard input for "-". Throws nncomp::Error(kIo).
std::vector<uint8_t> read_all(const std::string& path);

/// Throw nncomp::Error(kIo) if `path` exists (and is not "-") and !overwrite.
void check_writable(const std::string& path, bool overwrite);

/// Write `data` to `path` atomically (temporary + rename), or to standard
/// output for "-". Without `overwrite` an existing file is never replaced,
/// even if it appeared while we were working. Throws nncomp::Error(kIo).
void write_all(const std::string& path, std::span<const uint8_t> data, bool overwrite);

/// Remove the temporary output on SIGINT/SIGTERM/SIGHUP before dying.
void install_signal_cleanup();

}  // namespace nncomp::cli
