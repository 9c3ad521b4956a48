// container_test.cpp — round trips and hostile inputs for the .nnc format v1.
//
// Field offsets are read from the byte table of docs/FORMAT.md itself
// (tests/format_doc.h), the same table format_doc_test holds against the writer.
#include <gtest/gtest.h>
#include <xxhash.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "models/kinds.h"
#include "src/config_rules.h"
#include "src/container.h"
#include "tests/format_doc.h"

namespace nncomp {
namespace {

using Bytes = std::vector<uint8_t>;

// ---- offsets, read from docs/FORMAT.md's byte table ----------------------------

const test::FormatTable& doc() {
  static const test::FormatTable table = test::load_format_table();
  return table;
}
// The offset of a field before the strings (a plain number in the table).
size_t doc_offset(const char* field) { return std::stoul(doc().row(field).offset); }

const size_t kOffVersion = doc_offset("version");
const size_t kOffHeaderLen = doc_offset("header_len");
const size_t kOffKind = doc_offset("model.kind");
const size_t kOffNLayer = doc_offset("model.n_layer");
const size_t kOffDModel = doc_offset("model.d_model");
const size_t kOffNHead = doc_offset("model.n_head");
const size_t kOffFfnMult = doc_offset("model.ffn_mult");
const size_t kOffRopeBase = doc_offset("model.rope_base");
const size_t kOffNStreams = doc_offset("engine.n_streams");
const size_t kOffSegLen = doc_offset("engine.seg_len");
const size_t kOffCtxLen = doc_offset("engine.ctx_len");
const size_t kOffMuonMomentum = doc_offset("optim.muon_momentum");
const size_t kOffNsSteps = doc_offset("optim.ns_steps");
const size_t kOffAdamLr = doc_offset("optim.adam_lr");
const size_t kOffSeed = doc_offset("seed");
const size_t kOffQuantRule = doc_offset("quant_rule");
const size_t kOffFreqBits = doc_offset("freq_bits");
const size_t kOffStrings = doc_offset("fingerprint.device_kind");  // six strings: u16 length + bytes

uint64_t get_le(const Bytes& f, size_t off, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | f.at(off + i);
  return v;
}
void put_le(Bytes& f, size_t off, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) f.at(off + i) = static_cast<uint8_t>(v >> (8 * i));
}

// Offsets of the fields after the variable-length strings, from the table's
// expressions in S, B, C and n evaluated for the file `f`.
struct Tail {
  size_t threads, sm_count, original_size, original_xxh64, checkpoint_segments;
  size_t checkpoint_count, checkpoints, ideal_bits, stream_count, stream_sizes;
  size_t payload_xxh64, checksum, payload;
};
Tail tail_of(const Bytes& f) {
  size_t off = kOffStrings;
  int64_t S = 0;
  for (int i = 0; i < 6; ++i) {
    S += static_cast<int64_t>(get_le(f, off, 2));
    off += 2 + get_le(f, off, 2);
  }
  std::map<char, int64_t> vars = {{'S', S}, {'B', doc().b_constant + S}, {'C', 0}, {'n', 0}};
  auto at = [&](const char* field) {
    return static_cast<size_t>(test::eval_expr(doc().row(field).offset, vars));
  };
  vars['C'] = static_cast<int64_t>(get_le(f, at("checkpoint count"), 4));
  vars['n'] = static_cast<int64_t>(get_le(f, at("stream count"), 4));
  Tail t{};
  t.threads = at("fingerprint.threads");
  t.sm_count = at("fingerprint.sm_count");
  t.original_size = at("original_size");
  t.original_xxh64 = at("original_xxh64");
  t.checkpoint_segments = at("checkpoint_segments");
  t.checkpoint_count = at("checkpoint count");
  t.checkpoints = at("checkpoints");
  t.ideal_bits = at("ideal_bits");
  t.stream_count = at("stream count");
  t.stream_sizes = at("stream_sizes");
  t.payload_xxh64 = at("payload_xxh64");
  t.checksum = at("header checksum");
  t.payload = at("payload");
  return t;
}

// Recomputes the header checksum after a patch, so that the field checks and
// not the checksum must catch the patched value.
void reseal(Bytes& f) {
  const size_t body_end = 14 + get_le(f, kOffHeaderLen, 4);
  put_le(f, body_end, XXH64(f.data(), body_end, 0), 8);
}
void patch(Bytes& f, size_t off, uint64_t v, int n) {
  put_le(f, off, v, n);
  reseal(f);
}

// ---- fixtures ------------------------------------------------------------------

// A version-1 header (no mixer): the layout the offsets below describe.
Header v1_header() {
  Header h;
  h.config.mixer.mode = MixerMode::kNone;
  return h;
}

// Every field differs from its default.
Header full_header() {
  Header h = v1_header();
  h.config.model = {ModelKind::kNgpt, 6, 192, 3, 3, 5000.5, 30.25};
  h.config.engine = {5, 7, 96};
  h.config.optim = {0.031, 0.875, 7, 4.5e-4, 0.8, 0.995, 1e-10, 0.125, 11, 0.375};
  h.config.seed = 0x0123456789abcdefULL;
  h.fingerprint = {"cuda", "NVIDIA H100 80GB HBM3 — ünïcode", "AVX512", "2.11.0", "12.8",
                   "nncomp 0.1.0", 8, 132};
  h.original_size = 500000;  // L = 100000, segments = ceil(100000 / 7) = 14286
  h.original_xxh64 = 0xfeedfacecafebeefULL;
  // The encoder's spacing: ceil(65536 / (5·7)) = 1873 segments, so
  // ceil(14286 / 1873) = 8 checkpoints.
  h.checkpoint_segments = choose_checkpoint_segments(h.original_size, h.config.engine);
  h.checkpoints = {1, 2, 0xffffffffu, 4, 5, 6, 7, 0x80000000u};
  h.ideal_bits = 1234.5625;
  h.stream_sizes = {99, 99};  // must be replaced by write_container
  h.payload_xxh64 = 42;       // likewise
  return h;
}

std::vector<Bytes> full_streams() {
  return {{1, 2, 3}, {}, {4, 5, 6, 7, 8, 9, 10}, {}, {0xff}};
}

Bytes full_file() { return write_container(full_header(), full_streams()); }

// A small valid file for the exhaustive loops.
Bytes small_file() {
  Header h = v1_header();
  h.config.engine = {2, 4, 8};
  h.fingerprint = {"cpu", "x", "AVX2", "2.11.0", "", "b", 1, 0};
  h.original_size = 10;  // L = 5, segments = 2, one checkpoint
  h.checkpoint_segments = choose_checkpoint_segments(h.original_size, h.config.engine);
  h.checkpoints = {77};
  return write_container(h, {{10, 20, 30}, {40, 50}});
}

void expect_same_bits(double a, double b) {
  EXPECT_EQ(std::bit_cast<uint64_t>(a), std::bit_cast<uint64_t>(b));
}

void expect_header_eq(const Header& a, const Header& b) {
  EXPECT_EQ(a.config.model.kind, b.config.model.kind);
  EXPECT_EQ(a.config.model.n_layer, b.config.model.n_layer);
  EXPECT_EQ(a.config.model.d_model, b.config.model.d_model);
  EXPECT_EQ(a.config.model.n_head, b.config.model.n_head);
  EXPECT_EQ(a.config.model.ffn_mult, b.config.model.ffn_mult);
  expect_same_bits(a.config.model.rope_base, b.config.model.rope_base);
  expect_same_bits(a.config.model.logit_cap, b.config.model.logit_cap);
  EXPECT_EQ(a.config.engine.n_streams, b.config.engine.n_streams);
  EXPECT_EQ(a.config.engine.seg_len, b.config.engine.seg_len);
  EXPECT_EQ(a.config.engine.ctx_len, b.config.engine.ctx_len);
  const OptimConfig& oa = a.config.optim;
  const OptimConfig& ob = b.config.optim;
  expect_same_bits(oa.muon_lr, ob.muon_lr);
  expect_same_bits(oa.muon_momentum, ob.muon_momentum);
  EXPECT_EQ(oa.ns_steps, ob.ns_steps);
  expect_same_bits(oa.adam_lr, ob.adam_lr);
  expect_same_bits(oa.adam_beta1, ob.adam_beta1);
  expect_same_bits(oa.adam_beta2, ob.adam_beta2);
  expect_same_bits(oa.adam_eps, ob.adam_eps);
  expect_same_bits(oa.weight_decay, ob.weight_decay);
  EXPECT_EQ(oa.warmup_steps, ob.warmup_steps);
  expect_same_bits(oa.lr_end_frac, ob.lr_end_frac);
  EXPECT_EQ(a.config.seed, b.config.seed);
  EXPECT_EQ(a.quant_rule, b.quant_rule);
  EXPECT_EQ(a.freq_bits, b.freq_bits);
  EXPECT_EQ(a.fingerprint.device_kind, b.fingerprint.device_kind);
  EXPECT_EQ(a.fingerprint.device_name, b.fingerprint.device_name);
  EXPECT_EQ(a.fingerprint.cpu_capability, b.fingerprint.cpu_capability);
  EXPECT_EQ(a.fingerprint.torch_version, b.fingerprint.torch_version);
  EXPECT_EQ(a.fingerprint.cuda_version, b.fingerprint.cuda_version);
  EXPECT_EQ(a.fingerprint.build, b.fingerprint.build);
  EXPECT_EQ(a.fingerprint.threads, b.fingerprint.threads);
  EXPECT_EQ(a.fingerprint.sm_count, b.fingerprint.sm_count);
  EXPECT_EQ(a.original_size, b.original_size);
  EXPECT_EQ(a.original_xxh64, b.original_xxh64);
  EXPECT_EQ(a.checkpoint_segments, b.checkpoint_segments);
  EXPECT_EQ(a.checkpoints, b.checkpoints);
  expect_same_bits(a.ideal_bits, b.ideal_bits);
  EXPECT_EQ(a.stream_sizes, b.stream_sizes);
  EXPECT_EQ(a.payload_xxh64, b.payload_xxh64);
}

// Runs fn, which must throw Error of `kind` whose message contains `needle`.
void expect_error(const std::function<void()>& fn, ErrorKind kind, const std::string& needle) {
  try {
    fn();
  } catch (const Error& e) {
    EXPECT_EQ(static_cast<int>(e.kind()), static_cast<int>(kind)) << e.what();
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos)
        << "message \"" << e.what() << "\" does not mention \"" << needle << "\"";
    return;
  }
  ADD_FAILURE() << "no Error thrown (expected one mentioning \"" << needle << "\")";
}

