// Config validation, the tuned default, the private-table rule and the
// memory bound.
#include "mix/config.h"

#include <algorithm>
#include <bit>

#include "mix/predictor.h"

namespace nncomp::mix {

Config default_config() { return Config{}; }

Config sized_for(const Config& c, uint64_t input_bytes, uint32_t n_streams) {
  auto bits = [](uint64_t x) { return x <= 1 ? 0 : static_cast<int>(std::bit_width(x - 1)); };
  auto cap = [](uint8_t have, int want) { return static_cast<uint8_t>(want < have ? want : have); };
  const uint64_t per_stream = n_streams ? (input_bytes + n_streams - 1) / n_streams : input_bytes;
  Config r = c;
  r.log2_slot_bytes = cap(c.log2_slot_bytes, std::max(18, bits(input_bytes) + 7));
  r.log2_match = cap(c.log2_match, std::max(12, bits(input_bytes) + 2));
  r.log2_private_bytes = cap(c.log2_private_bytes, std::max(12, bits(per_stream) + 7));
  return r;
}

namespace {
std::string range_problem(const char* name, unsigned v, unsigned lo, unsigned hi) {
  if (v >= lo && v <= hi) return "";
  return std::string("mix config: ") + name + " = " + std::to_string(v) + " is outside " + std::to_string(lo) +
         ".." + std::to_string(hi);
}
}  // namespace

std::string config_problem(const Config& c) {
  std::string p;
  if (!(p = range_problem("rule_version", c.rule_version, 1, 1)).empty()) return p;
  if (!(p = range_problem("neural", c.neural, 0, 1)).empty()) return p;
  if (!(p = range_problem("log2_slot_bytes", c.log2_slot_bytes, 12, 32)).empty()) return p;
  if (!(p = range_problem("log2_match", c.log2_match, 10, 30)).empty()) return p;
  if (!(p = range_problem("log2_private_bytes", c.log2_private_bytes, 12, 28)).empty()) return p;
  if (!(p = range_problem("log2_private_total", c.log2_private_total, 12, 34)).empty()) return p;
  if (!(p = range_problem("match_min", c.match_min, 2, 32)).empty()) return p;
  if (!(p = range_problem("mixer_lr", c.mixer_lr, 1, 255)).empty()) return p;
  if (!(p = range_problem("final_lr", c.final_lr, 1, 255)).empty()) return p;
  if (!(p = range_problem("sm_limit", c.sm_limit, 1, 127)).empty()) return p;
  const uint32_t known = kContextModels | kModelMatch | kModelApm;
  if (c.models & ~known) return "mix config: models has unknown bits (valid: 0x33FFF)";
  if (c.private_models & ~kContextModels) return "mix config: private_models has unknown bits (valid: 0x3FFF)";
  const int n = std::popcount(c.models & kContextModels) + std::popcount(c.private_models);
  if (n > kMaxContexts)
    return "mix config: models and private_models name " + std::to_string(n) + " contexts, at most " +
           std::to_string(kMaxContexts);
  return "";
}

int private_table_log2(const Config& c, uint32_t n_streams) {
  if (n_streams < 2 || c.private_models == 0) return 0;
  const int streams_log2 = std::bit_width(n_streams - 1);  // ceil(log2 n_streams)
  int l = c.log2_private_total - streams_log2;
  if (l > c.log2_private_bytes) l = c.log2_private_bytes;
  return l < 12 ? 12 : l;
}

uint64_t memory_bytes(const Config& c, uint32_t n_streams) {
  const Layout lay = make_layout(c, n_streams);
  uint64_t m = (uint64_t{1} << c.log2_slot_bytes) + (uint64_t{4} << c.log2_match);
  if (lay.private_log2 > 0) m += uint64_t{n_streams} * ((uint64_t{1} << lay.private_log2) + 64);
  m += uint64_t{4} * lay.n_cells + uint64_t{4} * lay.n_weights;
  m += uint64_t{n_streams} * (Predictor::stream_bytes() + 64);
  m += sizeof(Predictor) + 4096;  // the object, vector headers, alignment slack
  return m;
}

}  // namespace nncomp::mix
