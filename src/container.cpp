// container.cpp — writer and validating reader of the .nnc format v1.
//
// Design: explicit little-endian byte serialisation (no struct dumps), one
// field at a time, in the order of docs/FORMAT.md. The reader trusts nothing:
// magic, version, lengths and the header checksum come first; then every field
// is range-checked before it feeds arithmetic or sizes an allocation, and every
// sum is overflow-checked. The writer applies the same checks (→ kInternal),
// so that nncomp never writes a file it would refuse to read.
#include "src/container.h"

#include <fmt/format.h>
#include <xxhash.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <memory>
#include <string_view>

#include "src/config_rules.h"
#include "src/field_checks.h"
#include "src/mixing.h"

namespace nncomp {
namespace {

constexpr uint8_t kMagic[8] = {0x89, 'N', 'N', 'C', '\r', '\n', 0x1a, '\n'};
constexpr size_t kMagicSize = sizeof kMagic;
constexpr size_t kPrefixSize = 14;  // magic (8) + version (2) + header length (4)
constexpr size_t kChecksumSize = 8;
constexpr uint32_t kMaxHeaderLen = 1u << 20;
constexpr size_t kMaxString = 256;
constexpr uint64_t kMaxOriginalSize = uint64_t{1} << 48;

// ---- little-endian primitives ----------------------------------------------

uint64_t load_le(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

uint64_t hash64(std::span<const uint8_t> bytes) {
  static const uint8_t kEmpty = 0;  // never hand XXH64 a null pointer
  return XXH64(bytes.empty() ? &kEmpty : bytes.data(), bytes.size(), 0);
}

class ByteWriter {
 public:
  explicit ByteWriter(std::vector<uint8_t>& out) : out_(out) {}
  void put(uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  void u8(uint8_t v) { put(v, 1); }
  void u16(uint16_t v) { put(v, 2); }
  void u32(uint32_t v) { put(v, 4); }
  void u64(uint64_t v) { put(v, 8); }
  void f64(double v) { put(std::bit_cast<uint64_t>(v), 8); }
  void str(const std::string& s) {  // length already validated (≤ kMaxString)
    u16(static_cast<uint16_t>(s.size()));
    out_.insert(out_.end(), s.begin(), s.end());
  }

 private:
  std::vector<uint8_t>& out_;
};

// Reads the header body; running out of body bytes is a corrupt header (the
// body length was already checked against the file and the checksum).
class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> body) : body_(body) {}
  void need(uint64_t n, std::string_view field) const {
    if (n > body_.size() - pos_)
      throw Error(ErrorKind::kCorrupt,
                  fmt::format("corrupt header: header body ends inside field {} "
                              "(needs {} bytes at file offset {}; the body ends at offset {})",
                              field, n, kPrefixSize + pos_, kPrefixSize + body_.size()));
  }
  uint64_t get(int bytes, std::string_view field) {
    need(static_cast<uint64_t>(bytes), field);
    uint64_t v = load_le(body_.data() + pos_, bytes);
    pos_ += static_cast<size_t>(bytes);
    return v;
  }
  uint8_t u8(std::string_view f) { return static_cast<uint8_t>(get(1, f)); }
  uint16_t u16(std::string_view f) { return static_cast<uint16_t>(get(2, f)); }
  uint32_t u32(std::string_view f) { return static_cast<uint32_t>(get(4, f)); }
  uint64_t u64(std::string_view f) { return get(8, f); }
  double f64(std::string_view f) { return std::bit_cast<double>(get(8, f)); }
  std::string str(std::string_view field) {
    const uint16_t len = u16(field);
    if (len > kMaxString)
      throw Error(ErrorKind::kCorrupt,
                  fmt::format("corrupt header: {} length {} exceeds {} bytes", field, len,
                              kMaxString));
    need(len, field);
    std::string s(reinterpret_cast<const char*>(body_.data() + pos_), len);
    pos_ += len;
    return s;
  }
  size_t remaining() const { return body_.size() - pos_; }

 private:
  std::span<const uint8_t> body_;
  size_t pos_ = 0;
};

// ---- header strings --------------------------------------------------------

// Well-formed UTF-8 (no overlongs, surrogates or code points > U+10FFFF) and
// no control characters (C0, DEL, C1): strings are shown by `nncomp info`.
bool printable_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<uint8_t>(s[i]);
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7f) return false;
      ++i;
      continue;
    }
    size_t extra;
    uint32_t cp;
    if (c >= 0xc2 && c <= 0xdf) {
      extra = 1, cp = c & 0x1fu;
    } else if (c >= 0xe0 && c <= 0xef) {
      extra = 2, cp = c & 0x0fu;
    } else if (c >= 0xf0 && c <= 0xf4) {
      extra = 3, cp = c & 0x07u;
    } else {
      return false;
    }
    if (s.size() - i - 1 < extra) return false;
    for (size_t k = 1; k <= extra; ++k) {
      const auto d = static_cast<uint8_t>(s[i + k]);
      if ((d & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3fu);
    }
    if (extra == 1 && cp < 0xa0) return false;  // C1 controls U+0080..U+009F
    if (extra == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) return false;
    if (extra == 3 && (cp < 0x10000 || cp > 0x10ffff)) return false;
    i += extra + 1;
  }
  return true;
}

