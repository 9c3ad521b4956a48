// grid.cpp — what the benchmark grid runs: nncomp's kinds and mixers, the
// baseline compressors and their commands, and what nncomp's --stats say.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "bench/bench.h"
#include "bench/process.h"

namespace nncomp::bench {

std::map<std::string, std::vector<std::string>> parse_nncomp_list(const std::string& list_output) {
  std::map<std::string, std::vector<std::string>> out;
  std::istringstream lines(list_output);
  std::string line;
  while (std::getline(lines, line)) {
    const size_t colon = line.find(':');
    if (colon == std::string::npos || colon == 0) continue;
    std::istringstream words(line.substr(colon + 1));
    auto& names = out[line.substr(0, colon)];
    for (std::string w; words >> w;) names.push_back(w);
  }
  if (out.empty()) throw std::runtime_error("`nncomp list` named no model kinds");
  return out;
}

std::vector<std::string> parse_mixers(const std::string& list) {
  const auto mixers = split_list(list);
  if (mixers.empty()) throw std::invalid_argument("--mixers names no mixer (cm, none)");
  for (size_t i = 0; i < mixers.size(); ++i) {
    if (mixers[i] != "cm" && mixers[i] != "none")
      throw std::invalid_argument("unknown mixer '" + mixers[i] + "' (cm, none)");
    if (std::find(mixers.begin(), mixers.begin() + static_cast<std::ptrdiff_t>(i), mixers[i]) !=
        mixers.begin() + static_cast<std::ptrdiff_t>(i))
      throw std::invalid_argument("mixer '" + mixers[i] + "' named twice");
  }
  return mixers;
}

std::vector<NncompRun> nncomp_runs(const std::vector<std::string>& kinds, const std::vector<std::string>& profiles,
                                   const std::vector<std::string>& mixers, const std::vector<std::string>& devices) {
  std::vector<NncompRun> runs;
  for (const auto& device : devices)
    for (const auto& kind : kinds)
      for (const auto& profile : profiles)
        for (const auto& mixer : mixers)
          // Context mixing alone has no neural model: not without the mixer,
          // and on the CPU only.
          if (!(kind == kCmOnlyKind && (mixer == "none" || device != "cpu")))
            runs.push_back({kind, profile, mixer, device});
  if (!kinds.empty() && !profiles.empty() && !devices.empty() && runs.empty())
    throw std::invalid_argument(fmt::format("model kind {} is context mixing alone and runs only with --mixers cm",
                                            kCmOnlyKind));
  return runs;
}

std::vector<std::string> nncomp_compress_args(const std::string& nncomp, const NncompRun& run, uint32_t threads,
                                              const std::string& stats_file, const std::string& input,
                                              const std::string& output) {
  return {nncomp, "c", "-f", "-v", "-m", run.kind, "-p", run.profile, "--mixer", run.mixer, "-t",
          std::to_string(threads), "--device", run.device, "--stats", stats_file, input, output};
}

std::vector<Baseline> all_baselines(const std::string& zstd_tool) {
  return {
      {"zstd-3", "zstd", "3", "zst", {zstd_tool, "-3", "IN", "OUT"}, {zstd_tool, "-d", "OUT", "RT"}},
      {"zstd-19", "zstd", "19", "zst", {zstd_tool, "-19", "IN", "OUT"}, {zstd_tool, "-d", "OUT", "RT"}},
      {"zstd-22-long", "zstd", "22 --long", "zst", {zstd_tool, "-22", "--long", "IN", "OUT"},
       {zstd_tool, "-d", "OUT", "RT"}},
      {"xz-9e", "xz", "9e", "xz", {"xz", "-9e", "-T1", "-c", "--", "IN"}, {"xz", "-dc", "--", "OUT"}, true},
      {"bzip2-9", "bzip2", "9", "bz2", {"bzip2", "-9", "-c", "--", "IN"}, {"bzip2", "-dc", "--", "OUT"}, true},
      // A new archive holding the one file (OUT must not exist: zpaq adds to
      // an archive); extracting that file under another name (-to RT). One
      // thread, as for the other baselines (-m5 is one block up to 64 MiB).
      {"zpaq-m5", "zpaq", "m5", "zpaq", {"zpaq", "a", "OUT", "IN", "-m5", "-threads", "1"},
       {"zpaq", "x", "OUT", "IN", "-to", "RT", "-threads", "1"}, false, true},
  };
}

BaselineCommands baseline_commands(const Baseline& b, const std::string& input) {
  BaselineCommands cmd;
  cmd.out = input + "." + b.ext;
  cmd.rt = input + "." + b.id + ".out";
  auto subst = [&](std::vector<std::string> v) {
    for (auto& a : v) a = a == "IN" ? input : a == "OUT" ? cmd.out : a == "RT" ? cmd.rt : a;
    return v;
  };
  cmd.compress = subst(b.c_args), cmd.decompress = subst(b.d_args);
  auto shown = [&](std::vector<std::string> v, const std::string& redirect) {
    v[0] = std::filesystem::path(v[0]).filename().string();
    return shell_line(v) + (b.via_stdout ? " > " + shell_line({redirect}) : "");
  };
  cmd.compress_shown = shown(cmd.compress, cmd.out), cmd.decompress_shown = shown(cmd.decompress, cmd.rt);
  return cmd;
}

std::string tool_version(const std::string& kind, const std::string& first_line) {
  std::string v = first_line;
  if (kind == "xz" && v.rfind("xz (XZ Utils) ", 0) == 0) v = "xz " + v.substr(14);
  if (kind == "bzip2" && v.find("Version ") != std::string::npos) {
    const size_t from = v.find("Version ") + 8;
    v = "bzip2 " + v.substr(from, v.find(',', from) - from);
  }
  // "zpaq v7.15 journaling archiver, compiled Jan  5 2021"
  if (kind == "zpaq" && v.rfind("zpaq v", 0) == 0) v = "zpaq " + v.substr(6, v.find(' ', 6) - 6);
  return v;
}

std::string legacy_mixer(const std::string& family, const std::string& kind) {
  if (family != "nncomp") return "";
  return kind == kCmOnlyKind ? "cm" : "none";
}

void read_compress_stats(const std::string& stats_json, Row& r) {
  try {
    const auto cs = nlohmann::json::parse(stats_json);
    if (cs.contains("mixer") && cs.at("mixer").get<std::string>() != r.mixer)
      throw std::runtime_error(fmt::format("nncomp coded with mixer '{}', not the '{}' asked for",
                                           cs.at("mixer").get<std::string>(), r.mixer));
    r.coding_loss_pct = 100.0 * cs.at("coding_loss").get<double>();
    r.n_params = cs.at("n_params").get<int64_t>();
    r.tool_version = cs.at("version").get<std::string>();
    r.device_name = cs.at("device_name").get<std::string>();
    r.cpu_capability = cs.at("cpu_capability").get<std::string>();
    r.torch_version = cs.at("torch_version").get<std::string>();
    r.cuda_version = cs.at("cuda_version").get<std::string>();
    r.neural_bytes.reset();
    if (cs.contains("neural_ideal_bits") && !cs.at("neural_ideal_bits").is_null()) {
      const double bits = cs.at("neural_ideal_bits").get<double>();
      if (bits > 0) r.neural_bytes = bits / 8;
    }
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(std::string("cannot read nncomp's statistics: ") + e.what());
  }
}

}  // namespace nncomp::bench
