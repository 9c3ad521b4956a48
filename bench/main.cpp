// main.cpp — nncomp-bench: compression ratio against time over a grid of
// inputs × model kinds × profiles × mixers × devices, with baseline compressors.
//
// Every run is a real compress and decompress by a child process (the nncomp
// command line, libzstd through nncomp-bench-zstd, xz, bzip2, zpaq), timed from
// spawn to exit, its peak RSS taken from wait4, and the decompressed bytes
// compared with the input. Results: CSV, JSON, Markdown, and a gnuplot plot
// (PNG and SVG). It talks to nncomp only through its command line (`nncomp
// list`, `c`, `d`, `--stats`), so it neither loads LibTorch nor shares a
// process with what it measures.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "bench/bench.h"
#include "bench/process.h"

namespace fs = std::filesystem;
namespace po = boost::program_options;
using namespace nncomp::bench;

namespace {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

bool on_path(const std::string& tool) {
  const char* path = std::getenv("PATH");
  for (const auto& dir : split_list(path ? path : "", ':'))
    if (access((fs::path(dir) / tool).c_str(), X_OK) == 0) return true;
  return false;
}

std::string today() {
  const std::time_t t = std::time(nullptr);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", std::localtime(&t));
  return buf;
}

std::string git_sha() {
  try {
    const std::string dir = NNCOMP_SOURCE_DIR;
    auto head = run_process({"git", "-C", dir, "rev-parse", "--short=12", "HEAD"}, ".", "");
    if (!head.ok()) return "unknown";
    std::string sha = head.stdout_text.substr(0, head.stdout_text.find('\n'));
    auto st = run_process({"git", "-C", dir, "status", "--porcelain", "--untracked-files=no"}, ".", "");
    if (st.ok() && !st.stdout_text.empty()) sha += "-dirty";
    return sha;
  } catch (const std::runtime_error&) {
    return "unknown";
  }
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

/// The CPU's model name as /proc/cpuinfo gives it ("" if unknown).
std::string cpu_model_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0 && line.find(':') != std::string::npos) {
      std::string name = line.substr(line.find(':') + 1);
      name.erase(0, name.find_first_not_of(" \t"));
      return name;
    }
  return "";
}

/// Model kinds and their profiles, from `nncomp list` ("gpt: cpu tiny").
std::map<std::string, std::vector<std::string>> nncomp_profiles(const std::string& nncomp) {
  auto res = run_process({nncomp, "list"}, ".", "");
  if (!res.ok()) throw std::runtime_error("`" + nncomp + " list` failed (" + res.describe() + "): " + res.stderr_tail);
  return parse_nncomp_list(res.stdout_text);
}

/// Whether nncomp's --help names the --mixer option (format v2 and later).
bool nncomp_has_mixer_option(const std::string& nncomp) {
  auto res = run_process({nncomp, "--help"}, ".", "");
  return res.stdout_text.find("--mixer") != std::string::npos;
}

/// The progress display: one redrawn status line on a terminal, plain lines
/// (every 30 s while a run lasts) otherwise.
class Display {
 public:
  Display() : tty_(isatty(STDERR_FILENO)) {}
  void start(const std::string& prefix) {
    prefix_ = prefix;
    last_ = std::chrono::steady_clock::now();
    if (tty_) draw("");
  }
  void update(const std::string& text) {
    const auto now = std::chrono::steady_clock::now();
    if (tty_) {
      if (now - last_ > std::chrono::milliseconds(200)) draw(text), last_ = now;
    } else if (now - last_ > std::chrono::seconds(30)) {
      fmt::print(stderr, "{}  {}\n", prefix_, trim(text));
      last_ = now;
    }
  }
  void finish(const std::string& prefix, const std::string& text) {
    if (tty_) fmt::print(stderr, "\r\x1b[K");
    fmt::print(stderr, "{} {}\n", prefix, text);
  }

