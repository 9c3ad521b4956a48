// bench_test.cpp — the benchmark harness's parts that do not run anything:
// input specs, CSV/JSON/Markdown output, the exact-size check, the plot script.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "bench/bench.h"
#include "bench/process.h"

namespace fs = std::filesystem;
using namespace nncomp::bench;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::string t = (fs::temp_directory_path() / "bench_test.XXXXXX").string();
    path = mkdtemp(t.data());
  }
  ~TempDir() { fs::remove_all(path); }
  fs::path write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name, std::ios::binary) << text;
    return path / name;
  }
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

Row nncomp_row(const std::string& input, const std::string& profile, uint64_t bytes) {
  Row r;
  r.input = input, r.input_bytes = 1000, r.family = "nncomp", r.kind = "gpt", r.profile = profile;
  r.threads = 2, r.compressed_bytes = bytes, r.compress_s = 12.5, r.decompress_s = 11.0;
  r.compress_rss_mib = 500, r.decompress_rss_mib = 501, r.coding_loss_pct = 0.01, r.n_params = 24576;
  r.device_name = "Test CPU", r.date = "2026-01-02", r.git_sha = "abc", r.tool_version = "nncomp 0.1.0";
  r.compress_command = "nncomp c -p " + profile + " " + input + " out.nnc";
  r.decompress_command = "nncomp d out.nnc out";
  return r;
}

Row baseline_row(const std::string& input, const std::string& level, uint64_t bytes, const std::string& version) {
  Row r;
  r.input = input, r.input_bytes = 1000, r.family = "baseline", r.kind = "zstd", r.profile = level;
  r.compressed_bytes = bytes, r.compress_s = 0.002, r.decompress_s = 0.001, r.tool_version = version;
  r.device_name = "Test CPU", r.date = "2026-01-02";
  return r;
}

}  // namespace

TEST(BenchInputs, CountsInDigitsAndPowersOfTen) {
  EXPECT_EQ(parse_count("4154399"), 4154399u);
  EXPECT_EQ(parse_count("1e6"), 1000000u);
  EXPECT_EQ(parse_count("1E5"), 100000u);
  EXPECT_EQ(parse_count("2.5e5"), 250000u);
  EXPECT_EQ(parse_count("1e8"), 100000000u);
  EXPECT_EQ(parse_count("3.0"), 3u);
  for (const char* bad : {"", "0", "-1", "1.5", "2.25e1", "1e20", "1e", "e6", "abc", "1e6 ", "0x10", "1,000"})
    EXPECT_THROW(parse_count(bad), std::invalid_argument) << bad;
  EXPECT_EQ(parse_count("281474976710656"), uint64_t{1} << 48);
  EXPECT_THROW(parse_count("281474976710657"), std::invalid_argument);
}

TEST(BenchInputs, Enwik8PrefixesAreNamedByTheirLength) {
  TempDir dir;
  const auto src = dir.write("enwik8", "x").string();
  auto in = parse_input("enwik8:1e6", src);
  EXPECT_EQ(in.name, "enwik6");
  EXPECT_EQ(in.path, src);
  ASSERT_TRUE(in.prefix);
  EXPECT_EQ(*in.prefix, 1000000u);
  EXPECT_EQ(parse_input("enwik8:100000", src).name, "enwik5");
  EXPECT_EQ(parse_input("enwik8:1e7", src).name, "enwik7");
  EXPECT_EQ(parse_input("enwik8:1e8", src).name, "enwik8");
  EXPECT_EQ(parse_input("enwik8:4154399", src).name, "enwik8:4154399");
  try {
    parse_input("enwik8:1e6", "");
    FAIL() << "no enwik8 file was given";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("--enwik8"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_input("enwik8:1.5", src), std::invalid_argument);
  EXPECT_THROW(parse_input("enwik8:1e6", (dir.path / "missing").string()), std::invalid_argument);
}

TEST(BenchInputs, FilesWholeOrCut) {
  TempDir dir;
  const auto file = dir.write("notes.txt", "hello").string();
  auto whole = parse_input(file, "");
  EXPECT_EQ(whole.name, "notes.txt");
  EXPECT_FALSE(whole.prefix);
  auto cut = parse_input(file + ":3", "");
  EXPECT_EQ(cut.name, "notes.txt:3");
  EXPECT_EQ(cut.path, file);
  EXPECT_EQ(*cut.prefix, 3u);
  // a file whose name holds a colon is taken whole
  const auto colon = dir.write("a:5", "abc").string();
  EXPECT_FALSE(parse_input(colon, "").prefix);
  EXPECT_THROW(parse_input((dir.path / "missing").string(), ""), std::invalid_argument);
  EXPECT_THROW(parse_input((dir.path / "missing").string() + ":10", ""), std::invalid_argument);
  EXPECT_THROW(parse_input(file + ":0", ""), std::invalid_argument);
}

TEST(BenchReport, LabelsNameKindProfileOrTool) {
  EXPECT_EQ(nncomp_row("a", "cpu", 1).label(), "gpt/cpu");
  Row gpu = nncomp_row("a", "fast", 1);
  gpu.device = "cuda";
  EXPECT_EQ(gpu.label(), "gpt/fast (cuda)");
  EXPECT_EQ(baseline_row("a", "22 --long", 1, "libzstd 1").label(), "zstd -22 --long");
}

TEST(BenchReport, CsvHasEveryColumnAndQuotesWhatNeedsIt) {
  Row r = nncomp_row("in,put", "cpu", 300);
  r.compress_command = "say \"hi\"";
  const std::string csv = to_csv({r});
  const std::string header = csv.substr(0, csv.find('\n'));
  std::string expected;
  for (const auto& c : csv_columns()) expected += (expected.empty() ? "" : ",") + c;
  EXPECT_EQ(header, expected);
  EXPECT_NE(csv.find("\n\"in,put\",1000,"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",\"say \"\"hi\"\"\","), std::string::npos) << csv;
  EXPECT_NE(csv.find(",2.4000,"), std::string::npos) << "bpc = 8 * 300 / 1000";
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 2);
}

