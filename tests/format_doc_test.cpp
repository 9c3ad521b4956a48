// format_doc_test.cpp — docs/FORMAT.md against the writer: every row of the
// document's byte table, read from the document itself, is found in a file
// written by write_container at the offset the row gives, with the value
// the header holds; the rows tile the whole file and the formulas for the
// header's length agree. Editing either the document or the writer without
// the other fails here.
#include <gtest/gtest.h>
#include <xxhash.h>

#include <bit>
#include <map>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "src/config_rules.h"
#include "src/container.h"
#include "tests/format_doc.h"

namespace nncomp {
namespace {

using Bytes = std::vector<uint8_t>;
using test::eval_expr;
using test::FormatTable;

uint64_t get_le(const Bytes& f, size_t off, size_t n) {
  uint64_t v = 0;
  for (size_t i = n; i-- > 0;) v = (v << 8) | f.at(off + i);
  return v;
}

// Every field holds a value no other field holds, so that a row pointing at
// the wrong field cannot pass by chance. `version` 1: no mixer; 2: with one.
Header distinct_header(int version) {
  Header h;
  h.config.model = {ModelKind::kNgpt, 6, 192, 3, 3, 5000.5, 30.25};
  h.config.engine = {5, 7, 96};
  h.config.optim = {0.031, 0.875, 9, 4.5e-4, 0.8, 0.995, 1e-10, 0.125, 11, 0.375};
  h.config.seed = 0x0123456789abcdefULL;
  h.fingerprint = {"cuda", "NVIDIA H100 80GB HBM3 (sm_90)", "AVX512", "2.11.0", "13.0",
                   "0.1.0", 8, 132};
  h.original_size = 500000;  // L = 100000, 14286 segments
  h.original_xxh64 = 0xfeedfacecafebeefULL;
  h.checkpoint_segments = choose_checkpoint_segments(h.original_size, h.config.engine);  // 8 groups
  h.checkpoints = {101, 102, 0xffffffffu, 104, 105, 106, 107, 0x80000000u};
  h.ideal_bits = 1234.5625;
  if (version == 1) {
    h.config.mixer.mode = MixerMode::kNone;
  } else {
    MixerConfig& x = h.config.mixer;
    x = {MixerMode::kContextMixing, 1, 1, 26, 21, 19, 25, 6, 9, 3, 100, 0x1FDF, 0x20F};
    h.neural_bits = 4321.125;
  }
  return h;
}

const std::vector<Bytes> kStreams = {{1, 2, 3}, {}, {4, 5, 6, 7, 8, 9, 10}, {}, {0xff}};

using Value = std::variant<uint64_t, std::string, std::vector<uint32_t>, Bytes>;

// What each documented field must hold in the file written from `h`.
std::map<std::string, Value> expected_fields(const Header& h, const Bytes& file) {
  const ModelConfig& m = h.config.model;
  const EngineConfig& e = h.config.engine;
  const OptimConfig& o = h.config.optim;
  const Fingerprint& f = h.fingerprint;
  auto bits = [](double d) { return Value(std::bit_cast<uint64_t>(d)); };
  std::vector<uint32_t> sizes;
  Bytes payload;
  for (const Bytes& s : kStreams) {
    sizes.push_back(static_cast<uint32_t>(s.size()));
    payload.insert(payload.end(), s.begin(), s.end());
  }
  const size_t body_end = file.size() - payload.size() - 8;
  const MixerConfig& x = h.config.mixer;
  return {
      {"mixer.mode", uint64_t{static_cast<uint8_t>(x.mode)}},
      {"mixer.rule_version", uint64_t{x.rule_version}},
      {"mixer.neural", uint64_t{x.neural}},
      {"mixer.log2_slot_bytes", uint64_t{x.log2_slot_bytes}},
      {"mixer.log2_match", uint64_t{x.log2_match}},
      {"mixer.log2_private_bytes", uint64_t{x.log2_private_bytes}},
      {"mixer.log2_private_total", uint64_t{x.log2_private_total}},
      {"mixer.match_min", uint64_t{x.match_min}},
      {"mixer.mixer_lr", uint64_t{x.mixer_lr}},
      {"mixer.final_lr", uint64_t{x.final_lr}},
      {"mixer.sm_limit", uint64_t{x.sm_limit}},
      {"mixer.models", uint64_t{x.models}},
      {"mixer.private_models", uint64_t{x.private_models}},
      {"neural_bits", bits(h.neural_bits)},
      {"magic", Bytes{0x89, 'N', 'N', 'C', '\r', '\n', 0x1a, '\n'}},
      {"version", uint64_t{format_version_of(h.config)}},
      {"header_len", uint64_t{body_end - 14}},
      {"model.kind", uint64_t{static_cast<uint8_t>(m.kind)}},
      {"model.n_layer", uint64_t{m.n_layer}},
      {"model.d_model", uint64_t{m.d_model}},
      {"model.n_head", uint64_t{m.n_head}},
      {"model.ffn_mult", uint64_t{m.ffn_mult}},
      {"model.rope_base", bits(m.rope_base)},
      {"model.logit_cap", bits(m.logit_cap)},
      {"engine.n_streams", uint64_t{e.n_streams}},
      {"engine.seg_len", uint64_t{e.seg_len}},
      {"engine.ctx_len", uint64_t{e.ctx_len}},
      {"optim.muon_lr", bits(o.muon_lr)},
      {"optim.muon_momentum", bits(o.muon_momentum)},
      {"optim.ns_steps", uint64_t{o.ns_steps}},
      {"optim.adam_lr", bits(o.adam_lr)},
      {"optim.adam_beta1", bits(o.adam_beta1)},
      {"optim.adam_beta2", bits(o.adam_beta2)},
      {"optim.adam_eps", bits(o.adam_eps)},
      {"optim.weight_decay", bits(o.weight_decay)},
      {"optim.warmup_steps", uint64_t{o.warmup_steps}},
      {"optim.lr_end_frac", bits(o.lr_end_frac)},
      {"seed", h.config.seed},
      {"quant_rule", uint64_t{h.quant_rule}},
      {"freq_bits", uint64_t{h.freq_bits}},
      {"fingerprint.device_kind", f.device_kind},
      {"fingerprint.device_name", f.device_name},
      {"fingerprint.cpu_capability", f.cpu_capability},
      {"fingerprint.torch_version", f.torch_version},
      {"fingerprint.cuda_version", f.cuda_version},
      {"fingerprint.build", f.build},
      {"fingerprint.threads", uint64_t{f.threads}},
      {"fingerprint.sm_count", uint64_t{f.sm_count}},
      {"original_size", h.original_size},
      {"original_xxh64", h.original_xxh64},
      {"checkpoint_segments", uint64_t{h.checkpoint_segments}},
      {"checkpoint count", uint64_t{h.checkpoints.size()}},
      {"checkpoints", h.checkpoints},
      {"ideal_bits", bits(h.ideal_bits)},
      {"stream count", uint64_t{kStreams.size()}},
      {"stream_sizes", sizes},
      {"payload_xxh64", XXH64(payload.data(), payload.size(), 0)},
      {"header checksum", XXH64(file.data(), body_end, 0)},
      {"payload", payload},
  };
}

size_t type_width(const std::string& type) {
  if (type == "u8") return 1;
  if (type == "u16") return 2;
  if (type == "u32") return 4;
  if (type == "u64" || type == "f64") return 8;
  return 0;
}

class FormatDoc : public ::testing::TestWithParam<int> {};
INSTANTIATE_TEST_SUITE_P(Versions, FormatDoc, ::testing::Values(1, 2));

TEST_P(FormatDoc, EveryRowOfTheTableMatchesTheWriter) {
  const FormatTable t = test::load_format_table();
  ASSERT_GT(t.b_constant, 0) << "docs/FORMAT.md no longer defines `B = k + M + S`";
  const int version = GetParam();
  const Header h = distinct_header(version);
  const Bytes f = write_container(h, kStreams);
  ASSERT_EQ(get_le(f, 8, 2), static_cast<uint64_t>(version));
  std::map<std::string, Value> want = expected_fields(h, f);
  int64_t block = 0;  // the mixer block's length, from the table's v2 rows
  for (const test::FormatRow& row : t.rows)
    if (row.v2_only()) {
      block += type_width(row.type);
      if (version == 1) want.erase(row.field);
    }

  int64_t S = 0;
  for (const auto* s : {&h.fingerprint.device_kind, &h.fingerprint.device_name,
                        &h.fingerprint.cpu_capability, &h.fingerprint.torch_version,
                        &h.fingerprint.cuda_version, &h.fingerprint.build})
    S += static_cast<int64_t>(s->size());
  const int64_t M = version == 2 ? block : 0;
  const std::map<char, int64_t> vars = {{'M', M},
                                        {'S', S},
                                        {'B', t.b_constant + M + S},
                                        {'C', static_cast<int64_t>(h.checkpoints.size())},
                                        {'n', static_cast<int64_t>(kStreams.size())}};

  std::set<std::string> documented;
  size_t end = 0;  // end of the previous row
  for (const test::FormatRow& row : t.rows) {
    if (row.v2_only() && version == 1) continue;
    SCOPED_TRACE("docs/FORMAT.md row '" + row.field + "' at offset " + row.offset);
    ASSERT_TRUE(documented.insert(row.field).second) << "field documented twice";
    const auto it = want.find(row.field);
    ASSERT_NE(it, want.end()) << "the document names a field the writer does not have";
    const size_t off = row.offset == "…" ? end : static_cast<size_t>(eval_expr(row.offset, vars));
    EXPECT_EQ(off, end) << "rows must follow each other without gaps";
    ASSERT_LE(off, f.size());
    size_t size = 0;
    if (row.type == "str") {
      ASSERT_EQ(row.size, "2+len");
      size = 2 + get_le(f, off, 2);
      ASSERT_LE(off + size, f.size());
      EXPECT_EQ(std::string(f.begin() + off + 2, f.begin() + off + size),
                std::get<std::string>(it->second));
    } else if (row.type == "bytes") {
      const Bytes& bytes = std::get<Bytes>(it->second);
      size = row.size == "Σ stream_sizes" ? bytes.size() : static_cast<size_t>(eval_expr(row.size, vars));
      ASSERT_LE(off + size, f.size());
      EXPECT_EQ(Bytes(f.begin() + off, f.begin() + off + size), bytes);
    } else if (row.type.rfind("u32[", 0) == 0) {
      const auto& values = std::get<std::vector<uint32_t>>(it->second);
      size = static_cast<size_t>(eval_expr(row.size, vars));
      ASSERT_EQ(size, 4 * values.size());
      for (size_t i = 0; i < values.size(); ++i) EXPECT_EQ(get_le(f, off + 4 * i, 4), values[i]) << i;
    } else {
      size = type_width(row.type);
      ASSERT_GT(size, 0u) << "unknown type " << row.type;
      EXPECT_EQ(static_cast<int64_t>(size), eval_expr(row.size, vars)) << "size column";
      EXPECT_EQ(get_le(f, off, size), std::get<uint64_t>(it->second));
    }
    end = off + size;
  }
  EXPECT_EQ(end, f.size()) << "the rows must cover the whole file";
  for (const auto& [field, value] : want) EXPECT_TRUE(documented.count(field)) << field << " undocumented";
  if (version == 2) EXPECT_EQ(block, 27) << "the mixer block's length";
  EXPECT_EQ(eval_expr(t.header_len_expr, vars), static_cast<int64_t>(get_le(f, 10, 4)))
      << "header_len formula " << t.header_len_expr;
  const size_t payload = std::get<Bytes>(want.at("payload")).size();
  EXPECT_EQ(eval_expr(t.header_size_expr, vars), static_cast<int64_t>(f.size() - payload))
      << "header size formula " << t.header_size_expr;
}

}  // namespace
}  // namespace nncomp
