// fuzz_container.cpp — libFuzzer target for the .nnc reader (src/container.cpp).
//
// Raw byte mutations almost never survive the header checksum, so each input
// is tried in up to three versions: as is; with the header checksum
// recomputed ("header resealed": mutated fields reach the field checks); and
// with payload_xxh64 recomputed as well ("fully resealed": mutated payloads
// and stream sizes can parse). payload_xxh64 is always the last 8 bytes of
// the body, so both fields are found from header_len alone.
//
// Properties checked on every version (a violation traps, so libFuzzer keeps
// the input; any exception other than nncomp::Error escapes to libFuzzer):
//  - parse_container and parse_header throw only nncomp::Error, of the kinds
//    container.h documents, with a one-line, non-empty message;
//  - the two agree: the same error when both fail, and parse_container fails
//    alone only on the payload checksum;
//  - canonical encoding: a file that parses is byte for byte what
//    write_container writes for its header and streams (for parse_header,
//    outside payload_xxh64 and the header checksum, which it does not verify).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <xxhash.h>

#include "src/container.h"

namespace {

using nncomp::Error;
using nncomp::ErrorKind;
using Bytes = std::vector<uint8_t>;

// Layout facts from docs/FORMAT.md used to reseal.
constexpr size_t kOffHeaderLen = 10;
constexpr size_t kPrefixSize = 14;
constexpr size_t kChecksumSize = 8;

[[noreturn]] void fail(const char* variant, const std::string& what) {
  std::fprintf(stderr, "fuzz_container: FINDING (%s input): %s\n", variant, what.c_str());
  std::fflush(stderr);
  __builtin_trap();
}

uint64_t get_le(std::span<const uint8_t> f, size_t off, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | f[off + i];
  return v;
}

void put_le(Bytes& f, size_t off, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) f[off + i] = static_cast<uint8_t>(v >> (8 * i));
}

uint64_t hash64(std::span<const uint8_t> bytes) {
  static const uint8_t kEmpty = 0;
  return XXH64(bytes.empty() ? &kEmpty : bytes.data(), bytes.size(), 0);
}

// End of the body (offset of the header checksum), if the file holds the
// whole header that its header_len field announces.
std::optional<size_t> body_end_of(std::span<const uint8_t> f) {
  if (f.size() < kPrefixSize) return std::nullopt;
  const uint64_t body_end = kPrefixSize + get_le(f, kOffHeaderLen, 4);
  if (body_end + kChecksumSize > f.size()) return std::nullopt;
  return static_cast<size_t>(body_end);
}

// Recomputes payload_xxh64 (if asked and the body has room for it), then the
// header checksum.
void reseal(Bytes& f, size_t body_end, bool payload_too) {
  if (payload_too && body_end >= kPrefixSize + 8)
    put_le(f, body_end - 8, hash64(std::span(f).subspan(body_end + kChecksumSize)), 8);
  put_le(f, body_end, hash64(std::span(f).first(body_end)), 8);
}

struct Outcome {
  bool ok = false;
  ErrorKind kind = ErrorKind::kInternal;
  std::string message;
};

void check_error(const char* variant, const char* fn, const Error& e) {
  const std::string m = e.what();
  switch (e.kind()) {
    case ErrorKind::kNotOurs:
    case ErrorKind::kVersion:
    case ErrorKind::kTruncated:
    case ErrorKind::kCorrupt:
      break;
    default:
      fail(variant, std::string(fn) + " threw an undocumented error kind " +
                        std::to_string(static_cast<int>(e.kind())) + ": " + m);
  }
  if (m.empty() || m.find('\n') != std::string::npos)
    fail(variant, std::string(fn) + " message is not one non-empty line: \"" + m + "\"");
}

std::string describe(const Outcome& o) {
  if (o.ok) return "success";
  return "error kind " + std::to_string(static_cast<int>(o.kind)) + " \"" + o.message + "\"";
}

Bytes write_or_fail(const char* variant, const nncomp::Header& h,
                    const std::vector<Bytes>& streams) {
  try {
    return nncomp::write_container(h, streams);
  } catch (const Error& e) {
    fail(variant, std::string("write_container refuses a header the reader accepted: ") +
                      e.what());
  }
}

