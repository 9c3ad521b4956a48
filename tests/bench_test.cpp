// bench_test.cpp — the benchmark harness's parts that do not run anything:
// input specs, the grid (kinds × mixers, baseline commands, nncomp's list and
// stats), CSV/JSON/Markdown output, the exact-size check, the plot script.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

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

Row nncomp_row(const std::string& input, const std::string& profile, uint64_t bytes,
               const std::string& mixer = "none", const std::string& kind = "gpt") {
  Row r;
  r.input = input, r.input_bytes = 1000, r.family = "nncomp", r.kind = kind, r.profile = profile, r.mixer = mixer;
  r.threads = 2, r.compressed_bytes = bytes, r.compress_s = 12.5, r.decompress_s = 11.0;
  r.compress_rss_mib = 500, r.decompress_rss_mib = 501, r.coding_loss_pct = 0.01, r.n_params = 24576;
  r.device_name = "Test CPU", r.date = "2026-01-02", r.git_sha = "abc", r.tool_version = "nncomp 0.1.0";
  r.compress_command = "nncomp c -p " + profile + " --mixer " + mixer + " " + input + " out.nnc";
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

// The CSV text without the named columns (a file written before they
// existed). Naive splitting: no field of these rows holds a comma.
std::string drop_columns(const std::string& csv, const std::vector<std::string>& names) {
  std::istringstream lines(csv);
  std::vector<size_t> dropped;
  std::string out, line;
  for (bool header = true; std::getline(lines, line); header = false) {
    std::vector<std::string> cells;
    for (size_t from = 0;;) {
      const size_t comma = line.find(',', from);
      cells.push_back(line.substr(from, comma == std::string::npos ? std::string::npos : comma - from));
      if (comma == std::string::npos) break;
      from = comma + 1;
    }
    if (header)
      for (size_t i = 0; i < cells.size(); ++i)
        if (std::find(names.begin(), names.end(), cells[i]) != names.end()) dropped.push_back(i);
    std::string kept;
    for (size_t i = 0; i < cells.size(); ++i)
      if (std::find(dropped.begin(), dropped.end(), i) == dropped.end()) kept += (kept.empty() ? "" : ",") + cells[i];
    out += kept + "\n";
  }
  return out;
}

// The value of CSV column `name` in the first row of `csv` (naive splitting).
std::string csv_cell(const std::string& csv, const std::string& name) {
  const auto& cols = csv_columns();
  const size_t index = static_cast<size_t>(std::find(cols.begin(), cols.end(), name) - cols.begin());
  std::string row = csv.substr(csv.find('\n') + 1);
  row = row.substr(0, row.find('\n'));
  for (size_t i = 0; i < index; ++i) row = row.substr(row.find(',') + 1);
  return row.substr(0, row.find(','));
}

const Baseline& baseline_named(const std::vector<Baseline>& all, const std::string& id) {
  auto it = std::find_if(all.begin(), all.end(), [&](const Baseline& b) { return b.id == id; });
  if (it == all.end()) throw std::runtime_error("no baseline " + id);
  return *it;
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

TEST(BenchGrid, NncompListNamesKindsAndProfiles) {
  const auto kinds = parse_nncomp_list("gpt: cpu tiny\nnone: cpu tiny\nrwkv: cpu\n\nnoise without colon\n");
  ASSERT_EQ(kinds.size(), 3u);
  EXPECT_EQ(kinds.at("gpt"), (std::vector<std::string>{"cpu", "tiny"}));
  EXPECT_EQ(kinds.at("none"), (std::vector<std::string>{"cpu", "tiny"}));
  EXPECT_EQ(kinds.at("rwkv"), (std::vector<std::string>{"cpu"}));
  EXPECT_THROW(parse_nncomp_list(""), std::runtime_error);
}

TEST(BenchGrid, MixersAreCmOrNone) {
  EXPECT_EQ(parse_mixers("cm"), (std::vector<std::string>{"cm"}));
  EXPECT_EQ(parse_mixers("cm, none"), (std::vector<std::string>{"cm", "none"}));
  EXPECT_EQ(parse_mixers("none,cm"), (std::vector<std::string>{"none", "cm"}));
  for (const char* bad : {"", ",", "cm,cm", "lstm", "cm,CM", "cm none"})
    EXPECT_THROW(parse_mixers(bad), std::invalid_argument) << bad;
}

TEST(BenchGrid, EachRunOncePerMixerAndTheCmOnlyKindWithCmAlone) {
  auto runs = nncomp_runs({"rwkv", "none"}, {"cpu", "tiny"}, {"cm", "none"}, {"cpu"});
  std::vector<std::string> got;
  for (const auto& r : runs) got.push_back(r.kind + "/" + r.profile + "/" + r.mixer + "/" + r.device);
  EXPECT_EQ(got, (std::vector<std::string>{"rwkv/cpu/cm/cpu", "rwkv/cpu/none/cpu", "rwkv/tiny/cm/cpu",
                                           "rwkv/tiny/none/cpu", "none/cpu/cm/cpu", "none/tiny/cm/cpu"}));
  // devices outermost
  runs = nncomp_runs({"gpt"}, {"fast"}, {"cm"}, {"cpu", "cuda"});
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[1].device, "cuda");
  // none × none is left out silently beside other runs, refused alone
  runs = nncomp_runs({"gpt", "none"}, {"tiny"}, {"none"}, {"cpu"});
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].kind, "gpt");
  EXPECT_THROW(nncomp_runs({"none"}, {"tiny"}, {"none"}, {"cpu"}), std::invalid_argument);
  // no kinds (baselines only) is no run, not an error
  EXPECT_TRUE(nncomp_runs({}, {"cpu"}, {"none"}, {"cpu"}).empty());
}

