// bench.h — the benchmark harness's pieces: inputs, the grid, measured rows,
// reports.
//
// nncomp-bench (bench/main.cpp) runs a grid of inputs × model kinds ×
// profiles × mixers × devices, each as a real compress + decompress by the
// nncomp command line with a byte-exact check, plus baseline compressors,
// and writes CSV, JSON, Markdown and a gnuplot ratio-versus-time plot. These
// functions are the parts that do not run anything, kept apart for tests.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace nncomp::bench {

/// One input of the grid: a whole file, or the first `prefix` bytes of one.
struct InputSpec {
  std::string spec;                ///< as given: "enwik8:1e6", "notes.txt", "notes.txt:5000"
  std::string name;                ///< display name, also the file name the runs see: "enwik6"
  std::string path;                ///< the source file
  std::optional<uint64_t> prefix;  ///< bytes to take from the start; none: the whole file
};

/// Parse a byte count: decimal digits ("4154399") or an exact power-of-ten
/// form ("1e6", "2.5e5"). Throws std::invalid_argument naming the text if it
/// is empty, negative, fractional, zero or above 2^48.
uint64_t parse_count(const std::string& text);

/// Parse an input spec. "enwik8:N" is the first N bytes of `enwik8_path`
/// (named enwik5/6/7/8 for N = 10^5..10^8, else "enwik8:N"); an existing
/// file is taken whole; "PATH:N" is the first N bytes of PATH, named
/// "BASENAME:N". Throws std::invalid_argument with a message for the user
/// (no enwik8 file given, no such file, bad count).
InputSpec parse_input(const std::string& spec, const std::string& enwik8_path);

/// The non-empty items of `s` between `sep`s, spaces trimmed ("a, b,,c" →
/// a, b, c): the comma lists of the command lines.
std::vector<std::string> split_list(const std::string& s, char sep = ',');

/// The model kind that is context mixing alone (`nncomp c -m none`): it
/// runs with the mixer `cm` only.
inline constexpr const char* kCmOnlyKind = "none";

/// Model kinds and their profiles from the output of `nncomp list`, one line
/// per kind ("gpt: cpu tiny"). Throws std::runtime_error if it names none.
std::map<std::string, std::vector<std::string>> parse_nncomp_list(const std::string& list_output);

/// The items of --mixers ("cm,none"): each `cm` or `none`, at least one, no
/// repeats. Throws std::invalid_argument with a message for the user.
std::vector<std::string> parse_mixers(const std::string& list);

/// One nncomp cell of the grid.
struct NncompRun {
  std::string kind, profile, mixer, device;
};

/// The nncomp runs of the grid, devices × kinds × profiles × mixers in that
/// order (so the two mixers of one model sit side by side), without the
/// combination kCmOnlyKind × mixer `none`, which nncomp refuses. Throws
/// std::invalid_argument if `kinds` is not empty and that leaves no run.
std::vector<NncompRun> nncomp_runs(const std::vector<std::string>& kinds, const std::vector<std::string>& profiles,
                                   const std::vector<std::string>& mixers, const std::vector<std::string>& devices);

/// `nncomp c` for one run: `nncomp` (the program) first, then the options,
/// `--mixer` always among them, `--stats stats_file`, the input and output.
std::vector<std::string> nncomp_compress_args(const std::string& nncomp, const NncompRun& run, uint32_t threads,
                                              const std::string& stats_file, const std::string& input,
                                              const std::string& output);

/// A baseline compressor: its row names and its two commands, where the
/// words IN, OUT and RT stand for the input, the compressed file and the
/// round-trip output. With `via_stdout` the tool writes to standard output,
/// which goes to OUT when compressing and RT when decompressing.
struct Baseline {
  std::string id;       ///< as -b names it: "zstd-19", "zpaq-m5"
  std::string kind;     ///< the row's kind: the tool
  std::string profile;  ///< the row's profile: the level
  std::string ext;      ///< of the compressed file
  std::vector<std::string> c_args, d_args;
  bool via_stdout = false;
  bool regular_input = false;  ///< the tool skips symbolic links (zpaq): give it a real file
};

/// The known baselines, `zstd_tool` being the path of nncomp-bench-zstd.
std::vector<Baseline> all_baselines(const std::string& zstd_tool);

/// One baseline run's commands on the input file `input` (a name in the
/// scratch folder, where the commands run).
struct BaselineCommands {
  std::vector<std::string> compress, decompress;     ///< argv
  std::string out, rt;                               ///< compressed file, round-trip output
  std::string compress_shown, decompress_shown;      ///< for the record: the program's file name, "> FILE"
};
/// The commands of `b` on `input`: IN, OUT and RT replaced by file names.
BaselineCommands baseline_commands(const Baseline& b, const std::string& input);

/// The version string recorded for a baseline tool of kind `kind`, from the
/// first line its `--version` printed: "xz 5.4.1", "bzip2 1.0.8",
/// "zpaq 7.15"; other text as it is.
std::string tool_version(const std::string& kind, const std::string& first_line);

