// main.cpp — nncomp-bench: compression ratio against time over a grid of
// inputs × model kinds × profiles × devices, with baseline compressors.
//
// Every run is a real compress and decompress by a child process (the nncomp
// command line, libzstd through nncomp-bench-zstd, xz, bzip2), timed from
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

#include <boost/program_options.hpp>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
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

/// A baseline compressor: its row names and its two commands (IN/OUT/RT are
/// replaced by file names; with `via_stdout` the tool writes to standard
/// output, which goes to OUT when compressing and RT when decompressing).
struct Baseline {
  std::string id, kind, profile, ext;
  std::vector<std::string> c_args, d_args;
  bool via_stdout = false;
};

std::vector<Baseline> all_baselines(const std::string& zstd_tool) {
  return {
      {"zstd-3", "zstd", "3", "zst", {zstd_tool, "-3", "IN", "OUT"}, {zstd_tool, "-d", "OUT", "RT"}},
      {"zstd-19", "zstd", "19", "zst", {zstd_tool, "-19", "IN", "OUT"}, {zstd_tool, "-d", "OUT", "RT"}},
      {"zstd-22-long", "zstd", "22 --long", "zst", {zstd_tool, "-22", "--long", "IN", "OUT"},
       {zstd_tool, "-d", "OUT", "RT"}},
      {"xz-9e", "xz", "9e", "xz", {"xz", "-9e", "-T1", "-c", "--", "IN"}, {"xz", "-dc", "--", "OUT"}, true},
      {"bzip2-9", "bzip2", "9", "bz2", {"bzip2", "-9", "-c", "--", "IN"}, {"bzip2", "-dc", "--", "OUT"}, true},
  };
}

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
  std::map<std::string, std::vector<std::string>> out;
  std::istringstream lines(res.stdout_text);
  std::string line;
  while (std::getline(lines, line)) {
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::istringstream words(line.substr(colon + 1));
    auto& names = out[line.substr(0, colon)];
    for (std::string w; words >> w;) names.push_back(w);
  }
  if (out.empty()) throw std::runtime_error("`" + nncomp + " list` named no model kinds");
  return out;
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
  std::vector<std::string> kinds, profiles, devices;
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
    const size_t total = g_.inputs.size() * (g_.baselines.size() + g_.devices.size() * g_.kinds.size() *
                                                                         g_.profiles.size());
    size_t index = 0;
    for (const auto& in : g_.inputs) {
      const fs::path input = scratch_ / in.name;
      const uint64_t bytes = fs::file_size(input);
      const std::string hash = xxh64_hex(input);
      for (const auto& b : g_.baselines) guarded(++index, total, in, [&](Row& r) { baseline(in, b, r); },
                                                 bytes, hash);
      for (const auto& device : g_.devices)
        for (const auto& kind : g_.kinds)
          for (const auto& profile : g_.profiles)
            guarded(++index, total, in, [&](Row& r) { nncomp_run(in, kind, profile, device, r); }, bytes, hash);
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
    const std::string out = in.name + "." + b.ext, rt = in.name + "." + b.id + ".out";
    auto subst = [&](std::vector<std::string> v) {
      for (auto& a : v) a = a == "IN" ? in.name : a == "OUT" ? out : a == "RT" ? rt : a;
      return v;
    };
    const auto c = subst(b.c_args), d = subst(b.d_args);
    auto shown = [&](std::vector<std::string> v, const std::string& redirect) {
      v[0] = fs::path(v[0]).filename().string();
      return shell_line(v) + (b.via_stdout ? " > " + redirect : "");
    };
    r.family = "baseline", r.kind = b.kind, r.profile = b.profile, r.threads = 1;
    r.compress_command = shown(c, out), r.decompress_command = shown(d, rt);
    r.tool_version = version_of(b);
    const auto rc = step(r.label() + " compress", c, b.via_stdout ? (scratch_ / out).string() : "");
    const auto rd = step(r.label() + " decompress", d, b.via_stdout ? (scratch_ / rt).string() : "");
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
    std::string v = first_line(res.stdout_text.empty() ? res.stderr_tail : res.stdout_text);
    if (b.kind == "xz" && v.rfind("xz (XZ Utils) ", 0) == 0) v = "xz " + v.substr(14);
    if (b.kind == "bzip2" && v.find("Version ") != std::string::npos)
      v = "bzip2 " + v.substr(v.find("Version ") + 8, v.find(',', v.find("Version ")) - v.find("Version ") - 8);
    return versions_[b.kind] = v;
  }

  static nlohmann::json read_json(const fs::path& p) {
    std::ifstream in(p);
    try {
      return nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
      throw std::runtime_error("cannot read the run's statistics '" + p.filename().string() + "': " + e.what());
    }
  }

  void nncomp_run(const InputSpec& in, const std::string& kind, const std::string& profile, const std::string& device,
                  Row& r) {
    const std::string base = in.name + "." + kind + "-" + profile + (device == "cpu" ? "" : "-" + device);
    const std::string nnc = base + ".nnc", rt = base + ".out";
    auto compress_to = [&](const std::string& out, const std::string& stats) {
      return std::vector<std::string>{g_.nncomp, "c", "-f", "-v", "-m", kind, "-p", profile, "-t",
                                      std::to_string(g_.threads), "--device", device, "--stats", stats,
                                      in.name, out};
    };
    const auto c = compress_to(nnc, base + ".c.json");
    const std::vector<std::string> d = {g_.nncomp, "d", "-f", "-v", "--stats", base + ".d.json", nnc, rt};
    auto shown = [](std::vector<std::string> v) { v[0] = "nncomp"; return shell_line(v); };
    r.family = "nncomp", r.kind = kind, r.profile = profile, r.device = device, r.threads = g_.threads;
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
    const auto cs = read_json(scratch_ / (base + ".c.json")), ds = read_json(scratch_ / (base + ".d.json"));
    fs::remove(scratch_ / nnc);
    r.compress_s = rc.wall_s, r.decompress_s = rd.wall_s;
    r.compress_rss_mib = rc.max_rss_mib, r.decompress_rss_mib = rd.max_rss_mib;
    r.coding_loss_pct = 100.0 * cs.at("coding_loss").get<double>();
    r.n_params = cs.at("n_params").get<int64_t>();
    r.tool_version = cs.at("version").get<std::string>();
    r.device_name = cs.at("device_name").get<std::string>();
    r.cpu_capability = cs.at("cpu_capability").get<std::string>();
    r.torch_version = cs.at("torch_version").get<std::string>();
    r.cuda_version = cs.at("cuda_version").get<std::string>();
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
  std::string models = "all", profiles = "cpu", devices = "cpu", baselines = "all", out, check, enwik8, work,
      replot;
  bool overwrite = false, no_plot = false;
  const fs::path self_dir = fs::canonical("/proc/self/exe").parent_path();
  po::options_description opts("Options");
  opts.add_options()
      ("help,h", "show this help")
      ("models,m", po::value(&models), "model kinds, comma-separated, 'all' (those this build can run) or 'none' [all]")
      ("profiles,p", po::value(&profiles), "profiles, comma-separated [cpu]")
      ("device", po::value(&devices), "devices, comma-separated: cpu, cuda [cpu]")
      ("threads,t", po::value(&grid.threads), "nncomp intra-op threads [2]")
      ("baselines,b", po::value(&baselines),
       "baselines, comma-separated, 'all' (those installed) or 'none': zstd-3, zstd-19, zstd-22-long, xz-9e, "
       "bzip2-9 [all]")
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
  const auto available = nncomp_profiles(grid.nncomp);
  if (models == "all") {
    for (const auto& [k, names] : available) grid.kinds.push_back(k);
  } else if (models != "none") {
    grid.kinds = split_list(models);
  }
  grid.profiles = split_list(profiles);
  grid.devices = split_list(devices);
  for (const auto& k : grid.kinds) {
    const auto it = available.find(k);
    if (it == available.end()) throw UsageError("unknown model kind '" + k + "' (`nncomp list` shows them)");
    for (const auto& p : grid.profiles)
      if (std::find(it->second.begin(), it->second.end(), p) == it->second.end())
        throw UsageError(fmt::format("model kind {} has no profile '{}' (it has: {})", k, p, fmt::join(it->second, ", ")));
  }
  for (const auto& d : grid.devices)
    if (d != "cpu" && d != "cuda") throw UsageError("unknown device '" + d + "' (cpu, cuda)");
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
        throw UsageError("unknown baseline '" + id + "' (zstd-3, zstd-19, zstd-22-long, xz-9e, bzip2-9)");
      grid.baselines.push_back(*it);
    }
  }
  if (grid.kinds.empty() && grid.baselines.empty()) throw UsageError("nothing to run");
  if (!on_path("time"))
    throw UsageError("GNU time is needed to measure peak memory (Debian package 'time')");

  std::vector<std::string> cmd_args = {"nncomp-bench"};
  for (int i = 1; i < argc; ++i) cmd_args.emplace_back(argv[i]);
  const std::string bench_command = shell_line(cmd_args);
  const std::string date = today(), machine = cpu_model_name();
  std::string device_tag;
  for (const auto& d : grid.devices) device_tag += (device_tag.empty() ? "" : "+") + d;
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
