// report.cpp — CSV, JSON, Markdown and gnuplot output of the benchmark
// harness, and the exact-size check against a committed CSV.
#define CSV_IO_NO_THREAD
#include <fmt/format.h>
#include <libfccp/csv.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "bench/bench.h"

namespace nncomp::bench {
namespace {

std::string opt(const std::optional<double>& v, const char* spec) {
  return v ? fmt::format(fmt::runtime(spec), *v) : "";
}

// One row's fields in csv_columns() order, as text.
std::vector<std::string> fields(const Row& r) {
  return {r.input,
          std::to_string(r.input_bytes),
          r.input_xxh64,
          r.family,
          r.kind,
          r.profile,
          r.mixer,
          r.device,
          r.device_name,
          std::to_string(r.threads),
          std::to_string(r.compressed_bytes),
          opt(r.neural_bytes, "{:.1f}"),
          fmt::format("{:.4f}", r.bpc()),
          fmt::format("{:.4f}", r.ratio()),
          fmt::format("{:.3f}", r.compress_s),
          fmt::format("{:.3f}", r.decompress_s),
          fmt::format("{:.3f}", r.compress_kbs()),
          fmt::format("{:.3f}", r.decompress_kbs()),
          fmt::format("{:.1f}", r.compress_rss_mib),
          fmt::format("{:.1f}", r.decompress_rss_mib),
          opt(r.peak_gpu_mib, "{:.1f}"),
          opt(r.coding_loss_pct, "{:.4f}"),
          r.n_params ? std::to_string(*r.n_params) : "",
          r.deterministic,
          r.cpu_capability,
          r.torch_version,
          r.cuda_version,
          r.tool_version,
          r.git_sha,
          r.date,
          r.compress_command,
          r.decompress_command};
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos && (s.empty() || (s.front() != ' ' && s.back() != ' ')))
    return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

// A time or speed for the table: three significant figures or more.
std::string figure(double v) {
  return v >= 100 ? fmt::format("{:.0f}", v) : v >= 10 ? fmt::format("{:.1f}", v)
         : v >= 1 ? fmt::format("{:.2f}", v) : fmt::format("{:.3f}", v);
}

// Markdown table cell: pipes escaped, nothing empty.
std::string md(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out.empty() ? "-" : out;
}

// gnuplot double-quoted string.
std::string gp_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += static_cast<char>(std::isprint(static_cast<unsigned char>(c)) ? c : '?');
  }
  return out + "\"";
}

std::string first_nonempty(const std::vector<Row>& rows, std::string Row::*field) {
  for (const auto& r : rows)
    if (!(r.*field).empty()) return r.*field;
  return "";
}

// The distinct values of a field, in order of first appearance.
std::vector<std::string> distinct(const std::vector<Row>& rows, std::string Row::*field) {
  std::vector<std::string> out;
  for (const auto& r : rows)
    if (std::find(out.begin(), out.end(), r.*field) == out.end()) out.push_back(r.*field);
  return out;
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

}  // namespace

std::string Row::label() const {
  if (family == "nncomp")
    return kind + "/" + profile + (mixer == "cm" && kind != kCmOnlyKind ? "+cm" : "") +
           (device == "cpu" ? "" : " (" + device + ")");
  return kind + " -" + profile;
}


const std::vector<std::string>& csv_columns() {
  static const std::vector<std::string> columns = {
      "input", "input_bytes", "input_xxh64", "family", "kind", "profile", "mixer", "device", "device_name",
      "threads", "compressed_bytes", "neural_bytes", "bpc", "ratio", "compress_s", "decompress_s", "compress_kbs",
      "decompress_kbs", "compress_rss_mib", "decompress_rss_mib", "peak_gpu_mib", "coding_loss_pct",
      "n_params", "deterministic", "cpu_capability", "torch_version", "cuda_version", "tool_version",
      "git_sha", "date", "compress_command", "decompress_command"};
  return columns;
}

std::string to_csv(const std::vector<Row>& rows) {
  std::string out;
  for (const auto& c : csv_columns()) out += (out.empty() ? "" : ",") + c;
  out += "\n";
  for (const auto& r : rows) {
    std::string line;
    for (const auto& f : fields(r)) line += (line.empty() ? "" : ",") + csv_field(f);
    out += line + "\n";
  }
  return out;
}

