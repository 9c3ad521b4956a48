// main.cpp — the nncomp command line: c (compress), d (decompress), info, list.
// Uses only the public API in include/nncomp/.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <sys/resource.h>

#include <boost/program_options.hpp>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "nncomp/nncomp.h"
#include "src/cli/files.h"

namespace po = boost::program_options;

namespace {

constexpr const char* kUsage =
    "usage: nncomp c [options] IN OUT     compress IN into OUT ('-' = stdin/stdout)\n"
    "       nncomp d [options] IN OUT     decompress\n"
    "       nncomp info [--json] FILE     show a compressed file's header\n"
    "       nncomp list                   model kinds and their profiles\n";

std::string human_time(double s) {
  if (s < 0 || s > 1e7) return "?";
  const auto t = static_cast<long>(s + 0.5);
  return t >= 3600 ? fmt::format("{}h{:02}m", t / 3600, t / 60 % 60)
                   : fmt::format("{}m{:02}s", t / 60, t % 60);
}

void print_progress(const nncomp::Progress& p) {
  const double kbs = p.seconds > 0 ? p.done / 1000.0 / p.seconds : 0;
  const double bpc = p.done ? p.bits / p.done : 0;
  const double eta = kbs > 0 ? (p.total - p.done) / 1000.0 / kbs : -1;
  fmt::print(stderr, "\r{:5.1f}%  {}/{} B  {:.3f} bpc  {:.2f} KB/s  ETA {}   ",
             p.total ? 100.0 * p.done / p.total : 100.0, p.done, p.total, bpc, kbs, human_time(eta));
  std::fflush(stderr);
}

void print_info(const nncomp::FileInfo& i) {
  const auto& m = i.config.model;
  const auto& e = i.config.engine;
  const auto& o = i.config.optim;
  const auto& f = i.fingerprint;
  const double payload_bits = 8.0 * static_cast<double>(i.payload_size);
  const auto& x = i.config.mixer;
  const bool mixed = x.mode == nncomp::MixerMode::kContextMixing;
  const bool neural = m.kind != nncomp::ModelKind::kNone;
  fmt::print("format version   {}\n", i.format_version);
  if (neural)
    fmt::print("model            {}  n_layer={} d_model={} n_head={} ffn_mult={} rope_base={} logit_cap={}\n",
               i.model_name, m.n_layer, m.d_model, m.n_head, m.ffn_mult, m.rope_base, m.logit_cap);
  else
    fmt::print("model            none (context mixing alone)\n");
  if (mixed)
    fmt::print("mixer            context mixing rule {}: neural={} tables 2^{} B, match 2^{}, private "
               "2^{}/2^{} B, match_min={} lr={}/{} sm_limit={} models=0x{:x} private=0x{:x}\n",
               x.rule_version, x.neural, x.log2_slot_bytes, x.log2_match, x.log2_private_bytes,
               x.log2_private_total, x.match_min, x.mixer_lr, x.final_lr, x.sm_limit, x.models,
               x.private_models);
  else
    fmt::print("mixer            none (the model's 256-symbol tables, range-coded)\n");
  fmt::print("engine           n_streams={} seg_len={} ctx_len={} seed={}\n", e.n_streams, e.seg_len,
             e.ctx_len, i.config.seed);
  fmt::print("optimizer        muon lr={} momentum={} ns_steps={} wd={}; adamw lr={} betas=({}, {}) eps={};"
             " warmup={} lr_end_frac={}\n",
             o.muon_lr, o.muon_momentum, o.ns_steps, o.weight_decay, o.adam_lr, o.adam_beta1,
             o.adam_beta2, o.adam_eps, o.warmup_steps, o.lr_end_frac);
  fmt::print("fingerprint      device={} ({}{}) cpu_capability={} threads={} libtorch={}{} nncomp={}\n",
             f.device_kind, f.device_name, f.sm_count ? fmt::format(", {} SMs", f.sm_count) : "",
             f.cpu_capability, f.threads, f.torch_version,
             f.cuda_version.empty() ? "" : " cuda=" + f.cuda_version, f.build);
  fmt::print("original         {} bytes, xxh64 {:016x}\n", i.original_size, i.original_xxh64);
  fmt::print("compressed       {} bytes (header {}, payload {} in {} streams)\n", i.file_size,
             i.header_size, i.payload_size, i.stream_sizes.size());
  if (i.original_size) {
    fmt::print("ratio            {:.3f} bpc (file), {:.3f} bpc (payload), {:.4f}x\n",
               8.0 * i.file_size / i.original_size, payload_bits / i.original_size,
               static_cast<double>(i.original_size) / i.file_size);
    fmt::print("coding loss      ideal {:.0f} bits, payload {:.0f} bits: {:+.4f} %\n", i.ideal_bits,
               payload_bits, i.ideal_bits > 0 ? 100.0 * (payload_bits / i.ideal_bits - 1.0) : 0.0);
    if (mixed && neural)
      fmt::print("mixing gain      the neural model alone {:.0f} bits ({:.3f} bpc); mixed {:.0f} bits: "
                 "{:+.2f} %\n",
                 i.neural_bits, i.neural_bits / i.original_size, i.ideal_bits,
                 i.neural_bits > 0 ? 100.0 * (i.ideal_bits / i.neural_bits - 1.0) : 0.0);
  }
  fmt::print("checkpoints      {} (every {} segments)\n", i.n_checkpoints, i.checkpoint_segments);
}

// The header as one JSON object (`info --json`), with the field names of
// docs/FORMAT.md's byte table, plus the sizes `info` derives.
std::string info_json(const nncomp::FileInfo& i) {
  const auto& m = i.config.model;
  const auto& e = i.config.engine;
  const auto& o = i.config.optim;
  const auto& f = i.fingerprint;
  nlohmann::ordered_json j;
  j["version"] = i.format_version;
  j["model"] = i.model_name;
  j["model.kind"] = static_cast<unsigned>(m.kind);
  j["model.n_layer"] = m.n_layer;
  j["model.d_model"] = m.d_model;
  j["model.n_head"] = m.n_head;
  j["model.ffn_mult"] = m.ffn_mult;
  j["model.rope_base"] = m.rope_base;
  j["model.logit_cap"] = m.logit_cap;
  j["engine.n_streams"] = e.n_streams;
  j["engine.seg_len"] = e.seg_len;
  j["engine.ctx_len"] = e.ctx_len;
  j["optim.muon_lr"] = o.muon_lr;
  j["optim.muon_momentum"] = o.muon_momentum;
  j["optim.ns_steps"] = o.ns_steps;
  j["optim.adam_lr"] = o.adam_lr;
  j["optim.adam_beta1"] = o.adam_beta1;
  j["optim.adam_beta2"] = o.adam_beta2;
  j["optim.adam_eps"] = o.adam_eps;
  j["optim.weight_decay"] = o.weight_decay;
  j["optim.warmup_steps"] = o.warmup_steps;
  j["optim.lr_end_frac"] = o.lr_end_frac;
  j["seed"] = i.config.seed;
  j["quant_rule"] = i.quant_rule;
  j["freq_bits"] = i.freq_bits;
  if (i.format_version >= 2) {
    const auto& x = i.config.mixer;
    j["mixer.mode"] = static_cast<unsigned>(x.mode);
    j["mixer.rule_version"] = x.rule_version;
    j["mixer.neural"] = x.neural;
    j["mixer.log2_slot_bytes"] = x.log2_slot_bytes;
    j["mixer.log2_match"] = x.log2_match;
    j["mixer.log2_private_bytes"] = x.log2_private_bytes;
    j["mixer.log2_private_total"] = x.log2_private_total;
    j["mixer.match_min"] = x.match_min;
    j["mixer.mixer_lr"] = x.mixer_lr;
    j["mixer.final_lr"] = x.final_lr;
    j["mixer.sm_limit"] = x.sm_limit;
    j["mixer.models"] = x.models;
    j["mixer.private_models"] = x.private_models;
    j["neural_bits"] = i.neural_bits;
  }
  j["fingerprint.device_kind"] = f.device_kind;
  j["fingerprint.device_name"] = f.device_name;
  j["fingerprint.cpu_capability"] = f.cpu_capability;
  j["fingerprint.torch_version"] = f.torch_version;
  j["fingerprint.cuda_version"] = f.cuda_version;
  j["fingerprint.build"] = f.build;
  j["fingerprint.threads"] = f.threads;
  j["fingerprint.sm_count"] = f.sm_count;
  j["original_size"] = i.original_size;
  j["original_xxh64"] = i.original_xxh64;
  j["checkpoint_segments"] = i.checkpoint_segments;
  j["checkpoint count"] = i.n_checkpoints;
  j["ideal_bits"] = i.ideal_bits;
  j["stream_sizes"] = i.stream_sizes;
  j["file_size"] = i.file_size;
  j["header_size"] = i.header_size;
  j["payload_size"] = i.payload_size;
  return j.dump(1) + "\n";
}

// The run's measurements as one JSON object (--stats FILE), for scripts and
// the benchmark harness. Sizes in bytes, times in seconds.
std::string stats_json(const std::string& command, const nncomp::Stats& s, const nncomp::RunOptions& o) {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const nncomp::Fingerprint f =
      nncomp::current_fingerprint(s.device.empty() ? "cpu" : s.device, o.threads);
  nlohmann::ordered_json j;
  j["command"] = command;
  j["original_size"] = s.original_size;
  j["compressed_size"] = s.compressed_size;
  j["payload_size"] = s.payload_size;
  j["ideal_bits"] = s.ideal_bits;
  j["neural_ideal_bits"] = s.neural_ideal_bits;
  j["mixer"] = s.mixer == nncomp::MixerMode::kContextMixing ? "cm" : "none";
  j["coding_loss"] = s.coding_loss();
  j["seconds"] = s.seconds;
  j["verify_seconds"] = s.verify_seconds;
  j["n_params"] = s.n_params;
  j["device"] = s.device;
  j["steps"] = s.steps;
  j["train_steps"] = s.train_steps;
  j["step_seconds"] = s.step_seconds;
  j["train_seconds"] = s.train_seconds;
  j["code_seconds"] = s.code_seconds;
  j["step_us"] = s.steps ? 1e6 * s.step_seconds / static_cast<double>(s.steps) : 0.0;
  j["train_step_ms"] = s.train_steps ? 1e3 * s.train_seconds / static_cast<double>(s.train_steps) : 0.0;
  if (s.device == "cuda") j["peak_gpu_bytes"] = s.peak_gpu_bytes;
  j["peak_rss_bytes"] = static_cast<uint64_t>(usage.ru_maxrss) * 1024;  // Linux: KiB
  j["memory_estimate_bytes"] = s.memory_estimate;
  j["resumed_bytes"] = s.resumed_bytes;
  j["resumed_seconds"] = s.resumed_seconds;
  j["state_saves"] = s.state_saves;
  j["state_save_seconds"] = s.state_save_seconds;
  j["state_bytes"] = s.state_bytes;
  j["version"] = nncomp::version();
  j["torch_version"] = f.torch_version;
  j["cuda_version"] = f.cuda_version;
  j["cpu_capability"] = f.cpu_capability;
  j["device_name"] = f.device_name;
  return j.dump(2) + "\n";
}

// "gpt (modern GPT ...), rwkv (...), ..." from the model kinds.
std::string model_help() {
  std::string s = "model kind: ";
  for (const auto& name : nncomp::model_names())
    s += fmt::format("{}{} ({})", s.size() > 12 ? ", " : "", name, nncomp::model_summary(name));
  return s + " [gpt]";
}

// The value of integer option --`name` (given as text, so that a sign or
// junk is seen rather than wrapped), which must lie in lo..hi.
uint64_t integer_option(const po::variables_map& vm, const char* name, uint64_t lo, uint64_t hi) {
  const std::string text = vm[name].as<std::string>();
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v < lo || v > hi)
    throw nncomp::Error(nncomp::ErrorKind::kUsage,
                        fmt::format("--{} must be an integer in {}..{}, not '{}'", name, lo, hi, text));
  return v;
}