/// One measured run: nncomp with a model kind and profile, or a baseline.
/// Sizes in bytes, times in wall seconds (process start to exit), RSS in MiB
/// (peak resident set of the child process).
struct Row {
  std::string input;                 ///< input display name
  uint64_t input_bytes = 0;
  std::string input_xxh64;           ///< 16 hex digits
  std::string family;                ///< "nncomp" or "baseline"
  std::string kind;                  ///< model kind (gpt, rwkv, ngpt, none) or tool (zstd, xz, bzip2, zpaq)
  std::string profile;               ///< profile name, or the tool's level ("19", "22 --long")
  std::string mixer;                 ///< nncomp: "cm" (context mixing) or "none" (neural only); "" for baselines
  std::string device = "cpu";        ///< cpu or cuda
  std::string device_name;           ///< CPU model or GPU name
  uint32_t threads = 1;              ///< nncomp intra-op threads; 1 for the baselines
  uint64_t compressed_bytes = 0;
  std::optional<double> neural_bytes;     ///< nncomp: the neural model's ideal bits alone / 8 (none for -m none)
  double compress_s = 0, decompress_s = 0;
  double compress_rss_mib = 0, decompress_rss_mib = 0;
  std::optional<double> peak_gpu_mib;     ///< GPU runs whose stats report it
  std::optional<double> coding_loss_pct;  ///< nncomp: payload bits over ideal bits, minus 1, in %
  std::optional<int64_t> n_params;        ///< nncomp: model parameters
  std::string deterministic = "-";   ///< "yes" when compressed twice to identical bytes, "-" if not tried
  std::string cpu_capability;        ///< nncomp: ATen kernel level (AVX2, …)
  std::string torch_version, cuda_version;
  std::string tool_version;          ///< nncomp's or the baseline's version string
  std::string git_sha;
  std::string date;                  ///< YYYY-MM-DD
  std::string compress_command, decompress_command;  ///< as run, in the input's folder

  double bpc() const { return input_bytes ? 8.0 * compressed_bytes / input_bytes : 0; }
  double ratio() const { return compressed_bytes ? double(input_bytes) / compressed_bytes : 0; }
  double compress_kbs() const { return compress_s > 0 ? input_bytes / 1000.0 / compress_s : 0; }
  double decompress_kbs() const { return decompress_s > 0 ? input_bytes / 1000.0 / decompress_s : 0; }
  /// "gpt/cpu+cm" for nncomp with context mixing, "gpt/cpu" for neural
  /// only, "none/cpu" for the CM-only kind, " (cuda)" added on a GPU;
  /// "zstd -19" or "zpaq -m5" for a baseline.
  std::string label() const;
};

/// The mixer of a row from a results file older than the mixer column: none
/// for nncomp (format v1 coded the neural model alone), cm for kCmOnlyKind,
/// "" for a baseline.
std::string legacy_mixer(const std::string& family, const std::string& kind);

/// Fill the nncomp measurements of `r` from the JSON text that `nncomp c
/// --stats` wrote: coding loss, parameters, versions, device name, and
/// neural_bytes (`neural_ideal_bits` / 8 when present and not 0). If the
/// stats name a `mixer`, it must be r.mixer. Throws std::runtime_error if the
/// text is not such JSON, a key is missing or the mixer differs.
void read_compress_stats(const std::string& stats_json, Row& r);

/// Column names of the CSV, in order (also the JSON keys).
const std::vector<std::string>& csv_columns();
/// The CSV text: a header line, then one line per row (RFC 4180 quoting).
std::string to_csv(const std::vector<Row>& rows);
/// A JSON object {"meta": {...}, "runs": [one object per row]}; `meta`
/// holds the harness command line, date and machine.
std::string to_json(const std::vector<Row>& rows, const std::string& bench_command);
/// A Markdown document: what ran where, then one table row per run.
std::string to_markdown(const std::vector<Row>& rows, const std::string& bench_command);
/// A self-contained gnuplot script drawing bpc against compression and
/// decompression time (log scale), one labelled marker per run; the output
/// file is `output_stem` + "." + the gnuplot variable `fmt` ("png" or "svg").
std::string to_gnuplot(const std::vector<Row>& rows, const std::string& output_stem);

/// The rows of a JSON document written by to_json (for re-plotting).
/// Throws std::runtime_error naming the problem if it is not one.
std::vector<Row> rows_from_json(const std::string& json_text);

/// One size comparison of a run against a committed CSV.
struct CheckResult {
  bool ok = true;
  std::vector<std::string> lines;  ///< one per run: "same", "DIFFERS", "missing", "skipped"
};
/// Compare the compressed sizes of `rows` with the CSV text `expected`,
/// matching on input, kind, profile, mixer, device and threads (a CSV
/// without the mixer column: legacy_mixer). A run without a
/// committed counterpart or with another size fails; a baseline whose tool
/// version differs from the committed one is skipped (its output may
/// legitimately change). Throws std::runtime_error if the CSV cannot be read.
CheckResult check_sizes(const std::vector<Row>& rows, const std::string& expected_csv);

/// "2026-11-21-cpu-amd-epyc-2t": a file stem for one device and date.
std::string results_stem(const std::string& date, const std::string& device,
                         const std::string& device_name, uint32_t threads);

}  // namespace nncomp::bench
