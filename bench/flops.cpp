// flops.cpp — nncomp-flops: the arithmetic a profile needs per coded byte, and
// the time floor it sets for 10^8 bytes on a GPU of a given peak.
//
// The counts are the kind table's (models/kinds.h, KindWork): multiply-adds
// of the matrix products as 2 FLOPs each, per coded byte, split into step
// (per layer the dense matrices, plus attention over the window for gpt and
// ngpt, 4·d per position attended on average over ctx_len + seg_len/2
// positions, or the wkv recurrence for rwkv, ≈ 8·N² per head; plus the head),
// context (rebuilding the step cache), train (≈ 3 × step) and optim (Muon's
// Newton–Schulz iterations spread over a segment's bytes).
// The time floor divides the total for 10^8 bytes by the peak rate given
// (default 67 TFLOP/s: the H100 SXM's float32 rate without tensor cores,
// which is what IEEE float32 matmuls get). The weight-read floor is one read
// of the weights per step from memory at the bandwidth given (default
// 3.35 TB/s, the H100 SXM's HBM3), 10^8 / n_streams steps.
#include <boost/program_options.hpp>
#include <fmt/format.h>

#include <iostream>
#include <string>

#include "bench/bench.h"
#include "models/kinds.h"

int main(int argc, char** argv) {
  namespace po = boost::program_options;
  std::string all_kinds;
  for (const auto& k : nncomp::models::kind_table())
    all_kinds.append(all_kinds.empty() ? "" : ",").append(k.name);
  std::string models, profiles;
  double peak_tflops = 0, bandwidth_tbs = 0, bytes = 0;
  po::options_description opts(
      "usage: nncomp-flops [options]\nFLOPs per coded byte of each profile and the time floor for "
      "--bytes bytes.\nOptions");
  opts.add_options()
      ("help,h", "show this help")
      ("models,m", po::value(&models)->default_value(all_kinds), "model kinds, comma-separated")
      ("profiles,p", po::value(&profiles)->default_value("fast,default"), "profiles, comma-separated")
      ("peak-tflops", po::value(&peak_tflops)->default_value(67), "arithmetic peak, TFLOP/s")
      ("bandwidth-tbs", po::value(&bandwidth_tbs)->default_value(3.35), "memory bandwidth, TB/s")
      ("bytes", po::value(&bytes)->default_value(1e8), "input size, bytes");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, opts), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "nncomp-flops: " << e.what() << "\n";
    return 2;
  }
  if (vm.count("help")) {
    std::cout << opts;
    return 0;
  }
  if (!(peak_tflops > 0) || !(bandwidth_tbs > 0) || !(bytes > 0)) {
    std::cerr << "nncomp-flops: rates and --bytes must be positive\n";
    return 2;
  }
  fmt::print("FLOPs per coded byte (matrix products, 2 per multiply-add); floors for {:.0e} bytes at "
             "{} TFLOP/s and {} TB/s\n\n",
             bytes, peak_tflops, bandwidth_tbs);
  fmt::print("| kind/profile | n_layer×d_model | n_streams·seg_len·ctx_len | weights | step | context | "
             "train | optim | total kFLOP/B | FLOP floor s | weight-read floor s |\n");
  fmt::print("|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (const auto& kind : nncomp::bench::split_list(models)) {
    const nncomp::models::KindSpec* spec = nncomp::models::find_kind(kind);
    if (!spec) {
      std::cerr << "nncomp-flops: unknown model kind '" << kind << "' (known: "
                << nncomp::models::kind_names() << ")\n";
      return 2;
    }
    for (const auto& name : nncomp::bench::split_list(profiles)) {
      const auto& table = spec->profiles();
      const auto it = table.find(name);
      if (it == table.end()) {
        std::cerr << "nncomp-flops: model " << kind << " has no profile '" << name << "'\n";
        return 2;
      }
      const nncomp::Config& c = it->second;
      const nncomp::models::KindWork w = spec->work(c);
        const double total = w.step + w.context + w.train + w.optim;
        const double steps = bytes / c.engine.n_streams;
        fmt::print("| {}/{} | {}×{} | {}·{}·{} | {:.2f} M | {:.0f} k | {:.0f} k | {:.0f} k | {:.0f} k | "
                   "{:.0f} | {:.0f} | {:.1f} |\n",
                   kind, name, c.model.n_layer, c.model.d_model, c.engine.n_streams, c.engine.seg_len,
                   c.engine.ctx_len, w.params / 1e6, w.step / 1e3, w.context / 1e3, w.train / 1e3,
                   w.optim / 1e3, total / 1e3, total * bytes / (peak_tflops * 1e12),
                   steps * w.params * 4 / (bandwidth_tbs * 1e12));
    }
  }
  return 0;
}
