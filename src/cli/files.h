// files.h — input and all-or-nothing output for the CLI.
//
// Output to a regular file goes to a temporary file beside the target and is
// renamed into place only when complete, so an error, Ctrl-C or kill never
// leaves a partial file and an existing file is never replaced unless
// overwriting was asked for. Character devices (/dev/null, a terminal) and
// FIFOs are written into directly and never replaced. Every check that can
// fail is made before the work starts (check_output).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace nncomp::cli {

/// Read a whole file, or standard input for "-". Throws nncomp::Error(kIo).
std::vector<uint8_t> read_all(const std::string& path);

/// Read a compressed file, or standard input for "-", no further than its
/// header announces: the magic and header are checked before the rest is
/// read (so that a huge or endless input that is not ours is refused after
/// 14 bytes). A file shorter than announced is returned as it is (the parser
/// names it truncated); bytes beyond the announced end are refused as
/// trailing bytes. Throws nncomp::Error (kIo, or the container's errors).
std::vector<uint8_t> read_container(const std::string& path);

/// Throw nncomp::Error unless `path` can be written by write_all: "-"; a
/// character device or FIFO (written into, with or without `overwrite`); a
/// regular file that does not exist yet or, with `overwrite`, does; never a
/// directory, socket or block device; its directory must exist and be
/// writable, and the path must fit the system's limit.
void check_output(const std::string& path, bool overwrite);

/// Throw nncomp::Error(kUsage) if `a` and `b` name the same existing file
/// (same device and inode, whatever the spelling or links), naming both.
void check_distinct(const std::string& a, const char* what_a, const std::string& b,
                    const char* what_b);

/// Write `data` to `path` (see check_output), or to standard output for "-".
/// A regular file is written atomically (temporary + rename) and, without
/// `overwrite`, never replaces a file that appeared meanwhile. Throws
/// nncomp::Error(kIo).
void write_all(const std::string& path, std::span<const uint8_t> data, bool overwrite);

/// Whether `path` names a regular file (following links).
bool is_regular_file(const std::string& path);
/// Remove the file `path` if it exists (kIo if it exists and cannot be removed).
void remove_file(const std::string& path);

/// Remove the temporary output on SIGINT/SIGTERM/SIGHUP before dying.
void install_signal_cleanup();

}  // namespace nncomp::cli