 private:
  static std::string trim(const std::string& s) {
    const size_t a = s.find_first_not_of(' ');
    return a == std::string::npos ? "" : s.substr(a, s.find_last_not_of(' ') - a + 1);
  }
  void draw(const std::string& text) {
    winsize ws{};
    const size_t width = ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10 ? ws.ws_col - 1 : 119;
    std::string line = prefix_ + "  " + trim(text);
    if (line.size() > width) line.resize(width);
    fmt::print(stderr, "\r{}\x1b[K", line);
    std::fflush(stderr);
  }
  bool tty_;
  std::string prefix_;
  std::chrono::steady_clock::time_point last_;
};

bool same_bytes(const fs::path& a, const fs::path& b) {
  if (fs::file_size(a) != fs::file_size(b)) return false;
  std::ifstream fa(a, std::ios::binary), fb(b, std::ios::binary);
  std::vector<char> ba(1 << 20), bb(1 << 20);
  while (fa && fb) {
    fa.read(ba.data(), static_cast<std::streamsize>(ba.size()));
    fb.read(bb.data(), static_cast<std::streamsize>(bb.size()));
    if (fa.gcount() != fb.gcount() || !std::equal(ba.begin(), ba.begin() + fa.gcount(), bb.begin())) return false;
  }
  return true;
}

std::string xxh64_hex(const fs::path& p) {
  std::unique_ptr<XXH64_state_t, decltype(&XXH64_freeState)> st(XXH64_createState(), XXH64_freeState);
  XXH64_reset(st.get(), 0);
  std::ifstream in(p, std::ios::binary);
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    if (in.gcount() > 0) XXH64_update(st.get(), buf.data(), static_cast<size_t>(in.gcount()));
  }
  return fmt::format("{:016x}", XXH64_digest(st.get()));
}

/// Put the input into the scratch folder under its display name: the first
/// N bytes cut from the source, or a link to the whole file.
void stage_input(const InputSpec& in, const fs::path& target) {
  if (!in.prefix) {
    fs::create_symlink(fs::absolute(in.path), target);
    return;
  }
  std::ifstream src(in.path, std::ios::binary);
  std::ofstream dst(target, std::ios::binary);
  std::vector<char> buf(1 << 20);
  uint64_t left = *in.prefix;
  while (left > 0 && src) {
    src.read(buf.data(), static_cast<std::streamsize>(std::min<uint64_t>(left, buf.size())));
    dst.write(buf.data(), src.gcount());
    left -= static_cast<uint64_t>(src.gcount());
  }
  if (left > 0)
    throw UsageError(fmt::format("input '{}': '{}' holds only {} bytes, fewer than {}", in.spec, in.path,
                                 *in.prefix - left, *in.prefix));
  if (!dst.flush()) throw std::runtime_error("cannot write '" + target.string() + "'");
}

void write_atomic(const fs::path& path, const std::string& text) {
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary);
    out << text;
    if (!out.flush()) throw std::runtime_error("cannot write '" + tmp.string() + "'");
  }
  fs::rename(tmp, path);
}

std::string mib(double m) { return fmt::format("{:.0f} MiB", m); }

/// Render STEM.gp to STEM.png and STEM.svg with gnuplot; false (with a
/// note) if gnuplot is not installed. Throws if gnuplot fails.
bool render_plot(const std::string& stem) {
  if (!on_path("gnuplot")) {
    fmt::print(stderr, "nncomp-bench: gnuplot is not installed; render the plot later with "
                       "`gnuplot {0}.gp` and `gnuplot -e 'fmt=\"svg\"' {0}.gp`\n", stem);
    return false;
  }
  const fs::path dir = fs::absolute(stem).parent_path();
  const std::string name = fs::path(stem).filename().string();
  for (const std::string fmt_name : {"png", "svg"}) {
    auto res = run_process({"gnuplot", "-e", "fmt=\"" + fmt_name + "\"", name + ".gp"}, dir.string(), "");
    if (!res.ok())
      throw std::runtime_error("gnuplot failed on " + stem + ".gp (" + res.describe() + "): " + res.stderr_tail);
    if (!res.stderr_tail.empty()) fmt::print(stderr, "gnuplot: {}", res.stderr_tail);
  }
  return true;
}

struct Grid {
  std::vector<InputSpec> inputs;
  std::vector<NncompRun> runs;
  std::vector<Baseline> baselines;
  uint32_t threads = 2;
  bool repeat = false;
  std::string nncomp;
};