TEST(BenchGrid, CompressCommandPassesTheMixerAlways) {
  for (const std::string mixer : {"cm", "none"}) {
    const auto args =
        nncomp_compress_args("/bin/nncomp", {"rwkv", "tiny", mixer, "cpu"}, 1, "s.json", "enwik5", "enwik5.nnc");
    ASSERT_GE(args.size(), 4u);
    EXPECT_EQ(args[0], "/bin/nncomp");
    EXPECT_EQ(args[1], "c");
    auto after = [&](const std::string& flag) {
      auto it = std::find(args.begin(), args.end(), flag);
      return it == args.end() || it + 1 == args.end() ? std::string("(absent)") : *(it + 1);
    };
    EXPECT_EQ(after("--mixer"), mixer);
    EXPECT_EQ(after("-m"), "rwkv");
    EXPECT_EQ(after("-p"), "tiny");
    EXPECT_EQ(after("-t"), "1");
    EXPECT_EQ(after("--device"), "cpu");
    EXPECT_EQ(after("--stats"), "s.json");
    EXPECT_EQ(args[args.size() - 2], "enwik5");
    EXPECT_EQ(args.back(), "enwik5.nnc");
  }
}

TEST(BenchGrid, ZpaqMakesAnArchiveAndExtractsItsOneFileUnderAnotherName) {
  const auto all = all_baselines("/opt/nncomp-bench-zstd");
  for (size_t i = 0; i < all.size(); ++i)
    for (size_t j = i + 1; j < all.size(); ++j) EXPECT_NE(all[i].id, all[j].id);
  const Baseline& z = baseline_named(all, "zpaq-m5");
  EXPECT_EQ(z.kind, "zpaq");
  EXPECT_EQ(z.profile, "m5");
  EXPECT_FALSE(z.via_stdout);
  EXPECT_TRUE(z.regular_input) << "zpaq skips symbolic links";
  const auto cmd = baseline_commands(z, "enwik5:20000");
  EXPECT_EQ(cmd.out, "enwik5:20000.zpaq");
  EXPECT_EQ(cmd.rt, "enwik5:20000.zpaq-m5.out");
  EXPECT_EQ(cmd.compress,
            (std::vector<std::string>{"zpaq", "a", "enwik5:20000.zpaq", "enwik5:20000", "-m5", "-threads", "1"}));
  EXPECT_EQ(cmd.decompress, (std::vector<std::string>{"zpaq", "x", "enwik5:20000.zpaq", "enwik5:20000", "-to",
                                                      "enwik5:20000.zpaq-m5.out", "-threads", "1"}));
  EXPECT_EQ(cmd.compress_shown, "zpaq a enwik5:20000.zpaq enwik5:20000 -m5 -threads 1");
  Row r = baseline_row("enwik5", "m5", 1, "zpaq 7.15");
  r.kind = "zpaq";
  EXPECT_EQ(r.label(), "zpaq -m5");
  EXPECT_EQ(tool_version("zpaq", "zpaq v7.15 journaling archiver, compiled Jan  5 2021"), "zpaq 7.15");
  EXPECT_EQ(tool_version("xz", "xz (XZ Utils) 5.4.1"), "xz 5.4.1");
  EXPECT_EQ(tool_version("bzip2", "bzip2, a block-sorting file compressor.  Version 1.0.8, 13-Jul-2019."),
            "bzip2 1.0.8");
  EXPECT_EQ(tool_version("zstd", "libzstd 1.5.4"), "libzstd 1.5.4");

  // the others: the program by its file name, standard output into a file
  const auto zstd = baseline_commands(baseline_named(all, "zstd-19"), "enwik6");
  EXPECT_EQ(zstd.compress, (std::vector<std::string>{"/opt/nncomp-bench-zstd", "-19", "enwik6", "enwik6.zst"}));
  EXPECT_EQ(zstd.compress_shown, "nncomp-bench-zstd -19 enwik6 enwik6.zst");
  const auto xz = baseline_commands(baseline_named(all, "xz-9e"), "enwik6");
  EXPECT_EQ(xz.compress_shown, "xz -9e -T1 -c -- enwik6 > enwik6.xz");
  EXPECT_EQ(xz.decompress_shown, "xz -dc -- enwik6.xz > enwik6.xz-9e.out");
}