std::string to_json(const std::vector<Row>& rows, const std::string& bench_command) {
  nlohmann::ordered_json runs = nlohmann::ordered_json::array();
  for (const auto& r : rows) {
    nlohmann::ordered_json j;
    j["input"] = r.input;
    j["input_bytes"] = r.input_bytes;
    j["input_xxh64"] = r.input_xxh64;
    j["family"] = r.family;
    j["kind"] = r.kind;
    j["profile"] = r.profile;
    j["mixer"] = r.mixer;
    j["device"] = r.device;
    j["device_name"] = r.device_name;
    j["threads"] = r.threads;
    j["compressed_bytes"] = r.compressed_bytes;
    j["neural_bytes"] = r.neural_bytes ? nlohmann::ordered_json(*r.neural_bytes) : nullptr;
    j["bpc"] = r.bpc();
    j["ratio"] = r.ratio();
    j["compress_s"] = r.compress_s;
    j["decompress_s"] = r.decompress_s;
    j["compress_kbs"] = r.compress_kbs();
    j["decompress_kbs"] = r.decompress_kbs();
    j["compress_rss_mib"] = r.compress_rss_mib;
    j["decompress_rss_mib"] = r.decompress_rss_mib;
    j["peak_gpu_mib"] = r.peak_gpu_mib ? nlohmann::ordered_json(*r.peak_gpu_mib) : nullptr;
    j["coding_loss_pct"] = r.coding_loss_pct ? nlohmann::ordered_json(*r.coding_loss_pct) : nullptr;
    j["n_params"] = r.n_params ? nlohmann::ordered_json(*r.n_params) : nullptr;
    j["deterministic"] = r.deterministic;
    j["cpu_capability"] = r.cpu_capability;
    j["torch_version"] = r.torch_version;
    j["cuda_version"] = r.cuda_version;
    j["tool_version"] = r.tool_version;
    j["git_sha"] = r.git_sha;
    j["date"] = r.date;
    j["compress_command"] = r.compress_command;
    j["decompress_command"] = r.decompress_command;
    runs.push_back(std::move(j));
  }
  nlohmann::ordered_json doc;
  doc["meta"] = {{"command", bench_command},
                 {"date", first_nonempty(rows, &Row::date)},
                 {"git_sha", first_nonempty(rows, &Row::git_sha)},
                 {"device_name", first_nonempty(rows, &Row::device_name)}};
  doc["runs"] = std::move(runs);
  return doc.dump(2) + "\n";
}

std::string to_markdown(const std::vector<Row>& rows, const std::string& bench_command) {
  std::string nncomp_version, torch;
  for (const auto& r : rows)
    if (r.family == "nncomp" && nncomp_version.empty()) {
      nncomp_version = r.tool_version;
      torch = (r.cuda_version.empty() ? "" : "CUDA " + r.cuda_version + ", ") +
              (r.cpu_capability.empty() ? "" : "CPU kernels " + r.cpu_capability);
    }
  std::string out = fmt::format("# nncomp bench, {}: {}\n\n", first_nonempty(rows, &Row::date),
                                join(distinct(rows, &Row::input), ", "));
  out += fmt::format("- Machine: {} ({})\n", first_nonempty(rows, &Row::device_name),
                     join(distinct(rows, &Row::device), ", "));
  if (!nncomp_version.empty()) out += fmt::format("- {}; {}; git {}\n", nncomp_version, torch,
                                                  first_nonempty(rows, &Row::git_sha));
  out += fmt::format("- Command: `{}`\n", bench_command);
  if (!nncomp_version.empty())
    out += "- nncomp: `KIND/PROFILE+cm` is the neural model mixed bit by bit with context models (`--mixer cm`), "
           "`KIND/PROFILE` the neural model alone (`--mixer none`), `none/PROFILE` context mixing alone "
           "(`-m none`). *neural alone*: what the neural model by itself would have cost, in bytes (its ideal "
           "code length Σ −log2 p / 8, without the container), from nncomp's statistics.\n";
  out += "- Times are wall seconds of the whole process (start-up included); KB/s = 1000 bytes of "
         "input per second; RSS is the peak resident set of the process. Every run was decompressed "
         "and compared byte for byte with its input.\n\n";
  out += "| input | compressor | threads | bytes | compressed | neural alone | bpc | ratio | compress s "
         "| decompress s | compress KB/s | decompress KB/s | RSS c/d MiB | coding loss | params | twice |\n";
  out += "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& r : rows) {
    out += fmt::format(
        "| {} | {} | {} | {} | {} | {} | {:.4f} | {:.3f} | {} | {} | {} | {} | {:.0f} / {:.0f} | "
        "{} | {} | {} |\n",
        md(r.input), md(r.label()), r.threads, r.input_bytes, r.compressed_bytes,
        r.neural_bytes ? fmt::format("{:.0f}", *r.neural_bytes) : "-", r.bpc(), r.ratio(),
        figure(r.compress_s), figure(r.decompress_s), figure(r.compress_kbs()), figure(r.decompress_kbs()),
        r.compress_rss_mib,
        r.decompress_rss_mib, r.coding_loss_pct ? fmt::format("{:+.4f} %", *r.coding_loss_pct) : "-",
        r.n_params ? std::to_string(*r.n_params) : "-", md(r.deterministic));
  }
  bool any_gpu = false;
  for (const auto& r : rows) any_gpu |= r.peak_gpu_mib.has_value();
  if (any_gpu) {
    out += "\nPeak GPU memory:\n\n";
    for (const auto& r : rows)
      if (r.peak_gpu_mib) out += fmt::format("- {} {}: {:.0f} MiB\n", r.input, r.label(), *r.peak_gpu_mib);
  }
  out += "\nCommands, in the folder holding the input:\n\n";
  for (const auto& r : rows)
    out += fmt::format("- {} {}: `{}` then `{}`\n", r.input, r.label(), r.compress_command, r.decompress_command);
  return out;
}