std::string check_string(std::string_view name, const std::string& s) {
  if (s.size() > kMaxString)
    return fmt::format("{} length {} exceeds {} bytes", name, s.size(), kMaxString);
  if (!printable_utf8(s)) return fmt::format("{} is not printable UTF-8", name);
  return {};
}

}  // namespace

namespace {

// Everything up to and including checkpoint_segments (the fields that
// checkpoint_count depends on). Order follows the byte layout.
std::string scalar_problem(const Header& h) {
  std::string p = config_problem(h.config);
  if (!p.empty()) return p;
  auto bad = [&p](std::string problem) {  // records the problem, true if any
    p = std::move(problem);
    return !p.empty();
  };
  if (h.quant_rule != 1)
    return fmt::format("quant_rule {} unknown (format v1 defines rule 1)", h.quant_rule);
  if (h.freq_bits != 24)
    return fmt::format("freq_bits {} unsupported (format v1 requires 24)", h.freq_bits);
  const Fingerprint& f = h.fingerprint;
  if (bad(check_string("device_kind", f.device_kind))) return p;
  if (f.device_kind != "cpu" && f.device_kind != "cuda")
    return fmt::format("device_kind '{}' unknown (cpu, cuda)", f.device_kind);
  if (bad(check_string("device_name", f.device_name))) return p;
  if (bad(check_string("cpu_capability", f.cpu_capability))) return p;
  if (bad(check_string("torch_version", f.torch_version))) return p;
  if (bad(check_string("cuda_version", f.cuda_version))) return p;
  if (bad(check_string("build", f.build))) return p;
  if (bad(check_range("threads", f.threads, 1, 65536))) return p;
  if (bad(check_range("sm_count", f.sm_count, 0, 65536))) return p;
  if (bad(check_range("original_size", h.original_size, 0, kMaxOriginalSize))) return p;
  if (h.config.mixer.mode == MixerMode::kContextMixing) {
    if (h.original_size >= kMaxMixedInput)
      return fmt::format("original_size {} too large for the context mixer (below {})",
                         h.original_size, kMaxMixedInput);
    if (bad(check_double("neural_bits", h.neural_bits, false, 1e300))) return p;
  }
  // The encoder's spacing is a function of the fields above; anything else
  // would let a file put its first checkpoint arbitrarily far away.
  if (const uint32_t want = choose_checkpoint_segments(h.original_size, h.config.engine);
      h.checkpoint_segments != want)
    return fmt::format(
        "checkpoint_segments {} is not the {} that original_size, n_streams and seg_len imply",
        h.checkpoint_segments, want);
  return {};
}

std::string checkpoint_count_problem(const Header& h, uint64_t count) {
  const uint64_t expected =
      checkpoint_count(h.original_size, h.config.engine, h.checkpoint_segments);
  if (count == expected) return {};
  return fmt::format(
      "checkpoint count {} does not match the {} implied by original_size, n_streams, "
      "seg_len and checkpoint_segments",
      count, expected);
}

// A stream that holds no input bytes codes nothing: its coded size is 0.
std::string empty_stream_problem(const Header& h) {
  const uint64_t n = h.config.engine.n_streams;
  const uint64_t L = h.original_size / n + (h.original_size % n != 0);
  for (uint64_t s = 0; s < h.stream_sizes.size(); ++s)
    if (s * L >= h.original_size && h.stream_sizes[s] != 0)
      return fmt::format("stream {} holds no input bytes but has {} coded bytes", s,
                         h.stream_sizes[s]);
  return {};
}

std::string stream_count_problem(const Header& h, uint64_t count) {
  if (count == h.config.engine.n_streams) return {};
  return fmt::format("stream count {} does not match n_streams {}", count,
                     h.config.engine.n_streams);
}

[[noreturn]] void throw_corrupt(const std::string& problem) {
  throw Error(ErrorKind::kCorrupt, "corrupt header: " + problem);
}

// ---- header body -----------------------------------------------------------

void write_body(ByteWriter& w, const Header& h) {
  const ModelConfig& m = h.config.model;
  const EngineConfig& e = h.config.engine;
  const OptimConfig& o = h.config.optim;
  const Fingerprint& f = h.fingerprint;
  w.u8(static_cast<uint8_t>(m.kind));
  w.u32(m.n_layer);
  w.u32(m.d_model);
  w.u32(m.n_head);
  w.u32(m.ffn_mult);
  w.f64(m.rope_base);
  w.f64(m.logit_cap);
  w.u32(e.n_streams);
  w.u32(e.seg_len);
  w.u32(e.ctx_len);
  w.f64(o.muon_lr);
  w.f64(o.muon_momentum);
  w.u32(o.ns_steps);
  w.f64(o.adam_lr);
  w.f64(o.adam_beta1);
  w.f64(o.adam_beta2);
  w.f64(o.adam_eps);
  w.f64(o.weight_decay);
  w.u32(o.warmup_steps);
  w.f64(o.lr_end_frac);
  w.u64(h.config.seed);
  w.u8(h.quant_rule);
  w.u8(h.freq_bits);
  if (format_version_of(h.config) >= 2) {  // the mixer block
    const MixerConfig& x = h.config.mixer;
    w.u8(static_cast<uint8_t>(x.mode));
    w.u8(x.rule_version);
    w.u8(x.neural);
    w.u8(x.log2_slot_bytes);
    w.u8(x.log2_match);
    w.u8(x.log2_private_bytes);
    w.u8(x.log2_private_total);
    w.u8(x.match_min);
    w.u8(x.mixer_lr);
    w.u8(x.final_lr);
    w.u8(x.sm_limit);
    w.u32(x.models);
    w.u32(x.private_models);
    w.f64(h.neural_bits);
  }
  w.str(f.device_kind);
  w.str(f.device_name);
  w.str(f.cpu_capability);
  w.str(f.torch_version);
  w.str(f.cuda_version);
  w.str(f.build);
  w.u32(f.threads);
  w.u32(f.sm_count);
  w.u64(h.original_size);
  w.u64(h.original_xxh64);
  w.u32(h.checkpoint_segments);
  w.u32(static_cast<uint32_t>(h.checkpoints.size()));
  for (uint32_t c : h.checkpoints) w.u32(c);
  w.f64(h.ideal_bits);
  w.u32(static_cast<uint32_t>(h.stream_sizes.size()));
  for (uint32_t s : h.stream_sizes) w.u32(s);
  w.u64(h.payload_xxh64);
}

// Steps 1–3 of the validation order: magic, version, header length; returns
// the size of the whole header.
uint64_t check_prefix(std::span<const uint8_t> file) {
  if (file.size() < kMagicSize || std::memcmp(file.data(), kMagic, kMagicSize) != 0)
    throw Error(ErrorKind::kNotOurs, "not an nncomp file (no nncomp magic at the start)");
  if (file.size() < kPrefixSize)
    throw Error(ErrorKind::kTruncated,
                fmt::format("truncated: file has only {} bytes, ends inside the {}", file.size(),
                            file.size() < 10 ? "format version" : "header length"));
  const auto version = static_cast<uint16_t>(load_le(file.data() + 8, 2));
  if (version < kOldestFormatVersion || version > kFormatVersion)
    throw Error(ErrorKind::kVersion,
                fmt::format("unsupported container: format version {}, this build reads "
                            "versions {} to {}",
                            version, kOldestFormatVersion, kFormatVersion));
  const auto header_len = static_cast<uint32_t>(load_le(file.data() + 10, 4));
  if (header_len > kMaxHeaderLen)
    throw_corrupt(fmt::format("header length {} exceeds the limit of {} bytes", header_len,
                              kMaxHeaderLen));
  return kPrefixSize + uint64_t{header_len} + kChecksumSize;
}

// Steps 3–5: the header checksum and every field; `file` holds at least the
// whole header. Returns the header and the sizes it declares.
struct ParsedHeader {
  Header header;
  uint64_t header_size = 0, payload_size = 0;
};
ParsedHeader parse_fields(std::span<const uint8_t> file) {
  const uint64_t header_end = check_prefix(file);
  const auto version = static_cast<uint16_t>(load_le(file.data() + 8, 2));
  const uint64_t body_end = header_end - kChecksumSize;
  const auto header_len = static_cast<uint32_t>(body_end - kPrefixSize);
  if (file.size() < header_end)
    throw Error(ErrorKind::kTruncated,
                fmt::format("truncated: header needs {} bytes, file has {}", header_end,
                            file.size()));
  if (load_le(file.data() + body_end, 8) != hash64(file.first(body_end)))
    throw Error(ErrorKind::kCorrupt, "header checksum mismatch (corrupt header)");

  ByteReader r(file.subspan(kPrefixSize, header_len));
  Header h;
  ModelConfig& m = h.config.model;
  EngineConfig& e = h.config.engine;
  OptimConfig& o = h.config.optim;
  Fingerprint& f = h.fingerprint;
  m.kind = static_cast<ModelKind>(r.u8("model kind"));
  m.n_layer = r.u32("n_layer");
  m.d_model = r.u32("d_model");
  m.n_head = r.u32("n_head");
  m.ffn_mult = r.u32("ffn_mult");
  m.rope_base = r.f64("rope_base");
  m.logit_cap = r.f64("logit_cap");
  e.n_streams = r.u32("n_streams");
  e.seg_len = r.u32("seg_len");
  e.ctx_len = r.u32("ctx_len");
  o.muon_lr = r.f64("muon_lr");
  o.muon_momentum = r.f64("muon_momentum");
  o.ns_steps = r.u32("ns_steps");
  o.adam_lr = r.f64("adam_lr");
  o.adam_beta1 = r.f64("adam_beta1");
  o.adam_beta2 = r.f64("adam_beta2");
  o.adam_eps = r.f64("adam_eps");
  o.weight_decay = r.f64("weight_decay");
  o.warmup_steps = r.u32("warmup_steps");
  o.lr_end_frac = r.f64("lr_end_frac");
  h.config.seed = r.u64("seed");
  h.quant_rule = r.u8("quant_rule");
  h.freq_bits = r.u8("freq_bits");
  MixerConfig& x = h.config.mixer;
  if (version >= 2) {  // the mixer block
    x.mode = static_cast<MixerMode>(r.u8("mixer.mode"));
    if (x.mode != MixerMode::kContextMixing)
      throw_corrupt(fmt::format("mixer.mode {} in format version 2 (1: context mixing; a file "
                                "without mixing is version 1)",
                                static_cast<unsigned>(x.mode)));
    x.rule_version = r.u8("mixer.rule_version");
    x.neural = r.u8("mixer.neural");
    x.log2_slot_bytes = r.u8("mixer.log2_slot_bytes");
    x.log2_match = r.u8("mixer.log2_match");
    x.log2_private_bytes = r.u8("mixer.log2_private_bytes");
    x.log2_private_total = r.u8("mixer.log2_private_total");
    x.match_min = r.u8("mixer.match_min");
    x.mixer_lr = r.u8("mixer.mixer_lr");
    x.final_lr = r.u8("mixer.final_lr");
    x.sm_limit = r.u8("mixer.sm_limit");
    x.models = r.u32("mixer.models");
    x.private_models = r.u32("mixer.private_models");
    h.neural_bits = r.f64("neural_bits");
  } else {
    x = MixerConfig{};
    x.mode = MixerMode::kNone;
  }
  f.device_kind = r.str("device_kind");
  f.device_name = r.str("device_name");
  f.cpu_capability = r.str("cpu_capability");
  f.torch_version = r.str("torch_version");
  f.cuda_version = r.str("cuda_version");
  f.build = r.str("build");
  f.threads = r.u32("threads");
  f.sm_count = r.u32("sm_count");
  h.original_size = r.u64("original_size");
  h.original_xxh64 = r.u64("original_xxh64");
  h.checkpoint_segments = r.u32("checkpoint_segments");
  if (std::string p = scalar_problem(h); !p.empty()) throw_corrupt(p);

  // Counts: compared with what the validated fields imply, and bounded by the
  // remaining header bytes, before anything is reserved.
  const uint32_t n_checkpoints = r.u32("checkpoint count");
  if (std::string p = checkpoint_count_problem(h, n_checkpoints); !p.empty()) throw_corrupt(p);
  r.need(4 * uint64_t{n_checkpoints}, "checkpoints");
  h.checkpoints.resize(n_checkpoints);
  for (uint32_t& c : h.checkpoints) c = r.u32("checkpoints");
  h.ideal_bits = r.f64("ideal_bits");
  if (std::string p = check_double("ideal_bits", h.ideal_bits); !p.empty()) throw_corrupt(p);
  const uint32_t n_sizes = r.u32("stream count");
  if (std::string p = stream_count_problem(h, n_sizes); !p.empty()) throw_corrupt(p);
  r.need(4 * uint64_t{n_sizes}, "stream sizes");
  h.stream_sizes.resize(n_sizes);
  uint64_t payload_len = 0;
  for (uint32_t& s : h.stream_sizes) {
    s = r.u32("stream sizes");
    if (__builtin_add_overflow(payload_len, uint64_t{s}, &payload_len))
      throw_corrupt("stream sizes overflow when summed");
  }
  if (std::string p = empty_stream_problem(h); !p.empty()) throw_corrupt(p);
  h.payload_xxh64 = r.u64("payload_xxh64");
  if (r.remaining() != 0)
    throw_corrupt(fmt::format("header length {} leaves {} unused bytes after payload_xxh64",
                              header_len, r.remaining()));
  return {std::move(h), header_end, payload_len};
}

ParsedContainer parse_impl(std::span<const uint8_t> file, bool verify_payload) {
  ParsedHeader parsed = parse_fields(file);
  Header& h = parsed.header;
  const uint64_t payload_len = parsed.payload_size;
  const std::span<const uint8_t> payload = file.subspan(parsed.header_size);
  if (payload.size() < payload_len)
    throw Error(ErrorKind::kTruncated,
                fmt::format("truncated: payload has {} of {} bytes", payload.size(),
                            payload_len));
  if (payload.size() > payload_len)
    throw Error(ErrorKind::kCorrupt,
                fmt::format("corrupt container: {} trailing bytes after the {}-byte payload",
                            payload.size() - payload_len, payload_len));
  ParsedContainer out;
  out.streams.reserve(h.stream_sizes.size());
  size_t offset = 0;
  for (size_t i = 0; i < h.stream_sizes.size(); ++i) {
    out.streams.push_back(payload.subspan(offset, h.stream_sizes[i]));
    offset += h.stream_sizes[i];
    // The encoder's flush drops every trailing zero byte (the decoder reads
    // bytes past the end as zero), so a stream it wrote never ends in one.
    if (!out.streams.back().empty() && out.streams.back().back() == 0)
      throw Error(ErrorKind::kCorrupt,
                  fmt::format("corrupt container: stream {} ends in a zero byte, which the "
                              "coder's flush never writes",
                              i));
  }
  if (verify_payload && hash64(payload) != h.payload_xxh64)
    throw Error(ErrorKind::kCorrupt, "payload checksum mismatch (corrupt data)");
  out.header = std::move(h);
  return out;
}

}  // namespace