TEST(BenchGrid, StatsGiveTheNeuralModelsOwnCost) {
  const std::string common = R"("coding_loss": 0.0001, "n_params": 24576, "version": "nncomp 0.2.0",
      "device_name": "Test CPU", "cpu_capability": "AVX2", "torch_version": "2.11.0", "cuda_version": "")";
  Row r = nncomp_row("enwik5", "tiny", 1, "cm");
  read_compress_stats("{" + common + R"(, "ideal_bits": 7000.0, "neural_ideal_bits": 8004.0, "mixer": "cm"})", r);
  ASSERT_TRUE(r.neural_bytes);
  EXPECT_DOUBLE_EQ(*r.neural_bytes, 1000.5);
  EXPECT_DOUBLE_EQ(*r.coding_loss_pct, 0.01);
  EXPECT_EQ(r.n_params, 24576);
  EXPECT_EQ(r.tool_version, "nncomp 0.2.0");
  EXPECT_EQ(r.cpu_capability, "AVX2");
  // the CM-only kind: 0 neural bits, no column value
  Row cm_only = nncomp_row("enwik5", "tiny", 1, "cm", "none");
  read_compress_stats("{" + common + R"(, "neural_ideal_bits": 0, "mixer": "cm"})", cm_only);
  EXPECT_FALSE(cm_only.neural_bytes);
  // an nncomp without the keys (format v1 only)
  Row old = nncomp_row("enwik5", "tiny", 1, "none");
  read_compress_stats("{" + common + "}", old);
  EXPECT_FALSE(old.neural_bytes);
  EXPECT_EQ(old.n_params, 24576);
  // the stats must name the mixer asked for
  Row other = nncomp_row("enwik5", "tiny", 1, "none");
  EXPECT_THROW(read_compress_stats("{" + common + R"(, "mixer": "cm"})", other), std::runtime_error);
  EXPECT_THROW(read_compress_stats(R"({"coding_loss": 0})", other), std::runtime_error);
  EXPECT_THROW(read_compress_stats("not json", other), std::runtime_error);
}