std::string to_gnuplot(const std::vector<Row>& rows, const std::string& output_stem) {
  double t_min = 1e300, t_max = 0;
  for (const auto& r : rows)
    for (double t : {r.compress_s, r.decompress_s})
      if (t > 0) t_min = std::min(t_min, t), t_max = std::max(t_max, t);
  if (t_max <= 0) t_min = 0.1, t_max = 10;
  // whole decades, with room on the right for the labels
  const double x_lo = std::pow(10.0, std::floor(std::log10(t_min)));
  const double x_hi = std::pow(10.0, std::ceil(std::log10(t_max * 4)));
  double y_lo = 1e300, y_hi = -1e300;
  for (const auto& r : rows) y_lo = std::min(y_lo, r.bpc()), y_hi = std::max(y_hi, r.bpc());
  if (rows.empty()) y_lo = 0, y_hi = 8;
  const double y_pad = std::max(0.08 * (y_hi - y_lo), 0.05);

  std::string out =
      "# Ratio against time, written by nncomp-bench. Render again with\n"
      "#   gnuplot -e 'fmt=\"svg\"' THIS_FILE    (fmt: png or svg)\n"
      "if (!exists(\"fmt\")) fmt = \"png\"\n"
      "if (fmt eq \"svg\") {\n"
      "  set terminal svg size 1280,620 font \"sans,12\" background rgb \"white\"\n"
      "} else {\n"
      "  set terminal pngcairo size 1280,620 font \"sans,10\" background rgb \"white\"\n"
      "}\n"
      "set termoption noenhanced\n";
  out += "set output " + gp_string(output_stem) + " . \".\" . fmt\n";

  // Per (input, group) and panel, a block of points "t bpc"; per input and
  // panel, a block of labels "t bpc text", where points closer than a hair
  // on the plot share one label, whatever their groups (zstd -19 and -22
  // often land on the same spot, a model with and without mixing may). The
  // groups: nncomp with context mixing, nncomp's neural model alone, baselines.
  auto group_of = [](const Row& r) {
    return r.family != "nncomp" ? std::string("baseline") : r.mixer == "cm" ? std::string("nncomp+cm") : "nncomp";
  };
  struct Series { std::string input, group, points[2], labels[2]; };  // labels: "" if another series has them
  std::vector<Series> series;
  // labels are about a decade wide at the default size
  const double near_t = 0.3, near_bpc = 0.025 * (y_hi - y_lo + 2 * y_pad);  // decades, bpc
  auto time_of = [&](const Row& r, int panel) { return std::max(panel == 0 ? r.compress_s : r.decompress_s, x_lo); };
  const auto inputs = distinct(rows, &Row::input);
  for (size_t i = 0; i < inputs.size(); ++i) {
    const size_t first = series.size();
    for (const std::string group : {"nncomp+cm", "nncomp", "baseline"}) {
      std::string points[2];
      for (const auto& r : rows)
        if (r.input == inputs[i] && group_of(r) == group)
          for (int panel = 0; panel < 2; ++panel) points[panel] += fmt::format("{:.6g} {:.6f}\n", time_of(r, panel), r.bpc());
      if (points[0].empty()) continue;
      Series s{inputs[i], group, {}, {}};
      for (int panel = 0; panel < 2; ++panel) {
        s.points[panel] = "$P" + std::to_string(series.size()) + (panel == 0 ? "c" : "d");
        out += s.points[panel] + " << EOD\n" + points[panel] + "EOD\n";
      }
      series.push_back(s);
    }
    for (int panel = 0; panel < 2; ++panel) {
      struct Spot { double t, bpc; std::string text; };
      std::vector<Spot> spots;
      for (const auto& r : rows) {
        if (r.input != inputs[i]) continue;
        const double t = time_of(r, panel);
        auto it = std::find_if(spots.begin(), spots.end(), [&](const Spot& p) {
          return std::abs(std::log10(p.t / t)) < near_t && std::abs(p.bpc - r.bpc()) < near_bpc;
        });
        if (it == spots.end()) spots.push_back({t, r.bpc(), r.label()});
        else it->text += ", " + r.label();
      }
      std::string labels;
      for (const auto& p : spots) labels += fmt::format("{:.6g} {:.6f} {}\n", p.t, p.bpc, gp_string(p.text));
      series[first].labels[panel] = "$L" + std::to_string(i) + (panel == 0 ? "c" : "d");
      out += series[first].labels[panel] + " << EOD\n" + labels + "EOD\n";
    }
  }

  const std::string date = first_nonempty(rows, &Row::date), machine = first_nonempty(rows, &Row::device_name);
  out += "set multiplot layout 1,2 title " +
         gp_string("Compression ratio against time: " + join(distinct(rows, &Row::input), ", ") + " on " +
                   machine + (date.empty() ? "" : ", " + date)) +
         "\n";
  out += fmt::format("set logscale x 10\nset xrange [{:g}:{:g}]\nset format x \"%g\"\n", x_lo, x_hi);
  out += fmt::format("set yrange [{:.4f}:{:.4f}]\n", y_lo - y_pad, y_hi + y_pad);
  out += "set grid xtics ytics mxtics\nset ylabel \"bits per character (bpc), lower is better\"\n"
         "set key outside below center horizontal\n";
  for (int panel = 0; panel < 2; ++panel) {
    out += panel == 0 ? "set xlabel \"compression wall time, s (log scale)\"\n"
                      : "set xlabel \"decompression wall time, s (log scale)\"\n";
    std::string plot;
    for (size_t i = 0; i < series.size(); ++i) {
      const auto& s = series[i];
      // filled triangle / filled circle / filled square
      const int point = s.group == "nncomp+cm" ? 9 : s.group == "nncomp" ? 7 : 5;
      const std::string title = s.group == "nncomp+cm" ? ": nncomp with context mixing"
                                : s.group == "nncomp"  ? ": nncomp, neural model alone"
                                                       : ": baselines";
      plot += fmt::format("{}{} using 1:2 with points pt {} ps 1.4 lc {} title {}, \\\n",
                          plot.empty() ? "plot " : "     ", s.points[panel], point, i + 1,
                          gp_string(s.input + title));
      if (!s.labels[panel].empty())
        plot += fmt::format("     {} using 1:2:3 with labels left offset char 0.9,0.5 font \",9\" notitle, \\\n",
                            s.labels[panel]);
    }
    if (plot.empty()) plot = "plot NaN notitle, \\\n";
    plot.resize(plot.size() - 4);  // drop the last ", \\\n"
    out += plot + "\n";
  }
  out += "unset multiplot\n";
  return out;
}