uint16_t format_version_of(const Config& config) {
  return config.mixer.mode == MixerMode::kNone ? 1 : 2;
}

uint64_t segment_count(uint64_t original_size, const EngineConfig& engine) {
  if (engine.n_streams == 0 || engine.seg_len == 0)
    throw Error(ErrorKind::kInternal, "segment_count: n_streams and seg_len must be positive");
  if (original_size == 0) return 0;
  // ceil divisions written so that they cannot overflow.
  const uint64_t len = original_size / engine.n_streams + (original_size % engine.n_streams != 0);
  return len / engine.seg_len + (len % engine.seg_len != 0);
}

uint64_t checkpoint_count(uint64_t original_size, const EngineConfig& engine,
                          uint32_t checkpoint_segments) {
  const uint64_t segments = segment_count(original_size, engine);
  if (segments == 0) return 0;
  if (checkpoint_segments == 0)
    throw Error(ErrorKind::kInternal, "checkpoint_count: checkpoint_segments is 0");
  return segments / checkpoint_segments + (segments % checkpoint_segments != 0);
}

std::vector<uint8_t> write_container(Header header,
                                     const std::vector<std::vector<uint8_t>>& streams) {
  auto fail = [](const std::string& problem) {
    throw Error(ErrorKind::kInternal, "write_container: inconsistent header: " + problem);
  };
  if (std::string p = scalar_problem(header); !p.empty()) fail(p);
  if (std::string p = checkpoint_count_problem(header, header.checkpoints.size()); !p.empty())
    fail(p);
  if (std::string p = check_double("ideal_bits", header.ideal_bits); !p.empty()) fail(p);
  if (std::string p = stream_count_problem(header, streams.size()); !p.empty()) fail(p);
  header.stream_sizes.clear();
  for (const std::vector<uint8_t>& s : streams) {
    header.stream_sizes.push_back(static_cast<uint32_t>(std::min<size_t>(s.size(), UINT32_MAX)));
    if (!s.empty() && s.back() == 0) fail("a stream ends in a zero byte");
  }
  if (std::string p = empty_stream_problem(header); !p.empty()) fail(p);

  std::unique_ptr<XXH64_state_t, decltype(&XXH64_freeState)> state(XXH64_createState(),
                                                                   &XXH64_freeState);
  if (!state || XXH64_reset(state.get(), 0) == XXH_ERROR)
    throw Error(ErrorKind::kInternal, "write_container: cannot create XXH64 state");
  header.stream_sizes.clear();
  header.stream_sizes.reserve(streams.size());
  uint64_t payload_len = 0;
  for (size_t i = 0; i < streams.size(); ++i) {
    const std::vector<uint8_t>& s = streams[i];
    if (s.size() > std::numeric_limits<uint32_t>::max())
      fail(fmt::format("stream {} has {} bytes, more than a u32 size field holds", i, s.size()));
    header.stream_sizes.push_back(static_cast<uint32_t>(s.size()));
    if (__builtin_add_overflow(payload_len, uint64_t{s.size()}, &payload_len))
      fail("stream sizes overflow when summed");
    if (!s.empty()) XXH64_update(state.get(), s.data(), s.size());
  }
  header.payload_xxh64 = XXH64_digest(state.get());

  std::vector<uint8_t> out;
  ByteWriter w(out);
  for (uint8_t b : kMagic) w.u8(b);
  w.u16(format_version_of(header.config));
  w.u32(0);  // header length, patched below
  write_body(w, header);
  const size_t header_len = out.size() - kPrefixSize;
  if (header_len > kMaxHeaderLen)
    fail(fmt::format("header length {} exceeds the limit of {} bytes (too many checkpoints: "
                     "{})",
                     header_len, kMaxHeaderLen, header.checkpoints.size()));
  for (int i = 0; i < 4; ++i) out[10 + i] = static_cast<uint8_t>(header_len >> (8 * i));
  w.u64(hash64(out));
  out.reserve(out.size() + payload_len);
  for (const std::vector<uint8_t>& s : streams) out.insert(out.end(), s.begin(), s.end());
  return out;
}

uint64_t header_size(std::span<const uint8_t> prefix) { return check_prefix(prefix); }

uint64_t container_size(std::span<const uint8_t> header) {
  const ParsedHeader p = parse_fields(header);
  return p.header_size + p.payload_size;
}

ParsedContainer parse_container(std::span<const uint8_t> file) {
  return parse_impl(file, /*verify_payload=*/true);
}

Header parse_header(std::span<const uint8_t> file) {
  return std::move(parse_impl(file, /*verify_payload=*/false).header);
}

}  // namespace nncomp