TEST(BenchReport, LabelsNameKindProfileMixerOrTool) {
  EXPECT_EQ(nncomp_row("a", "cpu", 1).label(), "gpt/cpu");
  EXPECT_EQ(nncomp_row("a", "cpu", 1, "cm", "rwkv").label(), "rwkv/cpu+cm");
  EXPECT_EQ(nncomp_row("a", "cpu", 1, "none", "rwkv").label(), "rwkv/cpu");
  EXPECT_EQ(nncomp_row("a", "tiny", 1, "cm", "none").label(), "none/tiny");
  Row gpu = nncomp_row("a", "fast", 1);
  gpu.device = "cuda";
  EXPECT_EQ(gpu.label(), "gpt/fast (cuda)");
  gpu.mixer = "cm";
  EXPECT_EQ(gpu.label(), "gpt/fast+cm (cuda)");
  EXPECT_EQ(baseline_row("a", "22 --long", 1, "libzstd 1").label(), "zstd -22 --long");
  EXPECT_EQ(legacy_mixer("nncomp", "gpt"), "none");
  EXPECT_EQ(legacy_mixer("nncomp", "none"), "cm");
  EXPECT_EQ(legacy_mixer("baseline", "zstd"), "");
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

TEST(BenchReport, CsvHasTheMixerAndTheNeuralBytes) {
  Row r = nncomp_row("enwik5", "tiny", 300, "cm");
  r.neural_bytes = 312.25;
  const std::string csv = to_csv({r});
  EXPECT_EQ(csv_cell(csv, "mixer"), "cm");
  EXPECT_EQ(csv_cell(csv, "neural_bytes"), "312.2") << csv;
  EXPECT_EQ(csv_cell(csv, "compressed_bytes"), "300");
  const std::string base = to_csv({baseline_row("enwik5", "19", 300, "z")});
  EXPECT_EQ(csv_cell(base, "mixer"), "");
  EXPECT_EQ(csv_cell(base, "neural_bytes"), "");
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

TEST(BenchReport, JsonKeepsTheMixerAndOlderFilesAreNeuralOnly) {
  Row cm = nncomp_row("enwik6", "cpu", 240, "cm", "rwkv");
  cm.neural_bytes = 251.5;
  const std::vector<Row> rows = {cm, nncomp_row("enwik6", "cpu", 250, "none", "rwkv"),
                                 nncomp_row("enwik6", "cpu", 245, "cm", "none"),
                                 baseline_row("enwik6", "19", 300, "libzstd 1.5.4")};
  auto doc = nlohmann::json::parse(to_json(rows, "cmd"));
  EXPECT_EQ(doc["runs"][0]["mixer"], "cm");
  EXPECT_DOUBLE_EQ(doc["runs"][0]["neural_bytes"].get<double>(), 251.5);
  EXPECT_TRUE(doc["runs"][1]["neural_bytes"].is_null());
  auto back = rows_from_json(doc.dump());
  EXPECT_EQ(to_csv(back), to_csv(rows));
  // a results file from before the mixer column
  for (auto& run : doc["runs"]) run.erase("mixer"), run.erase("neural_bytes");
  doc["runs"].erase(2);  // the CM-only kind did not exist then
  back = rows_from_json(doc.dump());
  ASSERT_EQ(back.size(), 3u);
  EXPECT_EQ(back[0].mixer, "none");
  EXPECT_EQ(back[0].label(), "rwkv/cpu");
  EXPECT_FALSE(back[0].neural_bytes);
  EXPECT_EQ(back[2].mixer, "");
}

TEST(BenchReport, MarkdownTableHasOneRowPerRun) {
  const std::string md = to_markdown({nncomp_row("enwik6", "cpu", 250), baseline_row("enwik6", "19", 300, "z")},
                                     "nncomp-bench enwik8:1e6");
  EXPECT_NE(md.find("| enwik6 | gpt/cpu | 2 | 1000 | 250 | - | 2.0000 | 4.000 | 12.5 | 11.0 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| enwik6 | zstd -19 | 1 | 1000 | 300 | - | 2.4000 |"), std::string::npos) << md;
  EXPECT_NE(md.find("+0.0100 %"), std::string::npos);
  EXPECT_NE(md.find("`nncomp-bench enwik8:1e6`"), std::string::npos);
}

TEST(BenchReport, MarkdownShowsTheNeuralCostBesideTheMixedSize) {
  Row cm = nncomp_row("enwik6", "cpu", 240, "cm", "rwkv");
  cm.neural_bytes = 251.5;
  const std::string md = to_markdown({cm, nncomp_row("enwik6", "cpu", 252, "none", "rwkv"),
                                      nncomp_row("enwik6", "cpu", 245, "cm", "none")},
                                     "nncomp-bench -m rwkv,none --mixers cm,none enwik8:1e6");
  EXPECT_NE(md.find("| compressed | neural alone | bpc |"), std::string::npos) << md;
  EXPECT_NE(md.find("| enwik6 | rwkv/cpu+cm | 2 | 1000 | 240 | 252 | 1.9200 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| enwik6 | rwkv/cpu | 2 | 1000 | 252 | - |"), std::string::npos) << md;
  EXPECT_NE(md.find("| enwik6 | none/cpu | 2 | 1000 | 245 | - |"), std::string::npos) << md;
  EXPECT_NE(md.find("`KIND/PROFILE+cm`"), std::string::npos) << "the labels are explained";
  EXPECT_EQ(to_markdown({baseline_row("enwik6", "19", 300, "z")}, "c").find("KIND/PROFILE"), std::string::npos)
      << "no nncomp run, no explanation";
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

TEST(BenchCheck, NeuralRunsFromAnotherCpuModelAreSkippedContextMixingAloneIsStillCompared) {
  std::vector<Row> committed = {nncomp_row("enwik5", "tiny", 4000, "cm", "rwkv"),
                                nncomp_row("enwik5", "tiny", 3000, "cm", "none")};
  for (auto& r : committed) r.device_name = "AMD EPYC";
  const std::string csv = to_csv(committed);
  auto here = committed;
  for (auto& r : here) r.device_name = "Intel(R) Xeon(R) Processor";  // 18 characters longer
  here[0].compressed_bytes = 4019;
  here[1].compressed_bytes = 3018;
  auto result = check_sizes(here, csv);
  EXPECT_TRUE(result.ok);
  ASSERT_EQ(result.lines.size(), 2u);
  EXPECT_EQ(result.lines[0].rfind("skipped", 0), 0u) << result.lines[0];
  EXPECT_EQ(result.lines[1].rfind("same", 0), 0u) << result.lines[1];
  here[1].compressed_bytes = 3017;  // the CM-only payload changed
  result = check_sizes(here, csv);
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.lines[1].find("DIFFERS"), std::string::npos) << result.lines[1];
  // on the same CPU model every byte counts
  auto same_machine = committed;
  same_machine[0].compressed_bytes = 4001;
  EXPECT_FALSE(check_sizes(same_machine, csv).ok);
}

TEST(BenchCheck, RunsMatchOnTheMixer) {
  const std::vector<Row> committed = {nncomp_row("enwik5", "tiny", 4000, "cm", "rwkv"),
                                      nncomp_row("enwik5", "tiny", 4100, "none", "rwkv"),
                                      nncomp_row("enwik5", "tiny", 4050, "cm", "none"),
                                      baseline_row("enwik5", "19", 2900, "libzstd 1.5.4")};
  const std::string csv = to_csv(committed);
  auto same = check_sizes(committed, csv);
  EXPECT_TRUE(same.ok);
  for (const auto& line : same.lines) EXPECT_EQ(line.rfind("same", 0), 0u) << line;
  // the sizes of the two mixers swapped: both differ
  auto swapped = committed;
  std::swap(swapped[0].compressed_bytes, swapped[1].compressed_bytes);
  auto result = check_sizes(swapped, csv);
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.lines[0].find("DIFFERS"), std::string::npos) << result.lines[0];
  EXPECT_NE(result.lines[0].find("rwkv/tiny+cm"), std::string::npos) << result.lines[0];
  EXPECT_NE(result.lines[1].find("DIFFERS"), std::string::npos) << result.lines[1];
  // a mixer the CSV does not hold
  auto only_none = to_csv({committed[1], committed[3]});
  result = check_sizes(committed, only_none);
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.lines[0].find("missing"), std::string::npos) << result.lines[0];
  EXPECT_EQ(result.lines[1].rfind("same", 0), 0u) << result.lines[1];
  EXPECT_NE(result.lines[2].find("missing"), std::string::npos) << result.lines[2];
}