std::vector<Row> rows_from_json(const std::string& json_text) {
  std::vector<Row> rows;
  try {
    const auto doc = nlohmann::json::parse(json_text);
    for (const auto& j : doc.at("runs")) {
      Row r;
      auto str = [&](const char* k, std::string& f) { f = j.at(k).get<std::string>(); };
      str("input", r.input), str("input_xxh64", r.input_xxh64), str("family", r.family), str("kind", r.kind);
      str("profile", r.profile), str("device", r.device), str("device_name", r.device_name);
      // results written before the mixer column
      r.mixer = j.contains("mixer") ? j.at("mixer").get<std::string>() : legacy_mixer(r.family, r.kind);
      str("deterministic", r.deterministic), str("cpu_capability", r.cpu_capability);
      str("torch_version", r.torch_version), str("cuda_version", r.cuda_version), str("tool_version", r.tool_version);
      str("git_sha", r.git_sha), str("date", r.date), str("compress_command", r.compress_command);
      str("decompress_command", r.decompress_command);
      r.input_bytes = j.at("input_bytes").get<uint64_t>();
      r.threads = j.at("threads").get<uint32_t>();
      r.compressed_bytes = j.at("compressed_bytes").get<uint64_t>();
      if (j.contains("neural_bytes") && !j.at("neural_bytes").is_null())
        r.neural_bytes = j.at("neural_bytes").get<double>();
      r.compress_s = j.at("compress_s").get<double>(), r.decompress_s = j.at("decompress_s").get<double>();
      r.compress_rss_mib = j.at("compress_rss_mib").get<double>();
      r.decompress_rss_mib = j.at("decompress_rss_mib").get<double>();
      if (!j.at("peak_gpu_mib").is_null()) r.peak_gpu_mib = j.at("peak_gpu_mib").get<double>();
      if (!j.at("coding_loss_pct").is_null()) r.coding_loss_pct = j.at("coding_loss_pct").get<double>();
      if (!j.at("n_params").is_null()) r.n_params = j.at("n_params").get<int64_t>();
      rows.push_back(std::move(r));
    }
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(std::string("not a results file of nncomp-bench: ") + e.what());
  }
  return rows;
}