void expect_parse_error(const Bytes& f, ErrorKind kind, const std::string& needle) {
  expect_error([&] { parse_container(f); }, kind, needle);
  expect_error([&] { parse_header(f); }, kind, needle);
}

// ---- counts ----------------------------------------------------------------------

TEST(Container, SegmentAndCheckpointCounts) {
  EXPECT_EQ(segment_count(0, {16, 32, 64}), 0u);
  EXPECT_EQ(segment_count(1, {16, 32, 64}), 1u);
  EXPECT_EQ(segment_count(16 * 32, {16, 32, 64}), 1u);
  EXPECT_EQ(segment_count(16 * 32 + 1, {16, 32, 64}), 2u);  // L = 33
  EXPECT_EQ(segment_count(1000, {5, 7, 0}), 29u);
  EXPECT_EQ(segment_count(std::numeric_limits<uint64_t>::max(), {1, 1, 0}),
            std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(segment_count(std::numeric_limits<uint64_t>::max(), {65536, 65536, 0}),
            uint64_t{1} << 32);
  EXPECT_EQ(checkpoint_count(0, {16, 32, 64}, 0), 0u);
  EXPECT_EQ(checkpoint_count(1000, {5, 7, 0}, 4), 8u);
  EXPECT_EQ(checkpoint_count(1000, {5, 7, 0}, 29), 1u);
  EXPECT_EQ(checkpoint_count(1000, {5, 7, 0}, 1000), 1u);
  EXPECT_EQ(checkpoint_count(1000, {5, 7, 0}, 1), 29u);
  expect_error([] { segment_count(5, {0, 32, 64}); }, ErrorKind::kInternal, "n_streams");
  expect_error([] { checkpoint_count(5, {1, 1, 0}, 0); }, ErrorKind::kInternal,
               "checkpoint_segments");
}

// ---- round trips ---------------------------------------------------------------

TEST(Container, RoundTripFullHeader) {
  const Bytes f = full_file();
  const ParsedContainer p = parse_container(f);
  Header want = full_header();
  want.stream_sizes = {3, 0, 7, 0, 1};
  const uint8_t payload[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0xff};
  want.payload_xxh64 = XXH64(payload, sizeof payload, 0);
  expect_header_eq(p.header, want);
  ASSERT_EQ(p.streams.size(), 5u);
  const std::vector<Bytes> streams = full_streams();
  for (size_t i = 0; i < streams.size(); ++i) {
    EXPECT_EQ(Bytes(p.streams[i].begin(), p.streams[i].end()), streams[i]) << i;
    if (!p.streams[i].empty()) {  // views into the caller's buffer
      EXPECT_GE(p.streams[i].data(), f.data());
      EXPECT_LT(p.streams[i].data(), f.data() + f.size());
    }
  }
  expect_header_eq(parse_header(f), want);

  // Layout spot checks against docs/FORMAT.md.
  EXPECT_EQ(0, std::memcmp(f.data(), "\x89NNC\r\n\x1a\n", 8));
  EXPECT_EQ(get_le(f, kOffVersion, 2), 1u);
  EXPECT_EQ(get_le(f, kOffKind, 1), 3u);
  EXPECT_EQ(get_le(f, kOffNLayer, 4), 6u);
  EXPECT_EQ(get_le(f, kOffDModel, 4), 192u);
  EXPECT_EQ(get_le(f, kOffNStreams, 4), 5u);
  EXPECT_EQ(get_le(f, kOffSegLen, 4), 7u);
  EXPECT_EQ(get_le(f, kOffCtxLen, 4), 96u);
  EXPECT_EQ(get_le(f, kOffRopeBase, 8), std::bit_cast<uint64_t>(5000.5));
  EXPECT_EQ(get_le(f, kOffSeed, 8), 0x0123456789abcdefULL);
  EXPECT_EQ(get_le(f, kOffQuantRule, 1), 1u);
  EXPECT_EQ(get_le(f, kOffFreqBits, 1), 24u);
  const Tail t = tail_of(f);
  EXPECT_EQ(get_le(f, t.threads, 4), 8u);
  EXPECT_EQ(get_le(f, t.original_size, 8), 500000u);
  EXPECT_EQ(get_le(f, t.checkpoint_count, 4), 8u);
  EXPECT_EQ(get_le(f, t.stream_count, 4), 5u);
  EXPECT_EQ(get_le(f, kOffHeaderLen, 4), t.checksum - 14);
  EXPECT_EQ(get_le(f, t.checksum, 8), XXH64(f.data(), t.checksum, 0));
  EXPECT_EQ(f.size(), t.payload + sizeof payload);
}

TEST(Container, RoundTripEmptyInput) {
  Header h = v1_header();  // original_size 0: no segments, no checkpoints
  h.config.engine.n_streams = 3;
  h.fingerprint.device_kind = "cpu";
  h.checkpoint_segments = choose_checkpoint_segments(0, h.config.engine);
  const Bytes f = write_container(h, {{}, {}, {}});
  const ParsedContainer p = parse_container(f);
  EXPECT_EQ(p.header.original_size, 0u);
  EXPECT_TRUE(p.header.checkpoints.empty());
  EXPECT_EQ(p.header.stream_sizes, (std::vector<uint32_t>{0, 0, 0}));
  EXPECT_EQ(p.header.payload_xxh64, XXH64(nullptr, 0, 0));
  ASSERT_EQ(p.streams.size(), 3u);
  for (const auto& s : p.streams) EXPECT_TRUE(s.empty());
  EXPECT_EQ(f.size(), tail_of(f).payload);
}

TEST(Container, TypicalHeaderSize) {
  // 16 streams × seg 32, 100 MB input: groups of 100e6 / 256 bytes, i.e.
  // 763 segments, and 256 checkpoints.
  Header h = v1_header();
  h.fingerprint = {"cuda", "NVIDIA H100 80GB HBM3", "AVX2", "2.11.0", "12.8", "0.1.0", 1, 132};
  h.original_size = 100'000'000;
  h.checkpoint_segments = choose_checkpoint_segments(h.original_size, h.config.engine);
  EXPECT_EQ(h.checkpoint_segments, 763u);
  h.checkpoints.assign(checkpoint_count(h.original_size, h.config.engine, h.checkpoint_segments), 0);
  EXPECT_EQ(h.checkpoints.size(), 256u);
  const Bytes f = write_container(h, std::vector<Bytes>(16, Bytes{1}));
  // 213 fixed bytes + 44 string bytes + 4 per checkpoint + 4 per stream, and the payload.
  EXPECT_EQ(f.size(), 213u + 44u + 4u * 256u + 4u * 16u + 16u);
}

// ---- writer refuses inconsistent headers -----------------------------------------

TEST(Container, WriterRejectsInconsistentHeader) {
  {
    Header h = full_header();
    h.checkpoints.pop_back();
    expect_error([&] { write_container(h, full_streams()); }, ErrorKind::kInternal,
                 "checkpoint count 7");
  }
  {
    std::vector<Bytes> s = full_streams();
    s.pop_back();
    expect_error([&] { write_container(full_header(), s); }, ErrorKind::kInternal,
                 "stream count 4 does not match n_streams 5");
  }
  {
    Header h = full_header();
    h.config.model.n_layer = 0;
    expect_error([&] { write_container(h, full_streams()); }, ErrorKind::kInternal, "n_layer");
  }
  {
    Header h = full_header();
    h.fingerprint.device_name = std::string(257, 'x');
    expect_error([&] { write_container(h, full_streams()); }, ErrorKind::kInternal,
                 "device_name length 257");
  }
  {
    Header h = full_header();
    h.fingerprint.build = "bad\x1b[31m";
    expect_error([&] { write_container(h, full_streams()); }, ErrorKind::kInternal, "build");
  }
  {
    Header h = full_header();
    h.ideal_bits = std::numeric_limits<double>::quiet_NaN();
    expect_error([&] { write_container(h, full_streams()); }, ErrorKind::kInternal,
                 "ideal_bits");
  }
  {
    Header h = full_header();
    h.checkpoint_segments = 4;  // not the encoder's spacing
    h.checkpoints.assign(checkpoint_count(h.original_size, h.config.engine, 4), 0);
    expect_error([&] { write_container(h, full_streams()); }, ErrorKind::kInternal,
                 "checkpoint_segments 4 is not the 1873");
  }
  {
    std::vector<Bytes> s = full_streams();
    s[0].push_back(0);  // the flush never leaves a trailing zero
    expect_error([&] { write_container(full_header(), s); }, ErrorKind::kInternal, "zero byte");
  }
}

// ---- not ours, version ----------------------------------------------------------

TEST(Container, RejectsForeignFiles) {
  expect_parse_error({}, ErrorKind::kNotOurs, "not an nncomp file");
  expect_parse_error({0x89}, ErrorKind::kNotOurs, "not an nncomp file");
  expect_parse_error({0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0, 0x03, 1, 2, 3, 4, 5, 6, 7, 8},
                     ErrorKind::kNotOurs, "not an nncomp file");  // gzip
  const std::string text = "hello, world\nthis is a text file, not a container\n";
  expect_parse_error(Bytes(text.begin(), text.end()), ErrorKind::kNotOurs, "not an nncomp file");
  const uint8_t png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H'};
  expect_parse_error(Bytes(std::begin(png), std::end(png)), ErrorKind::kNotOurs,
                     "not an nncomp file");
  // Our magic after a text-mode transfer (CRLF -> LF).
  Bytes f = small_file();
  f.erase(f.begin() + 4);
  expect_parse_error(f, ErrorKind::kNotOurs, "not an nncomp file");
}

TEST(Container, RejectsOtherVersions) {
  for (uint16_t v : {0, 3, 0xffff}) {
    Bytes f = small_file();
    patch(f, kOffVersion, v, 2);
    expect_parse_error(f, ErrorKind::kVersion,
                       "format version " + std::to_string(v) + ", this build reads versions 1 to 2");
  }
}

// ---- version 2: the mixer block ---------------------------------------------------

Header v2_header() {
  Header h = full_header();
  h.config.mixer = MixerConfig{};  // context mixing, the defaults
  h.neural_bits = 98765.25;
  return h;
}

TEST(Container, RoundTripVersion2) {
  const Bytes f = write_container(v2_header(), full_streams());
  EXPECT_EQ(get_le(f, kOffVersion, 2), 2u);
  const Header h = parse_container(f).header;
  Header want = v2_header();
  want.stream_sizes = h.stream_sizes;
  want.payload_xxh64 = h.payload_xxh64;
  expect_header_eq(h, want);
  const MixerConfig& x = h.config.mixer;
  EXPECT_EQ(x.mode, MixerMode::kContextMixing);
  EXPECT_EQ(x.log2_slot_bytes, MixerConfig{}.log2_slot_bytes);
  EXPECT_EQ(x.models, MixerConfig{}.models);
  EXPECT_EQ(x.private_models, MixerConfig{}.private_models);
  expect_same_bits(h.neural_bits, 98765.25);
  // The block sits at offset 141 (docs/FORMAT.md), 27 bytes before the strings.
  EXPECT_EQ(get_le(f, 141, 1), 1u);
  EXPECT_EQ(get_le(f, 168, 2), 4u);  // device_kind "cuda": its length
}

// Every mixer field at or past its bounds, resealed: refused naming it.
TEST(Container, HostileMixerBlockIsRefusedByField) {
  const Bytes base = write_container(v2_header(), full_streams());
  struct Case {
    const char* what;
    size_t off;
    uint64_t value;
    int width;
    std::string needle;
  };
  const std::vector<Case> cases = {
      {"mode 0 in version 2", 141, 0, 1, "mixer.mode 0 in format version 2"},
      {"mode 7", 141, 7, 1, "mixer.mode 7"},
      {"rule 2", 142, 2, 1, "rule_version"},
      {"neural 0 with a model", 143, 0, 1, "mixer neural 0"},
      {"neural 2", 143, 2, 1, "neural"},
      {"slot table 2^40", 144, 40, 1, "log2_slot_bytes"},
      {"slot table 2^11", 144, 11, 1, "log2_slot_bytes"},
      {"match index 2^31", 145, 31, 1, "log2_match"},
      {"private 2^29", 146, 29, 1, "log2_private_bytes"},
      {"private total 2^35", 147, 35, 1, "log2_private_total"},
      {"match_min 1", 148, 1, 1, "match_min"},
      {"match_min 33", 148, 33, 1, "match_min"},
      {"mixer_lr 0", 149, 0, 1, "mixer_lr"},
      {"final_lr 0", 150, 0, 1, "final_lr"},
      {"sm_limit 0", 151, 0, 1, "sm_limit"},
      {"sm_limit 128", 151, 128, 1, "sm_limit"},
      {"unknown model bits", 152, 0x80000000u, 4, "unknown bits"},
      {"unknown private bits", 156, 0x4000u, 4, "unknown bits"},
      {"too many contexts", 156, 0x3FFFu, 4, "contexts"},
      {"neural_bits NaN", 160, 0x7ff8000000000000ull, 8, "neural_bits"},
      {"neural_bits negative", 160, std::bit_cast<uint64_t>(-1.0), 8, "neural_bits"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    Bytes f = base;
    patch(f, c.off, c.value, c.width);
    expect_parse_error(f, ErrorKind::kCorrupt, c.needle);
  }
  // Model kind none needs the mixer's neural flag 0, and the mixer at all.
  Header none = v2_header();
  none.config.model.kind = ModelKind::kNone;
  none.config.engine.ctx_len = 0;
  none.config.mixer.neural = 1;
  expect_error([&] { write_container(none, full_streams()); }, ErrorKind::kInternal, "neural 1");
  none.config.mixer.mode = MixerMode::kNone;
  expect_error([&] { write_container(none, full_streams()); }, ErrorKind::kInternal,
               "model kind none needs the context mixer");
  // An input too large for the mixer's 32-bit positions.
  Header big = v2_header();
  big.original_size = uint64_t{1} << 33;
  big.checkpoint_segments = choose_checkpoint_segments(big.original_size, big.config.engine);
  big.checkpoints.assign(checkpoint_count(big.original_size, big.config.engine, big.checkpoint_segments), 0);
  expect_error([&] { write_container(big, full_streams()); }, ErrorKind::kInternal,
               "too large for the context mixer");
}

// ---- truncation, bit flips, trailing bytes ------------------------------------

TEST(Container, EveryPrefixIsRejected) {
  const Bytes f = small_file();
  const size_t header_end = tail_of(f).payload;
  ASSERT_LT(header_end, f.size());
  for (size_t n = 0; n < f.size(); ++n) {
    SCOPED_TRACE(n);
    const Bytes prefix(f.begin(), f.begin() + n);
    if (n < 8)
      expect_parse_error(prefix, ErrorKind::kNotOurs, "not an nncomp file");
    else if (n < header_end)
      expect_parse_error(prefix, ErrorKind::kTruncated, "truncated");
    else
      expect_parse_error(prefix, ErrorKind::kTruncated,
                         "truncated: payload has " + std::to_string(n - header_end) + " of 5 bytes");
  }
  EXPECT_NO_THROW(parse_container(f));
}

TEST(Container, EveryHeaderBitFlipIsRejected) {
  const Bytes f = small_file();
  const size_t header_end = tail_of(f).payload;
  for (size_t i = 0; i < header_end; ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      SCOPED_TRACE(testing::Message() << "byte " << i << " bit " << bit);
      Bytes g = f;
      g[i] ^= static_cast<uint8_t>(1u << bit);
      try {
        parse_container(g);
        ADD_FAILURE() << "flip accepted";
      } catch (const Error& e) {
        if (i < 8) {
          EXPECT_EQ(e.kind(), ErrorKind::kNotOurs) << e.what();
        } else if (i < 10) {
          EXPECT_EQ(e.kind(), ErrorKind::kVersion) << e.what();
        } else {
          EXPECT_TRUE(e.kind() == ErrorKind::kCorrupt || e.kind() == ErrorKind::kTruncated)
              << e.what();
        }
      }
    }
  }
}

TEST(Container, PayloadBitFlipIsCorrupt) {
  const Bytes f = full_file();
  for (size_t i = tail_of(f).payload; i < f.size(); ++i) {
    Bytes g = f;
    g[i] ^= 0x10;
    expect_error([&] { parse_container(g); }, ErrorKind::kCorrupt, "payload checksum mismatch");
    EXPECT_NO_THROW(parse_header(g));  // info does not hash the payload
  }
}

TEST(Container, TrailingBytesAreCorrupt) {
  Bytes f = small_file();
  f.push_back(0);
  expect_parse_error(f, ErrorKind::kCorrupt, "1 trailing bytes");
  f.insert(f.end(), 1000, 0xab);
  expect_parse_error(f, ErrorKind::kCorrupt, "1001 trailing bytes");
}

TEST(Container, HeaderChecksumMismatch) {
  Bytes f = small_file();
  f[tail_of(f).original_xxh64] ^= 1;  // a field no range check can catch
  expect_parse_error(f, ErrorKind::kCorrupt, "header checksum mismatch (corrupt header)");
}

// ---- absurd fields behind a valid header checksum ------------------------------

TEST(Container, AbsurdFieldsAreRejectedByFieldChecks) {
  const Bytes base = full_file();
  const Tail t = tail_of(base);
  struct Case {
    const char* what;
    size_t off;
    uint64_t value;
    int width;
    ErrorKind kind;
    std::string needle;
  };
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  uint64_t unknown_kind = 0;
  for (const auto& k : models::kind_table())
    unknown_kind = std::max<uint64_t>(unknown_kind, static_cast<uint64_t>(k.kind) + 1);
  const std::vector<Case> cases = {
      {"original_size 2^60", t.original_size, uint64_t{1} << 60, 8, ErrorKind::kCorrupt,
       "original_size 1152921504606846976 out of range"},
      {"original_size 2^48+1", t.original_size, (uint64_t{1} << 48) + 1, 8, ErrorKind::kCorrupt,
       "original_size"},
      {"original_size max", t.original_size, ~uint64_t{0}, 8, ErrorKind::kCorrupt,
       "original_size"},
      {"n_streams 0", kOffNStreams, 0, 4, ErrorKind::kCorrupt, "n_streams 0 out of range"},
      {"n_streams 1e9", kOffNStreams, 1'000'000'000, 4, ErrorKind::kCorrupt,
       "n_streams 1000000000 out of range"},
      {"seg_len 0", kOffSegLen, 0, 4, ErrorKind::kCorrupt, "seg_len 0"},
      {"ctx_len huge", kOffCtxLen, 0xffffffff, 4, ErrorKind::kCorrupt, "ctx_len"},
      {"model kind 0 (none) without the mixer", kOffKind, 0, 1, ErrorKind::kCorrupt, "none"},
      {"the first kind value after the table's", kOffKind, unknown_kind, 1, ErrorKind::kCorrupt,
       "model kind " + std::to_string(unknown_kind) + " unknown"},
      // The base file's ctx_len 96 is not allowed with the recurrent kind.
      {"rwkv with a context", kOffKind, 2, 1, ErrorKind::kCorrupt, "ctx_len must be 0, not 96"},
      {"n_layer 0", kOffNLayer, 0, 4, ErrorKind::kCorrupt, "n_layer 0"},
      {"n_layer 257", kOffNLayer, 257, 4, ErrorKind::kCorrupt, "n_layer 257"},
      {"d_model 0", kOffDModel, 0, 4, ErrorKind::kCorrupt, "d_model 0"},
      {"n_head 0", kOffNHead, 0, 4, ErrorKind::kCorrupt, "n_head 0"},
      {"n_head 5", kOffNHead, 5, 4, ErrorKind::kCorrupt, "n_head 5 does not divide d_model 192"},
      {"ffn_mult 65", kOffFfnMult, 65, 4, ErrorKind::kCorrupt, "ffn_mult 65"},
      {"rope_base NaN", kOffRopeBase, std::bit_cast<uint64_t>(nan), 8, ErrorKind::kCorrupt,
       "rope_base"},
      {"muon_momentum 2", kOffMuonMomentum, std::bit_cast<uint64_t>(2.0), 8,
       ErrorKind::kCorrupt, "muon_momentum"},
      {"adam_lr -inf", kOffAdamLr, std::bit_cast<uint64_t>(-inf), 8, ErrorKind::kCorrupt,
       "adam_lr"},
      {"ns_steps 101", kOffNsSteps, 101, 4, ErrorKind::kCorrupt, "ns_steps 101"},
      {"quant_rule 2", kOffQuantRule, 2, 1, ErrorKind::kCorrupt, "quant_rule 2"},
      {"freq_bits 16", kOffFreqBits, 16, 1, ErrorKind::kCorrupt, "freq_bits 16"},
      {"device_kind length 257", kOffStrings, 257, 2, ErrorKind::kCorrupt,
       "device_kind length 257"},
      {"device_kind length 65535", kOffStrings, 65535, 2, ErrorKind::kCorrupt,
       "device_kind length 65535"},
      {"device_kind control char", kOffStrings + 2, 0x07, 1, ErrorKind::kCorrupt,
       "device_kind is not printable"},
      {"threads 0", t.threads, 0, 4, ErrorKind::kCorrupt, "threads 0"},
      {"checkpoint_segments 0", t.checkpoint_segments, 0, 4, ErrorKind::kCorrupt,
       "checkpoint_segments 0 is not the 1873"},
      {"checkpoint_segments one more", t.checkpoint_segments, 1874, 4, ErrorKind::kCorrupt,
       "checkpoint_segments 1874 is not the 1873"},
      {"checkpoint_segments 2^32 - 1", t.checkpoint_segments, 0xffffffff, 4, ErrorKind::kCorrupt,
       "checkpoint_segments 4294967295 is not"},
      {"checkpoint count huge", t.checkpoint_count, 0xffffffff, 4, ErrorKind::kCorrupt,
       "checkpoint count 4294967295"},
      {"checkpoint count off by one", t.checkpoint_count, 9, 4, ErrorKind::kCorrupt,
       "checkpoint count 9 does not match the 8"},
      {"ideal_bits inf", t.ideal_bits, std::bit_cast<uint64_t>(inf), 8, ErrorKind::kCorrupt,
       "ideal_bits"},
      {"stream count 1e9", t.stream_count, 1'000'000'000, 4, ErrorKind::kCorrupt,
       "stream count 1000000000 does not match n_streams 5"},
      {"stream count 0", t.stream_count, 0, 4, ErrorKind::kCorrupt, "stream count 0"},
      {"stream size huge", t.stream_sizes, 0xffffffff, 4, ErrorKind::kTruncated,
       "truncated: payload has 11 of 4294967303 bytes"},
      {"stream size short", t.stream_sizes, 2, 4, ErrorKind::kCorrupt, "1 trailing bytes"},
      {"header length 2 GiB", kOffHeaderLen, 0x80000000, 4, ErrorKind::kCorrupt,
       "header length 2147483648 exceeds"},
      {"header length past end", kOffHeaderLen, 100000, 4, ErrorKind::kTruncated,
       "truncated: header needs"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    Bytes f = base;
    if (c.off == kOffHeaderLen) {
      put_le(f, c.off, c.value, c.width);  // checksum location moves; cannot reseal
    } else {
      patch(f, c.off, c.value, c.width);
    }
    expect_parse_error(f, c.kind, c.needle);
  }
}

// Every field with a bound in docs/FORMAT.md has a refusal here or in the test
// above; the fields documented as "any" are accepted with extreme values.
TEST(Container, EveryBoundedFieldIsChecked) {
  const Bytes base = full_file();
  const Tail t = tail_of(base);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  auto f64 = [](double v) { return std::bit_cast<uint64_t>(v); };
  struct Case {
    const char* what;
    size_t off;
    uint64_t value;
    int width;
    std::string needle;
  };
  std::vector<Case> cases = {
      {"d_model 65537", kOffDModel, 65537, 4, "d_model 65537 out of range"},
      {"ffn_mult 0", kOffFfnMult, 0, 4, "ffn_mult 0"},
      {"logit_cap -1", 39, f64(-1.0), 8, "logit_cap"},
      {"logit_cap inf", 39, f64(inf), 8, "logit_cap"},
      {"rope_base 0", kOffRopeBase, f64(0.0), 8, "rope_base"},
      {"muon_lr NaN", 59, f64(nan), 8, "muon_lr"},
      {"adam_beta1 1.5", 87, f64(1.5), 8, "adam_beta1"},
      {"adam_beta2 -0.1", 95, f64(-0.1), 8, "adam_beta2"},
      {"adam_eps inf", 103, f64(inf), 8, "adam_eps"},
      {"weight_decay -1", 111, f64(-1.0), 8, "weight_decay"},
      {"lr_end_frac NaN", 123, f64(nan), 8, "lr_end_frac"},
      {"threads 65537", t.threads, 65537, 4, "threads 65537"},
      {"sm_count 65537", t.sm_count, 65537, 4, "sm_count 65537"},
      {"ideal_bits NaN", t.ideal_bits, f64(nan), 8, "ideal_bits"},
      {"ideal_bits -1", t.ideal_bits, f64(-1.0), 8, "ideal_bits"},
  };
  // Each fingerprint string: an over-long length and a control character.
  const char* const names[] = {"device_kind", "device_name", "cpu_capability",
                               "torch_version", "cuda_version", "build"};
  size_t off = kOffStrings;
  for (const char* name : names) {
    const uint64_t len = get_le(base, off, 2);
    cases.push_back({name, off, 300, 2, std::string(name) + " length 300 exceeds"});
    if (len > 0) cases.push_back({name, off + 2, 0x1b, 1, std::string(name) + " is not printable"});
    off += 2 + len;
  }
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    Bytes f = base;
    patch(f, c.off, c.value, c.width);
    expect_parse_error(f, ErrorKind::kCorrupt, c.needle);
  }
  {
    // 256 layers of width 65536 (4 heads): each field in range, the model not
    // within the format's memory bound.
    SCOPED_TRACE("model too large");
    Bytes f = base;
    patch(f, kOffNLayer, 256, 4);
    patch(f, kOffDModel, 65536, 4);
    patch(f, kOffNHead, 4, 4);
    expect_parse_error(f, ErrorKind::kCorrupt, "would need");
  }
  // Fields documented as "any": extreme values parse.
  for (const auto& [off, width] : std::vector<std::pair<size_t, int>>{
           {119, 4} /* warmup_steps */, {kOffSeed, 8}, {t.original_xxh64, 8},
           {t.checkpoints, 4}, {t.payload_xxh64, 8}}) {
    SCOPED_TRACE("offset " + std::to_string(off));
    Bytes f = base;
    patch(f, off, ~uint64_t{0}, width);
    if (off == t.payload_xxh64) {
      EXPECT_NO_THROW(parse_header(f));  // the payload no longer matches its checksum
    } else {
      EXPECT_NO_THROW(parse_container(f));
    }
  }
}

TEST(Container, StreamSizesSummingPastAnyFile) {
  // n_streams = 65536, every size 0xffffffff: the sum (~2^48) must be computed
  // without overflow and reported as a truncated payload, not allocated.
  Header h = v1_header();
  h.config.engine = {65536, 1, 0};
  h.fingerprint.device_kind = "cpu";
  h.original_size = 65536;
  h.checkpoint_segments = choose_checkpoint_segments(h.original_size, h.config.engine);
  h.checkpoints.assign(1, 0);
  Bytes f = write_container(h, std::vector<Bytes>(65536));
  const Tail t = tail_of(f);
  for (size_t i = 0; i < 65536; ++i) put_le(f, t.stream_sizes + 4 * i, 0xffffffff, 4);
  reseal(f);
  expect_parse_error(f, ErrorKind::kTruncated,
                     "truncated: payload has 0 of " + std::to_string(65536 * 0xffffffffULL));
}

TEST(Container, HeaderLengthMustMatchFields) {
  Bytes f = small_file();
  const Tail t = tail_of(f);
  // Four extra body bytes before the checksum, header length updated, resealed.
  f.insert(f.begin() + t.checksum, 4, 0);
  put_le(f, kOffHeaderLen, get_le(f, kOffHeaderLen, 4) + 4, 4);
  reseal(f);
  expect_parse_error(f, ErrorKind::kCorrupt, "4 unused bytes");
  // A body cut short inside a field, resealed.
  Bytes g = small_file();
  const size_t body_end = 14 + 15;  // ffn_mult occupies body bytes 13..16
  put_le(g, kOffHeaderLen, 15, 4);
  g.resize(body_end + 8);
  reseal(g);
  expect_parse_error(g, ErrorKind::kCorrupt, "header body ends inside field ffn_mult");
}

TEST(Container, ResealedRandomMutations) {
  // Random header bytes changed behind a valid checksum: the parser may only
  // throw nncomp::Error, and whatever it accepts must re-serialise to the
  // very same bytes (the encoding is canonical).
  const Bytes base = full_file();
  const size_t body_end = tail_of(base).checksum;
  uint64_t rng = 0x9e3779b97f4a7c15ULL;
  auto next = [&rng] {
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return rng;
  };
  int accepted = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    Bytes f = base;
    const int n = 1 + static_cast<int>(next() % 3);
    for (int k = 0; k < n; ++k) f[10 + next() % (body_end - 10)] = static_cast<uint8_t>(next());
    if (get_le(f, kOffHeaderLen, 4) != get_le(base, kOffHeaderLen, 4)) continue;
    reseal(f);
    try {
      const ParsedContainer p = parse_container(f);
      std::vector<Bytes> streams;
      for (const auto& s : p.streams) streams.emplace_back(s.begin(), s.end());
      EXPECT_EQ(write_container(p.header, streams), f) << "iteration " << iter;
      ++accepted;
    } catch (const Error&) {
      // expected for most mutations
    }
  }
  EXPECT_GT(accepted, 0);
}

}  // namespace
}  // namespace nncomp