TEST(BenchReport, JsonRowsCarryTheMeasurements) {
  Row r = nncomp_row("enwik6", "cpu", 250);
  Row b = baseline_row("enwik6", "19", 300, "libzstd 1.5.4");
  const auto doc = nlohmann::json::parse(to_json({r, b}, "nncomp-bench enwik8:1e6"));
  EXPECT_EQ(doc["meta"]["command"], "nncomp-bench enwik8:1e6");
  ASSERT_EQ(doc["runs"].size(), 2u);
  EXPECT_EQ(doc["runs"][0]["compressed_bytes"], 250);
  EXPECT_DOUBLE_EQ(doc["runs"][0]["bpc"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(doc["runs"][0]["compress_kbs"].get<double>(), 1.0 / 12.5);
  EXPECT_EQ(doc["runs"][0]["n_params"], 24576);
  EXPECT_TRUE(doc["runs"][1]["n_params"].is_null());
  EXPECT_TRUE(doc["runs"][1]["coding_loss_pct"].is_null());
  for (const auto& c : csv_columns()) EXPECT_TRUE(doc["runs"][0].contains(c)) << c;
}

TEST(BenchReport, JsonReadsBackToTheSameRows) {
  Row r = nncomp_row("enwik6", "cpu", 250);
  r.peak_gpu_mib = 1234.5;
  const std::vector<Row> rows = {r, baseline_row("enwik6", "22 --long", 300, "libzstd 1.5.4")};
  const auto back = rows_from_json(to_json(rows, "cmd"));
  EXPECT_EQ(to_csv(back), to_csv(rows));
  EXPECT_EQ(to_gnuplot(back, "p"), to_gnuplot(rows, "p"));
  EXPECT_THROW(rows_from_json("{\"runs\": [{\"input\": 1}]}"), std::runtime_error);
  EXPECT_THROW(rows_from_json("not json"), std::runtime_error);
}

TEST(BenchReport, MarkdownTableHasOneRowPerRun) {
  const std::string md = to_markdown({nncomp_row("enwik6", "cpu", 250), baseline_row("enwik6", "19", 300, "z")},
                                     "nncomp-bench enwik8:1e6");
  EXPECT_NE(md.find("| enwik6 | gpt/cpu | 2 | 1000 | 250 | 2.0000 | 4.000 | 12.5 | 11.0 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| enwik6 | zstd -19 | 1 | 1000 | 300 | 2.4000 |"), std::string::npos) << md;
  EXPECT_NE(md.find("+0.0100 %"), std::string::npos);
  EXPECT_NE(md.find("`nncomp-bench enwik8:1e6`"), std::string::npos);
}

TEST(BenchCheck, SameSizesPassAndEveryKindOfDifferenceIsNamed) {
  const std::vector<Row> committed = {nncomp_row("enwik5", "tiny", 4000), baseline_row("enwik5", "3", 3000, "libzstd 1.5.4"),
                                      baseline_row("enwik5", "19", 2900, "libzstd 1.5.4")};
  const std::string csv = to_csv(committed);
  auto same = check_sizes(committed, csv);
  EXPECT_TRUE(same.ok);
  ASSERT_EQ(same.lines.size(), 3u);
  EXPECT_EQ(same.lines[0].rfind("same", 0), 0u) << same.lines[0];

  auto changed = committed;
  changed[0].compressed_bytes = 4001;
  auto differs = check_sizes(changed, csv);
  EXPECT_FALSE(differs.ok);
  EXPECT_NE(differs.lines[0].find("DIFFERS"), std::string::npos);
  EXPECT_NE(differs.lines[0].find("4001 bytes, committed 4000 (+1 bytes)"), std::string::npos) << differs.lines[0];

  auto other_threads = committed;
  other_threads[0].threads = 1;
  auto missing = check_sizes(other_threads, csv);
  EXPECT_FALSE(missing.ok);
  EXPECT_NE(missing.lines[0].find("missing"), std::string::npos);

  // another libzstd may compress differently: skipped, not failed
  auto newer = committed;
  newer[1].tool_version = "libzstd 1.5.7";
  newer[1].compressed_bytes = 2999;
  auto skipped = check_sizes(newer, csv);
  EXPECT_TRUE(skipped.ok);
  EXPECT_NE(skipped.lines[1].find("skipped"), std::string::npos);
  // but nncomp's size is checked whatever its version string says
  auto renamed = committed;
  renamed[0].tool_version = "nncomp 9.9";
  renamed[0].compressed_bytes = 3999;
  EXPECT_FALSE(check_sizes(renamed, csv).ok);

  EXPECT_THROW(check_sizes(committed, "input,kind\nenwik5,gpt\n"), std::runtime_error);
}

TEST(BenchReport, ResultsStemNamesDateDeviceMachineThreads) {
  EXPECT_EQ(results_stem("2026-11-21", "cpu", "AMD EPYC 9B14 (64-Core)", 2), "2026-11-21-cpu-amd-epyc-9b14-64-core-2t");
  EXPECT_EQ(results_stem("2026-11-21", "cuda", "", 1), "2026-11-21-cuda-1t");
}

TEST(BenchPlot, GnuplotRendersTheScript) {
  if (std::system("command -v gnuplot >/dev/null 2>&1") != 0) GTEST_SKIP() << "gnuplot is not installed";
  TempDir dir;
  std::vector<Row> rows = {nncomp_row("enwik6", "cpu", 250), nncomp_row("enwik6", "tiny", 380),
                           baseline_row("enwik6", "19", 300, "z"), baseline_row("enwik6", "22 --long", 300, "z"),
                           nncomp_row("other \"input\"", "cpu", 200)};
  dir.write("plot.gp", to_gnuplot(rows, "plot"));
  for (const std::string fmt : {"png", "svg"}) {
    auto res = run_process({"gnuplot", "-e", "fmt=\"" + fmt + "\"", "plot.gp"}, dir.path.string(), "");
    ASSERT_TRUE(res.ok()) << res.describe() << ": " << res.stderr_tail;
    EXPECT_EQ(res.stderr_tail, "") << "gnuplot warned";
    ASSERT_TRUE(fs::exists(dir.path / ("plot." + fmt)));
    EXPECT_GT(fs::file_size(dir.path / ("plot." + fmt)), 5000u);
  }
  const std::string svg = slurp(dir.path / "plot.svg");
  EXPECT_NE(svg.find("gpt/tiny"), std::string::npos);
  // two baselines on the same spot share one label
  EXPECT_NE(svg.find("zstd -19, zstd -22 --long"), std::string::npos);
  EXPECT_NE(svg.find("compression wall time"), std::string::npos);
}

TEST(BenchProcess, MeasuresExitStatusOutputAndPeakMemory) {
  if (std::system("command -v time >/dev/null 2>&1") != 0) GTEST_SKIP() << "GNU time is not installed";
  TempDir dir;
  std::vector<std::string> pieces;
  auto ok = run_process({"sh", "-c", "printf 'a\\rb\\nc' >&2; echo out; exit 0"}, dir.path.string(), "",
                        [&](const std::string& s) { pieces.push_back(s); }, /*measure_rss=*/true);
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.stdout_text, "out\n");
  EXPECT_EQ(pieces, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_GT(ok.max_rss_mib, 0.1);
  EXPECT_LT(ok.max_rss_mib, 100) << "the child's own peak, not the test's";
  auto fail = run_process({"sh", "-c", "exit 3"}, dir.path.string(), "", {}, true);
  EXPECT_EQ(fail.exit_code, 3);
  EXPECT_EQ(fail.describe(), "exit status 3");
  // a child touching 200 MiB shows it
  auto big = run_process({"python3", "-c", "b = b'x' * (200 << 20)"}, dir.path.string(), "", {}, true);
  ASSERT_TRUE(big.ok()) << big.describe() << ": " << big.stderr_tail;
  EXPECT_GT(big.max_rss_mib, 190);
  auto to_file = run_process({"echo", "x"}, dir.path.string(), (dir.path / "o.txt").string());
  EXPECT_EQ(slurp(dir.path / "o.txt"), "x\n");
  EXPECT_THROW(run_process({"no-such-program-here"}, dir.path.string(), ""), std::runtime_error);
  EXPECT_EQ(shell_line({"a b", "c", "it's"}), "'a b' c 'it'\\''s'");
}