/// Runs the grid, collecting rows; failures are reported and counted.
class Runner {
 public:
  Runner(const Grid& g, fs::path scratch, std::string sha, std::string date, std::string machine)
      : g_(g), scratch_(std::move(scratch)), sha_(std::move(sha)), date_(std::move(date)),
        machine_(std::move(machine)) {}

  void run_all() {
    const size_t total = g_.inputs.size() * (g_.baselines.size() + g_.runs.size());
    size_t index = 0;
    for (const auto& in : g_.inputs) {
      const fs::path input = scratch_ / in.name;
      const uint64_t bytes = fs::file_size(input);
      const std::string hash = xxh64_hex(input);
      for (const auto& b : g_.baselines) guarded(++index, total, in, [&](Row& r) { baseline(in, b, r); },
                                                 bytes, hash);
      for (const auto& run : g_.runs)
        guarded(++index, total, in, [&](Row& r) { nncomp_run(in, run, r); }, bytes, hash);
    }
  }
  const std::vector<Row>& rows() const { return rows_; }
  const std::vector<std::string>& failures() const { return failures_; }

 private:
  template <class F>
  void guarded(size_t index, size_t total, const InputSpec& in, F&& body, uint64_t bytes, const std::string& hash) {
    Row r;
    r.input = in.name, r.input_bytes = bytes, r.input_xxh64 = hash, r.git_sha = sha_, r.date = date_;
    r.device_name = machine_;
    prefix_ = fmt::format("[{}/{}] {}", index, total, in.name);
    try {
      body(r);
      rows_.push_back(r);
    } catch (const std::exception& e) {
      if (interrupted()) throw;
      failures_.push_back(fmt::format("{}: {}", prefix_, e.what()));
      display_.finish(prefix_, std::string("FAILED: ") + e.what());
    }
  }

  // Run one step of a run, with the progress display; throws on failure.
  ProcessResult step(const std::string& what, const std::vector<std::string>& argv, const std::string& stdout_to) {
    display_.start(prefix_ + " " + what);
    auto res = run_process(argv, scratch_.string(), stdout_to, [&](const std::string& t) { display_.update(t); },
                           /*measure_rss=*/true);
    if (!res.ok()) {
      std::string tail = res.stderr_tail;
      if (const size_t cr = tail.rfind('\r'); cr != std::string::npos) tail = tail.substr(cr + 1);
      while (!tail.empty() && (tail.back() == '\n' || tail.back() == ' ')) tail.pop_back();
      throw std::runtime_error(fmt::format("`{}` failed ({}): {}", shell_line(argv), res.describe(), tail));
    }
    return res;
  }

  void check_round_trip(const std::string& input, const std::string& output, const std::string& label) {
    if (!same_bytes(scratch_ / input, scratch_ / output))
      throw std::runtime_error(label + ": ROUND TRIP MISMATCH: decompressed bytes differ from the input");
    fs::remove(scratch_ / output);
  }

  void baseline(const InputSpec& in, const Baseline& b, Row& r) {
    const BaselineCommands cmd = baseline_commands(b, in.name);
    const std::string &out = cmd.out, &rt = cmd.rt;
    r.family = "baseline", r.kind = b.kind, r.profile = b.profile, r.threads = 1;
    r.compress_command = cmd.compress_shown, r.decompress_command = cmd.decompress_shown;
    r.tool_version = version_of(b);
    // zpaq adds to an existing archive and skips existing output files
    fs::remove(scratch_ / out), fs::remove(scratch_ / rt);
    if (b.regular_input && fs::is_symlink(scratch_ / in.name)) {
      // a whole-file input is staged as a link; from now on, a copy
      const fs::path target = fs::read_symlink(scratch_ / in.name), copy = scratch_ / (in.name + ".copy");
      fs::copy_file(target, copy, fs::copy_options::overwrite_existing);
      fs::rename(copy, scratch_ / in.name);
    }
    const auto rc = step(r.label() + " compress", cmd.compress, b.via_stdout ? (scratch_ / out).string() : "");
    const auto rd = step(r.label() + " decompress", cmd.decompress, b.via_stdout ? (scratch_ / rt).string() : "");
    check_round_trip(in.name, rt, r.label());
    r.compressed_bytes = fs::file_size(scratch_ / out);
    fs::remove(scratch_ / out);
    r.compress_s = rc.wall_s, r.decompress_s = rd.wall_s;
    r.compress_rss_mib = rc.max_rss_mib, r.decompress_rss_mib = rd.max_rss_mib;
    display_.finish(prefix_, fmt::format("{}: {} -> {} B ({:.4f} bpc), {:.2f} s / {:.2f} s, round trip exact", r.label(),
                                r.input_bytes, r.compressed_bytes, r.bpc(), r.compress_s, r.decompress_s));
  }