// The value of a rate or factor option: finite and ≥ 0.
double rate_option(const po::variables_map& vm, const char* name) {
  const double v = vm[name].as<double>();
  if (!std::isfinite(v) || v < 0)
    throw nncomp::Error(nncomp::ErrorKind::kUsage,
                        fmt::format("--{} must be a finite number >= 0, not {}", name, v));
  return v;
}

// --checkpoint-every: seconds from "0", "90", "90s", "10m" or "2h".
double duration_option(const po::variables_map& vm, const char* name) {
  const std::string text = vm[name].as<std::string>();
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  const std::string unit(end, text.data() + text.size());
  const double scale = unit.empty() || unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : -1;
  if (text.empty() || ec != std::errc() || scale < 0 || !std::isfinite(v) || v < 0 || v * scale > 1e9)
    throw nncomp::Error(nncomp::ErrorKind::kUsage,
                        fmt::format("--{} must be a duration such as 0 (off), 90s, 10m or 2h, not '{}'", name, text));
  return v * scale;
}

int run(int argc, char** argv) {
  std::string command, in, out, model = "gpt", profile_name, device, stats_path, mixer;
  bool overwrite = false, force = false, quiet = false, verbose = false, verify = false;
  bool no_graphs = false, phase_timing = false, json = false, resume = false;

  po::options_description general("Options");
  general.add_options()
      ("help,h", "show this help")
      ("version,V", "show the version")
      ("model,m", po::value(&model), model_help().c_str())
      ("profile,p", po::value(&profile_name),
       "profile: tiny, cpu; for a GPU fast, default [cpu; with --device cuda: default]")
      ("threads,t", po::value<std::string>(),
       "intra-op threads, 1 to this machine's (recorded; decoding needs the same) [2]")
      ("device", po::value(&device), "cpu or cuda [cpu; decompression: the file's]")
      ("mixer", po::value(&mixer),
       "cm: mix the model's distribution bit by bit with context models (format 2); none: code the "
       "model's byte distribution directly (format 1) [cm]")
      ("force-overwrite,f", po::bool_switch(&overwrite), "overwrite an existing output file")
      ("force", po::bool_switch(&force), "decode even if the file was made on another device/build")
      ("verify", po::bool_switch(&verify),
       "compression: decode the new file in the same process and compare before writing it")
      ("stats", po::value(&stats_path), "also write the run's measurements to this file as JSON")
      ("checkpoint-every", po::value<std::string>(),
       "save the run's state as OUT.nncomp-state after this much work (0: never; 90s, 10m, 2h), "
       "deleted when the run succeeds [10m]")
      ("resume", po::bool_switch(&resume),
       "continue an interrupted run from OUT.nncomp-state (give the interrupted command's options)")
      ("no-graphs", po::bool_switch(&no_graphs), "cuda: run step mode without CUDA graphs (same bytes)")
      ("phase-timing", po::bool_switch(&phase_timing),
       "cuda: wait for the GPU after each phase so --stats times phases (slower; same bytes)")
      ("json", po::bool_switch(&json), "info: print the header as JSON (field names of docs/FORMAT.md)")
      ("quiet,q", po::bool_switch(&quiet), "print nothing but errors")
      ("verbose,v", po::bool_switch(&verbose), "progress even when stderr is not a terminal; details");
  po::options_description tuning("Overrides of the profile (compression)");
  tuning.add_options()
      ("n-layer", po::value<std::string>(), "transformer layers")
      ("d-model", po::value<std::string>(), "model width")
      ("n-head", po::value<std::string>(), "attention heads")
      ("ffn-mult", po::value<std::string>(), "MLP width multiplier")
      ("n-streams", po::value<std::string>(), "parallel streams (batch)")
      ("seg-len", po::value<std::string>(), "steps per stream between optimizer steps")
      ("ctx-len", po::value<std::string>(), "context tokens before each segment")
      ("lr", po::value<double>(), "Muon learning rate")
      ("adam-lr", po::value<double>(), "AdamW learning rate")
      ("lr-end", po::value<double>(), "lr at the end of the file, as a fraction of the start")
      ("warmup", po::value<std::string>(), "optimizer steps of linear lr warm-up")
      ("ns-steps", po::value<std::string>(), "Newton-Schulz iterations of Muon")
      ("weight-decay", po::value<double>(), "decoupled weight decay of the Muon matrices")
      ("seed", po::value<std::string>(), "initialisation seed");
  po::options_description hidden;
  hidden.add_options()("command", po::value(&command))("in", po::value(&in))("out", po::value(&out));
  po::options_description all;
  all.add(general).add(tuning).add(hidden);
  po::positional_options_description pos;
  pos.add("command", 1).add("in", 1).add("out", 1);

  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw nncomp::Error(nncomp::ErrorKind::kUsage, e.what());
  }
  if (vm.count("help")) {
    std::cout << kUsage << "\n" << general << "\n" << tuning;
    return 0;
  }
  if (vm.count("version")) {
    std::cout << nncomp::version() << "\n";
    return 0;
  }
  using nncomp::Error, nncomp::ErrorKind;
  if (command == "info") {
    if (in.empty() || !out.empty()) throw Error(ErrorKind::kUsage, "info takes one FILE");
    const nncomp::FileInfo info = nncomp::inspect(nncomp::cli::read_container(in));
    if (json)
      std::cout << info_json(info);
    else
      print_info(info);
    return 0;
  }
  if (json) throw Error(ErrorKind::kUsage, "--json applies to info");
  if (command == "list") {
    if (!in.empty()) throw Error(ErrorKind::kUsage, "list takes no arguments");
    // One line per model kind: "gpt: cpu tiny".
    for (const auto& kind : nncomp::model_names())
      fmt::print("{}: {}\n", kind, fmt::join(nncomp::profile_names(kind), " "));
    return 0;
  }
  if (command != "c" && command != "d")
    throw Error(ErrorKind::kUsage, command.empty() ? "no command given" : "unknown command '" + command + "'");
  if (in.empty() || out.empty()) throw Error(ErrorKind::kUsage, "need IN and OUT");
  // Every output is checked before the work starts.
  if (in == out && in != "-") throw Error(ErrorKind::kUsage, "IN and OUT are the same file");
  nncomp::cli::check_distinct(in, "IN", out, "OUT");
  nncomp::cli::check_output(out, overwrite);
  if (!stats_path.empty()) {
    if (stats_path == out || stats_path == in) throw Error(ErrorKind::kUsage, "--stats names IN or OUT");
    nncomp::cli::check_distinct(in, "IN", stats_path, "--stats");
    nncomp::cli::check_distinct(out, "OUT", stats_path, "--stats");
    nncomp::cli::check_output(stats_path, overwrite);
  }

  // Resumable runs: the state lives beside OUT (not for standard output).
  const std::string state_path = out == "-" ? "" : out + ".nncomp-state";
  std::vector<uint8_t> saved_state;
  if (resume) {
    if (state_path.empty())
      throw Error(ErrorKind::kUsage, "--resume needs OUT to be a file (its state is OUT.nncomp-state)");
    if (!nncomp::cli::is_regular_file(state_path))
      throw Error(ErrorKind::kUsage, "--resume: no saved state '" + state_path + "' to continue from");
    saved_state = nncomp::cli::read_all(state_path);
  } else if (!state_path.empty() && nncomp::cli::is_regular_file(state_path) && !overwrite) {
    throw Error(ErrorKind::kUsage, "'" + state_path +
                                       "' holds the saved state of an interrupted run: --resume "
                                       "continues it, -f starts over");
  }
  const double save_every = vm.count("checkpoint-every") ? duration_option(vm, "checkpoint-every") : 600;

  nncomp::RunOptions options;
  options.device = device;
  options.resume_state = saved_state;
  if (save_every > 0 && !state_path.empty()) {
    options.save_every_seconds = save_every;
    options.save_state = [&state_path](std::vector<uint8_t> state) {
      nncomp::cli::write_all(state_path, state, /*overwrite=*/true);
    };
  }
  if (vm.count("threads"))
    options.threads = static_cast<uint32_t>(integer_option(vm, "threads", 1, 65536));
  options.force = force;
  options.verify = verify;
  options.cuda_graphs = !no_graphs;
  options.phase_timing = phase_timing;
  if (!quiet && (verbose || isatty(STDERR_FILENO))) options.progress = print_progress;

  nncomp::Stats stats;
  std::vector<uint8_t> result;
  if (command == "c") {
    if (profile_name.empty()) profile_name = device == "cuda" && model != "none" ? "default" : "cpu";
    nncomp::Config config = nncomp::profile(model, profile_name);
    // Integer overrides in the ranges the format accepts (the configuration
    // check then applies the rules between fields).
    auto u32 = [&](const char* k, uint32_t& field, uint32_t lo, uint32_t hi) {
      if (vm.count(k)) field = static_cast<uint32_t>(integer_option(vm, k, lo, hi));
    };
    auto f64 = [&](const char* k, double& field) {
      if (vm.count(k)) field = rate_option(vm, k);
    };
    u32("n-layer", config.model.n_layer, 1, 256);
    u32("d-model", config.model.d_model, 1, 65536);
    u32("n-head", config.model.n_head, 1, 65536);
    u32("ffn-mult", config.model.ffn_mult, 1, 64);
    u32("n-streams", config.engine.n_streams, 1, 65536);
    u32("seg-len", config.engine.seg_len, 1, 65536);
    u32("ctx-len", config.engine.ctx_len, 0, 1048576);
    u32("warmup", config.optim.warmup_steps, 0, UINT32_MAX);
    u32("ns-steps", config.optim.ns_steps, 0, 100);
    f64("weight-decay", config.optim.weight_decay);
    f64("lr", config.optim.muon_lr);
    f64("adam-lr", config.optim.adam_lr);
    f64("lr-end", config.optim.lr_end_frac);
    if (vm.count("seed")) config.seed = integer_option(vm, "seed", 0, UINT64_MAX);
    if (mixer == "none") {
      if (config.model.kind == nncomp::ModelKind::kNone)
        throw Error(ErrorKind::kUsage, "--model none --mixer none: nothing would model the bytes");
      config.mixer.mode = nncomp::MixerMode::kNone;
    } else if (!mixer.empty() && mixer != "cm") {
      throw Error(ErrorKind::kUsage, "unknown --mixer '" + mixer + "' (cm, none)");
    }
    const auto input = nncomp::cli::read_all(in);
    result = nncomp::compress(input, config, options, &stats);
  } else {
    if (verify)
      throw Error(ErrorKind::kUsage,
                  "--verify applies to compression; decompression always checks the original's checksum");
    for (const char* k : {"model", "profile", "n-layer", "d-model", "n-head", "ffn-mult", "n-streams",
                          "seg-len", "ctx-len", "lr", "adam-lr", "lr-end", "warmup", "ns-steps",
                          "weight-decay", "seed", "mixer"})
      if (vm.count(k))
        throw Error(ErrorKind::kUsage, fmt::format("--{} applies to compression; the file says how to decode", k));
    const auto input = nncomp::cli::read_container(in);
    result = nncomp::decompress(input, options, &stats);
  }
  nncomp::cli::write_all(out, result, overwrite);
  if (!state_path.empty()) nncomp::cli::remove_file(state_path);  // the run is complete
  if (!stats_path.empty()) {
    const std::string json = stats_json(command, stats, options);
    nncomp::cli::write_all(stats_path, std::span(reinterpret_cast<const uint8_t*>(json.data()), json.size()),
                           overwrite);
  }
  if (options.progress) fmt::print(stderr, "\n");
  if (!quiet) {
    const double bpc = stats.original_size ? 8.0 * stats.compressed_size / stats.original_size : 0;
    fmt::print(stderr, "{} {} -> {} bytes ({:.4f} bpc), {:.1f} s, {:.2f} KB/s\n",
               command == "c" ? "compressed" : "decompressed",
               command == "c" ? stats.original_size : stats.compressed_size,
               command == "c" ? stats.compressed_size : stats.original_size, bpc, stats.seconds,
               stats.seconds > 0 ? stats.original_size / 1000.0 / stats.seconds : 0.0);
    if (verify)
      fmt::print(stderr, "verified: decoding gives back all {} bytes; {:.1f} s more ({:+.0f} %)\n",
                 stats.original_size, stats.verify_seconds,
                 stats.seconds > 0 ? 100.0 * stats.verify_seconds / stats.seconds : 0.0);
    if (verbose && stats.mixer == nncomp::MixerMode::kContextMixing)
      fmt::print(stderr,
                 "model {} parameters; neural model alone {:.0f} bits, mixed {:.0f} bits ({:+.2f} %), "
                 "payload {} bytes, coding loss {:+.4f} %\n",
                 stats.n_params, stats.neural_ideal_bits, stats.ideal_bits,
                 stats.neural_ideal_bits > 0 ? 100.0 * (stats.ideal_bits / stats.neural_ideal_bits - 1.0) : 0.0,
                 stats.payload_size, 100.0 * stats.coding_loss());
    else if (verbose)
      fmt::print(stderr, "model {} parameters; ideal {:.0f} bits, payload {} bytes, coding loss {:+.4f} %\n",
                 stats.n_params, stats.ideal_bits, stats.payload_size, 100.0 * stats.coding_loss());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  nncomp::cli::install_signal_cleanup();
  try {
    return run(argc, argv);
  } catch (const nncomp::Error& e) {
    fmt::print(stderr, "nncomp: error: {}\n", e.what());
    if (e.kind() == nncomp::ErrorKind::kUsage) fmt::print(stderr, "{}", kUsage);
    return e.kind() == nncomp::ErrorKind::kUsage ? 2 : 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "nncomp: error: {}\n", e.what());
    return 1;
  }
}