CheckResult check_sizes(const std::vector<Row>& rows, const std::string& expected_csv) {
  struct Expected { uint64_t bytes; std::string tool_version; std::string device_name; };
  std::map<std::string, Expected> expected;
  auto key = [](const std::string& input, const std::string& kind, const std::string& profile,
                const std::string& mixer, const std::string& device, const std::string& threads) {
    return input + "|" + kind + "|" + profile + "|" + mixer + "|" + device + "|" + threads;
  };
  try {
    io::CSVReader<10, io::trim_chars<>, io::double_quote_escape<',', '"'>> in(
        "expected CSV", expected_csv.data(), expected_csv.data() + expected_csv.size());
    // the mixer column may be missing (files older than it); no other
    in.read_header(io::ignore_extra_column | io::ignore_missing_column, "input", "family", "kind", "profile",
                   "mixer", "device", "threads", "compressed_bytes", "tool_version", "device_name");
    for (const char* c : {"input", "family", "kind", "profile", "device", "threads", "compressed_bytes",
                          "tool_version"})
      if (!in.has_column(c))
        throw std::runtime_error(std::string("cannot read the expected sizes: no column '") + c + "'");
    const bool has_mixer = in.has_column("mixer");
    std::string input, family, kind, profile, mixer, device, threads, tool_version, device_name;
    uint64_t bytes = 0;
    while (in.read_row(input, family, kind, profile, mixer, device, threads, bytes, tool_version, device_name))
      expected[key(input, kind, profile, has_mixer ? mixer : legacy_mixer(family, kind), device, threads)] = {
          bytes, tool_version, device_name};
  } catch (const io::error::base& e) {
    throw std::runtime_error(std::string("cannot read the expected sizes: ") + e.what());
  }
  CheckResult result;
  for (const auto& r : rows) {
    const std::string what = fmt::format("{} {} ({}, {} threads)", r.input, r.label(), r.device, r.threads);
    auto it = expected.find(key(r.input, r.kind, r.profile, r.mixer, r.device, std::to_string(r.threads)));
    if (it == expected.end()) {
      result.ok = false;
      result.lines.push_back("missing  " + what + ": no committed size for this run");
    } else if (r.family != "nncomp" && it->second.tool_version != r.tool_version) {
      result.lines.push_back(fmt::format("skipped  {}: {} here, {} committed", what, r.tool_version,
                                         it->second.tool_version));
    } else if (const bool other_cpu = r.family == "nncomp" && !it->second.device_name.empty() &&
                                      it->second.device_name != r.device_name;
               other_cpu && r.kind != "none") {
      // a neural model's float results differ between CPU models (the file's fingerprint): not comparable
      result.lines.push_back(fmt::format("skipped  {}: made on '{}' here, committed from '{}'", what, r.device_name,
                                         it->second.device_name));
    } else if (const uint64_t want = other_cpu  // context mixing alone: integer arithmetic, the same everywhere;
                                                // only the device name the header stores differs in length
                                         ? it->second.bytes + r.device_name.size() - it->second.device_name.size()
                                         : it->second.bytes;
               want != r.compressed_bytes) {
      result.ok = false;
      result.lines.push_back(fmt::format("DIFFERS  {}: {} bytes, committed {} ({:+} bytes)", what,
                                         r.compressed_bytes, want,
                                         static_cast<int64_t>(r.compressed_bytes) - static_cast<int64_t>(want)));
    } else {
      result.lines.push_back(fmt::format("same     {}: {} bytes", what, r.compressed_bytes));
    }
  }
  return result;
}

std::string results_stem(const std::string& date, const std::string& device, const std::string& device_name,
                         uint32_t threads) {
  std::string slug;
  for (char c : device_name) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u)) slug += static_cast<char>(std::tolower(u));
    else if (!slug.empty() && slug.back() != '-') slug += '-';
  }
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  if (slug.size() > 40) slug.resize(40);
  return date + "-" + device + (slug.empty() ? "" : "-" + slug) + "-" + std::to_string(threads) + "t";
}

}  // namespace nncomp::bench