  std::string version_of(const Baseline& b) {
    auto it = versions_.find(b.kind);
    if (it != versions_.end()) return it->second;
    auto res = run_process({b.c_args[0], "--version"}, scratch_.string(), "");
    return versions_[b.kind] = tool_version(b.kind, first_line(res.stdout_text.empty() ? res.stderr_tail
                                                                                        : res.stdout_text));
  }

  static std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  static nlohmann::json read_json(const fs::path& p, const std::string& text) {
    try {
      return nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
      throw std::runtime_error("cannot read the run's statistics '" + p.filename().string() + "': " + e.what());
    }
  }

  void nncomp_run(const InputSpec& in, const NncompRun& run, Row& r) {
    const std::string base = in.name + "." + run.kind + "-" + run.profile + "-" + run.mixer +
                             (run.device == "cpu" ? "" : "-" + run.device);
    const std::string nnc = base + ".nnc", rt = base + ".out";
    auto compress_to = [&](const std::string& out, const std::string& stats) {
      return nncomp_compress_args(g_.nncomp, run, g_.threads, stats, in.name, out);
    };
    const auto c = compress_to(nnc, base + ".c.json");
    const std::vector<std::string> d = {g_.nncomp, "d", "-f", "-v", "--stats", base + ".d.json", nnc, rt};
    auto shown = [](std::vector<std::string> v) { v[0] = "nncomp"; return shell_line(v); };
    r.family = "nncomp", r.kind = run.kind, r.profile = run.profile, r.mixer = run.mixer, r.device = run.device;
    r.threads = g_.threads;
    r.compress_command = shown(c), r.decompress_command = shown(d);

    const auto rc = step(r.label() + " compress", c, "");
    r.compressed_bytes = fs::file_size(scratch_ / nnc);
    display_.finish(prefix_, fmt::format("{}: compressed {} -> {} B ({:.4f} bpc) in {:.1f} s, {}", r.label(), r.input_bytes,
                                r.compressed_bytes, r.bpc(), rc.wall_s, mib(rc.max_rss_mib)));
    const auto rd = step(r.label() + " decompress", d, "");
    check_round_trip(in.name, rt, r.label());
    display_.finish(prefix_, fmt::format("{}: decompressed in {:.1f} s, {}, round trip exact", r.label(), rd.wall_s,
                                mib(rd.max_rss_mib)));
    if (g_.repeat) {
      const std::string nnc2 = base + ".2.nnc";
      step(r.label() + " compress again", compress_to(nnc2, base + ".c2.json"), "");
      if (!same_bytes(scratch_ / nnc, scratch_ / nnc2))
        throw std::runtime_error(r.label() + ": NOT DETERMINISTIC: compressing twice gave different bytes");
      r.deterministic = "yes";
      display_.finish(prefix_, r.label() + ": compressed again to identical bytes");
      fs::remove(scratch_ / nnc2);
    }
    const fs::path c_path = scratch_ / (base + ".c.json"), d_path = scratch_ / (base + ".d.json");
    const std::string c_text = slurp(c_path);
    const auto cs = read_json(c_path, c_text), ds = read_json(d_path, slurp(d_path));
    fs::remove(scratch_ / nnc);
    r.compress_s = rc.wall_s, r.decompress_s = rd.wall_s;
    r.compress_rss_mib = rc.max_rss_mib, r.decompress_rss_mib = rd.max_rss_mib;
    read_compress_stats(c_text, r);
    for (const auto* s : {&cs, &ds})
      if (s->contains("peak_gpu_bytes"))
        r.peak_gpu_mib = std::max(r.peak_gpu_mib.value_or(0), s->at("peak_gpu_bytes").get<double>() / 1048576.0);
  }