TEST(BenchCheck, ACsvWithoutTheMixerColumnHoldsNeuralOnlyRuns) {
  // as committed before the mixer existed (format v1: the neural model alone)
  const std::vector<Row> old_rows = {nncomp_row("enwik5", "tiny", 4100, "none", "gpt"),
                                     baseline_row("enwik5", "19", 2900, "libzstd 1.5.4")};
  const std::string legacy = drop_columns(to_csv(old_rows), {"mixer", "neural_bytes"});
  const std::string header = legacy.substr(0, legacy.find('\n'));
  ASSERT_EQ(header.find("mixer"), std::string::npos) << header;
  ASSERT_EQ(header.find("neural_bytes"), std::string::npos) << header;
  std::vector<Row> now = {nncomp_row("enwik5", "tiny", 3900, "cm", "gpt"),
                          nncomp_row("enwik5", "tiny", 4100, "none", "gpt"),
                          baseline_row("enwik5", "19", 2900, "libzstd 1.5.4")};
  now[1].neural_bytes = 4090;
  const auto result = check_sizes(now, legacy);
  ASSERT_EQ(result.lines.size(), 3u);
  EXPECT_NE(result.lines[0].find("missing"), std::string::npos) << result.lines[0];
  EXPECT_EQ(result.lines[1].rfind("same", 0), 0u) << result.lines[1];
  EXPECT_EQ(result.lines[2].rfind("same", 0), 0u) << result.lines[2];
  EXPECT_FALSE(result.ok);
  EXPECT_TRUE(check_sizes({now[1], now[2]}, legacy).ok);
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

TEST(BenchPlot, MixedAndNeuralOnlyRunsAreSeriesOfTheirOwn) {
  const std::vector<Row> both = {nncomp_row("enwik6", "cpu", 240, "cm", "rwkv"),
                                 nncomp_row("enwik6", "cpu", 250, "none", "rwkv"),
                                 nncomp_row("enwik6", "cpu", 245, "cm", "none"),
                                 baseline_row("enwik6", "19", 300, "z")};
  const std::string gp = to_gnuplot(both, "p");
  EXPECT_NE(gp.find("\"enwik6: nncomp with context mixing\""), std::string::npos) << gp;
  EXPECT_NE(gp.find("\"enwik6: nncomp, neural model alone\""), std::string::npos) << gp;
  EXPECT_NE(gp.find("\"enwik6: baselines\""), std::string::npos) << gp;
  EXPECT_NE(gp.find("rwkv/cpu+cm"), std::string::npos) << gp;
  EXPECT_NE(gp.find("none/cpu"), std::string::npos) << gp;
  const std::string neural_only = to_gnuplot({both[1]}, "p");
  EXPECT_EQ(neural_only.find("context mixing"), std::string::npos) << neural_only;
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