// Runs `parse` (parse_container or parse_header, named `fn`), records how it
// ended in `out` and checks a thrown Error; returns the result if it parsed.
template <typename Parse>
auto attempt(const char* variant, const char* fn, Parse parse, Outcome& out)
    -> std::optional<decltype(parse())> {
  try {
    auto result = parse();
    out.ok = true;
    return result;
  } catch (const Error& e) {
    check_error(variant, fn, e);
    out = {false, e.kind(), e.what()};
    return std::nullopt;
  }
}

void check_one(const char* variant, std::span<const uint8_t> file) {
  Outcome whole, head;
  const auto parsed = attempt(variant, "parse_container",
                              [&] { return nncomp::parse_container(file); }, whole);
  const auto header = attempt(variant, "parse_header",
                              [&] { return nncomp::parse_header(file); }, head);

  if (whole.ok && !head.ok)
    fail(variant, "parse_container accepts a file parse_header refuses: " + describe(head));
  if (!whole.ok && !head.ok && (whole.kind != head.kind || whole.message != head.message))
    fail(variant, "parse_container and parse_header fail differently: " + describe(whole) +
                      " vs " + describe(head));
  if (!whole.ok && head.ok &&
      (whole.kind != ErrorKind::kCorrupt ||
       whole.message.find("payload checksum") == std::string::npos))
    fail(variant, "parse_container fails on more than the payload checksum: " + describe(whole));
  if (!head.ok) return;

  // The header parsed, so header_len, the stream sizes and the payload length
  // are consistent with the file.
  const std::optional<size_t> end = body_end_of(file);
  if (!end) fail(variant, "parse_header accepted a file shorter than its header");
  const size_t body_end = *end;
  std::vector<Bytes> streams;
  size_t offset = body_end + kChecksumSize;
  for (uint32_t s : header->stream_sizes) {
    if (s > file.size() - offset) fail(variant, "stream sizes exceed the file after a parse");
    streams.emplace_back(file.begin() + offset, file.begin() + offset + s);
    offset += s;
  }
  if (offset != file.size()) fail(variant, "stream sizes do not end at the end of the file");

  const Bytes out = write_or_fail(variant, *header, streams);
  if (out.size() != file.size())
    fail(variant, "write_container(parse_header(f)) has " + std::to_string(out.size()) +
                      " bytes, the input " + std::to_string(file.size()));
  // parse_header verifies neither payload_xxh64 (rewritten from the streams)
  // nor, consequently, the checksum over it: compare everything else.
  for (size_t i = 0; i < out.size(); ++i) {
    if (i >= body_end - 8 && i < body_end + kChecksumSize) continue;
    if (out[i] != file[i])
      fail(variant, "write_container(parse_header(f)) differs from f at byte " +
                        std::to_string(i));
  }

  if (!whole.ok) return;
  if (parsed->streams.size() != streams.size())
    fail(variant, "parse_container and parse_header give different stream counts");
  std::vector<Bytes> whole_streams;
  for (std::span<const uint8_t> s : parsed->streams) whole_streams.emplace_back(s.begin(), s.end());
  if (whole_streams != streams)
    fail(variant, "parse_container's streams differ from the header's sizes");
  const Bytes again = write_or_fail(variant, parsed->header, whole_streams);
  if (again.size() != file.size() || std::memcmp(again.data(), file.data(), file.size()) != 0)
    fail(variant, "write_container(parse_container(f)) is not f (non-canonical encoding)");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> raw(data, size);
  check_one("raw", raw);

  const std::optional<size_t> body_end = body_end_of(raw);
  if (!body_end) return 0;
  Bytes header_sealed(raw.begin(), raw.end());
  reseal(header_sealed, *body_end, /*payload_too=*/false);
  if (!std::equal(header_sealed.begin(), header_sealed.end(), raw.begin()))
    check_one("header resealed", header_sealed);
  Bytes sealed(raw.begin(), raw.end());
  reseal(sealed, *body_end, /*payload_too=*/true);
  if (sealed != header_sealed) check_one("fully resealed", sealed);
  return 0;
}