  const Grid& g_;
  fs::path scratch_;
  std::string sha_, date_, machine_, prefix_;
  Display display_;
  std::vector<Row> rows_;
  std::vector<std::string> failures_;
  std::map<std::string, std::string> versions_;
};

constexpr const char* kUsage =
    "usage: nncomp-bench [options] INPUT...\n"
    "  INPUT: a file; enwik8:N, the first N bytes of the enwik8 file (--enwik8 or ENWIK8),\n"
    "         N as digits or like 1e6; or FILE:N, the first N bytes of FILE.\n";

int run(int argc, char** argv) {
  Grid grid;
  std::string models = "all", profiles = "cpu", mixers = "cm", devices = "cpu", baselines = "all", out, check,
      enwik8, work, replot;
  bool overwrite = false, no_plot = false;
  const fs::path self_dir = fs::canonical("/proc/self/exe").parent_path();
  po::options_description opts("Options");
  opts.add_options()
      ("help,h", "show this help")
      ("models,m", po::value(&models),
       "model kinds, comma-separated ('none' is the CM-only kind), 'all' (those `nncomp list` shows) or '' "
       "(no nncomp runs, baselines only) [all]")
      ("profiles,p", po::value(&profiles), "profiles, comma-separated [cpu]")
      ("mixers", po::value(&mixers),
       "mixers, comma-separated: cm (neural + context mixing), none (neural only); each nncomp run once per "
       "mixer, the kind 'none' with cm only [cm]")
      ("device", po::value(&devices), "devices, comma-separated: cpu, cuda [cpu]")
      ("threads,t", po::value(&grid.threads), "nncomp intra-op threads [2]")
      ("baselines,b", po::value(&baselines),
       "baselines, comma-separated, 'all' (those installed) or 'none': zstd-3, zstd-19, zstd-22-long, xz-9e, "
       "bzip2-9, zpaq-m5 [all]")
      ("repeat", po::bool_switch(&grid.repeat), "compress each nncomp run twice and require identical bytes")
      ("out,o", po::value(&out), "output stem: writes STEM.csv .json .md .gp .png .svg [DATE-DEVICE-MACHINE-Nt]")
      ("force-overwrite,f", po::bool_switch(&overwrite), "overwrite existing output files")
      ("no-plot", po::bool_switch(&no_plot), "write the gnuplot script but do not render it")
      ("replot", po::value(&replot),
       "run nothing: draw the plot again from the results STEM.json (rewrites STEM.gp .png .svg)")
      ("check", po::value(&check), "compare the compressed sizes with this committed CSV; exit 1 on a difference")
      ("enwik8", po::value(&enwik8), "the enwik8 file that enwik8:N inputs are cut from [$ENWIK8]")
      ("nncomp", po::value(&grid.nncomp), "the nncomp program [the one beside nncomp-bench]")
      ("work", po::value(&work), "scratch folder for the runs [$TMPDIR or /tmp]");
  po::options_description hidden;
  std::vector<std::string> input_specs;
  hidden.add_options()("input", po::value(&input_specs));
  po::options_description all;
  all.add(opts).add(hidden);
  po::positional_options_description pos;
  pos.add("input", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(e.what());
  }
  if (vm.count("help")) {
    std::cout << kUsage << "\n" << opts;
    return 0;
  }
  if (!replot.empty()) {
    if (!input_specs.empty()) throw UsageError("--replot takes no INPUT");
    std::string stem = replot.size() > 5 && replot.ends_with(".json") ? replot.substr(0, replot.size() - 5) : replot;
    std::ifstream in(stem + ".json", std::ios::binary);
    if (!in) throw UsageError("cannot read '" + stem + ".json' (--replot)");
    const auto rows = rows_from_json({std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()});
    write_atomic(stem + ".gp", to_gnuplot(rows, fs::path(stem).filename().string()));
    render_plot(stem);
    return 0;
  }
  if (input_specs.empty()) throw UsageError("no INPUT given");
  if (grid.threads == 0) throw UsageError("--threads must be at least 1");
  if (enwik8.empty() && std::getenv("ENWIK8")) enwik8 = std::getenv("ENWIK8");
  if (grid.nncomp.empty()) grid.nncomp = (self_dir / "nncomp").string();
  if (access(grid.nncomp.c_str(), X_OK) != 0) throw UsageError("no nncomp program at '" + grid.nncomp + "' (--nncomp)");
  grid.nncomp = fs::absolute(grid.nncomp).string();

  // The grid, checked before anything runs.
  for (const auto& s : input_specs) {
    try {
      grid.inputs.push_back(parse_input(s, enwik8));
    } catch (const std::invalid_argument& e) {
      throw UsageError(e.what());
    }
    for (size_t i = 0; i + 1 < grid.inputs.size(); ++i)
      if (grid.inputs[i].name == grid.inputs.back().name)
        throw UsageError("two inputs are named '" + grid.inputs.back().name + "'");
  }
  const std::vector<std::string> profile_list = split_list(profiles), device_list = split_list(devices);
  for (const auto& d : device_list)
    if (d != "cpu" && d != "cuda") throw UsageError("unknown device '" + d + "' (cpu, cuda)");
  std::vector<std::string> mixer_list;
  try {
    mixer_list = parse_mixers(mixers);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  if (!split_list(models).empty()) {
    const auto available = nncomp_profiles(grid.nncomp);
    std::vector<std::string> kinds;
    if (models == "all") {
      for (const auto& [k, names] : available) kinds.push_back(k);
    } else {
      kinds = split_list(models);
    }
    auto has = [&](const std::string& kind, const std::string& profile) {
      return std::ranges::count(available.at(kind), profile) > 0;
    };
    for (const auto& k : kinds)
      if (!available.contains(k))
        throw UsageError("unknown model kind '" + k + "' (`nncomp list` shows them" +
                         (k == kCmOnlyKind ? "; this nncomp has no CM-only kind, and -m '' runs the baselines only)"
                                           : ")"));
    for (const auto& p : profile_list) {
      if (models == "all" && std::ranges::none_of(kinds, [&](const std::string& k) { return has(k, p); }))
        throw UsageError(fmt::format("no model kind has the profile '{}' (`nncomp list` shows them)", p));
      for (const auto& k : kinds)
        if (!has(k, p)) {
          // -m all: each kind with those of the profiles it has (the CM-only
          // kind has no GPU profiles)
          if (models != "all")
            throw UsageError(fmt::format("model kind {} has no profile '{}' (it has: {})", k, p,
                                         fmt::join(available.at(k), ", ")));
          fmt::print(stderr, "nncomp-bench: model kind {} has no profile '{}': not run with it\n", k, p);
        }
    }
    try {
      grid.runs = nncomp_runs(kinds, profile_list, mixer_list, device_list);
    } catch (const std::invalid_argument& e) {
      throw UsageError(e.what());
    }
    std::erase_if(grid.runs, [&](const NncompRun& r) { return !has(r.kind, r.profile); });
  }
  if (!grid.runs.empty() && !nncomp_has_mixer_option(grid.nncomp))
    throw UsageError("'" + grid.nncomp + "' has no --mixer option (it predates format v2), which every nncomp run "
                     "passes; use a newer nncomp, or -m '' for the baselines only");
  const std::string zstd_tool = (self_dir / "nncomp-bench-zstd").string();
  const auto known = all_baselines(zstd_tool);
  if (baselines == "all") {
    for (const auto& b : known)
      if (access(b.c_args[0].c_str(), X_OK) == 0 || on_path(b.c_args[0])) grid.baselines.push_back(b);
      else fmt::print(stderr, "nncomp-bench: baseline {} skipped: '{}' is not installed\n", b.id, b.c_args[0]);
  } else if (baselines != "none") {
    for (const auto& id : split_list(baselines)) {
      auto it = std::find_if(known.begin(), known.end(), [&](const Baseline& b) { return b.id == id; });
      if (it == known.end())
        throw UsageError("unknown baseline '" + id + "' (zstd-3, zstd-19, zstd-22-long, xz-9e, bzip2-9, zpaq-m5)");
      grid.baselines.push_back(*it);
    }
  }
  if (grid.runs.empty() && grid.baselines.empty()) throw UsageError("nothing to run");
  if (!on_path("time"))
    throw UsageError("GNU time is needed to measure peak memory (Debian package 'time')");

  std::vector<std::string> cmd_args = {"nncomp-bench"};
  for (int i = 1; i < argc; ++i) cmd_args.emplace_back(argv[i]);
  const std::string bench_command = shell_line(cmd_args);
  const std::string date = today(), machine = cpu_model_name();
  std::string device_tag;
  for (const auto& d : device_list) device_tag += (device_tag.empty() ? "" : "+") + d;
  const std::string stem = out.empty() ? results_stem(date, device_tag, machine, grid.threads) : out;
  const std::vector<std::string> exts = {".csv", ".json", ".md", ".gp", ".png", ".svg"};
  if (!overwrite)
    for (const auto& e : exts)
      if (fs::exists(stem + e)) throw UsageError("'" + stem + e + "' exists (-f overwrites)");
  const fs::path out_dir = fs::absolute(stem).parent_path();
  if (!fs::is_directory(out_dir)) throw UsageError("no folder '" + out_dir.string() + "' for the results");
  std::string expected_csv;
  if (!check.empty()) {
    std::ifstream in(check, std::ios::binary);
    if (!in) throw UsageError("cannot read '" + check + "' (--check)");
    expected_csv.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

  // Scratch folder holding the inputs (under their names) and every output.
  if (work.empty()) work = std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp";
  std::string scratch_template = (fs::path(work) / "nncomp-bench.XXXXXX").string();
  if (!mkdtemp(scratch_template.data())) throw std::runtime_error("cannot make a scratch folder in '" + work + "'");
  const fs::path scratch = scratch_template;
  struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{scratch};
  for (const auto& in : grid.inputs) stage_input(in, scratch / in.name);

  Runner runner(grid, scratch, git_sha(), date, machine);
  runner.run_all();
  const auto& rows = runner.rows();

  // Results.
  write_atomic(stem + ".csv", to_csv(rows));
  write_atomic(stem + ".json", to_json(rows, bench_command));
  const std::string markdown = to_markdown(rows, bench_command);
  write_atomic(stem + ".md", markdown);
  const std::string stem_name = fs::path(stem).filename().string();
  write_atomic(stem + ".gp", to_gnuplot(rows, stem_name));
  std::vector<std::string> written = {stem + ".csv", stem + ".json", stem + ".md", stem + ".gp"};
  if (!no_plot && !rows.empty() && render_plot(stem))
    for (const char* e : {".png", ".svg"}) written.push_back(stem + e);
  std::cout << markdown;
  fmt::print(stderr, "nncomp-bench: wrote {}\n", fmt::join(written, ", "));

  int status = 0;
  if (!runner.failures().empty()) {
    fmt::print(stderr, "nncomp-bench: {} run(s) failed:\n", runner.failures().size());
    for (const auto& f : runner.failures()) fmt::print(stderr, "  {}\n", f);
    status = 1;
  }
  if (!check.empty()) {
    const auto result = check_sizes(rows, expected_csv);
    fmt::print(stderr, "nncomp-bench: compressed sizes against {}:\n", check);
    for (const auto& line : result.lines) fmt::print(stderr, "  {}\n", line);
    if (!result.ok) {
      fmt::print(stderr, "nncomp-bench: error: compressed sizes differ from {}\n", check);
      status = 1;
    }
  }
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  install_interrupt_handler();
  try {
    return run(argc, argv);
  } catch (const UsageError& e) {
    fmt::print(stderr, "nncomp-bench: error: {}\n{}", e.what(), kUsage);
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "nncomp-bench: error: {}\n", e.what());
    return interrupted() ? 130 : 1;
  }
}
