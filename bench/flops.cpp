// flops.cpp — nncomp-flops: the arithmetic a profile needs per coded byte, and
// the time floor it sets for 10^8 bytes on a GPU of a given peak.
//
// Counts multiply-adds of the matrix products as 2 FLOPs each (elementwise
// work, norms and softmax are left out: they are latency, not arithmetic):
//   step     one prediction: per layer the dense matrices, plus attention over
//            the window (gpt, ngpt: 4·d per position attended, on average
//            ctx_len + seg_len/2 positions) or the wkv recurrence (rwkv:
//            ≈ 8·N² per head), plus the 256-way head;
//   context  gpt, ngpt: begin_segment's forward over ctx_len positions per
//            stream, spread over the seg_len bytes of the segment;
//   train    forward + backward of the segment ≈ 3 × the step's work;
//   optim    Muon's Newton–Schulz iterations (4·m²·n + 2·m³ per iteration
//            for an m×n block, m ≤ n) per optimizer step, spread over the
//            n_streams·seg_len bytes of a segment.
// The time floor divides the total for 10^8 bytes by the peak rate given
// (default 67 TFLOP/s: the H100 SXM's float32 rate without tensor cores,
// which is what IEEE float32 matmuls get). The weight-read floor is one read
// of the weights per step from memory at the bandwidth given (default
// 3.35 TB/s, the H100 SXM's HBM3), 10^8 / n_streams steps.
#include <boost/program_options.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <string>
#include <vector>

#include "bench/bench.h"
#include "models/rwkv_lora.h"
#include "nncomp/nncomp.h"

namespace {

struct Work {
  double step = 0, context = 0, train = 0, optim = 0;  // FLOPs per coded byte
  double params = 0;                                   // weights in the matrices and tables
};

// Newton–Schulz FLOPs of `blocks` blocks of rows×cols, `iters` iterations.
double ns_flops(double rows, double cols, double blocks, double iters) {
  const double m = std::min(rows, cols), n = std::max(rows, cols);
  return blocks * iters * (4 * m * m * n + 2 * m * m * m);
}

Work work_of(const nncomp::Config& c) {
  const auto& m = c.model;
  const auto& e = c.engine;
  const double d = m.d_model, L = m.n_layer, f = m.ffn_mult * d, V = 256;
  const double S = e.seg_len, C = e.ctx_len, B = e.n_streams, ns = c.optim.ns_steps;
  const double head = 2 * V * d;
  double dense = 0, mixer = 0, optim_seg = 0, matrices = 0;
  switch (m.kind) {
    case nncomp::ModelKind::kGpt:
      dense = 2 * (4 * d * d + 2 * d * f);
      mixer = 4 * d * (C + S / 2);
      optim_seg = L * (ns_flops(d, d, 3, ns) + ns_flops(d, d, 1, ns) + 2 * ns_flops(f, d, 1, ns));
      matrices = L * (4 * d * d + 2 * d * f);
      break;
    case nncomp::ModelKind::kNgpt:
      dense = 2 * (4 * d * d + 3 * d * f);
      mixer = 4 * d * (C + S / 2);
      optim_seg = L * (ns_flops(d, d, 3, ns) + ns_flops(d, d, 1, ns) + ns_flops(f, d, 2, ns) +
                       ns_flops(d, f, 1, ns));
      matrices = L * (4 * d * d + 3 * d * f);
      break;
    case nncomp::ModelKind::kRwkv: {
      const auto r = nncomp::models::rwkv_lora_ranks(m.d_model);
      const double lora = static_cast<double>(r.w + r.a + r.v + r.g);
      const double N = d / m.n_head;
      dense = 2 * (4 * d * d + 2 * d * f + 2 * d * lora);
      mixer = 8 * N * d;
      optim_seg = L * (ns_flops(d, d, 3, ns) + ns_flops(d, d, 1, ns) + 2 * ns_flops(f, d, 1, ns));
      matrices = L * (4 * d * d + 2 * d * f + 2 * d * lora);
      break;
    }
  }
  Work w;
  w.step = L * (dense + mixer) + head;
  w.context = C > 0 ? C / S * L * (dense + 4 * d * C / 2) : 0;
  w.train = 3 * w.step;
  w.optim = optim_seg / (B * S);
  w.params = matrices + 2 * V * d;
  return w;
}

}  // namespace

int main(int argc, char** argv) {
  namespace po = boost::program_options;
  std::string models, profiles;
  double peak_tflops = 0, bandwidth_tbs = 0, bytes = 0;
  po::options_description opts(
      "usage: nncomp-flops [options]\nFLOPs per coded byte of each profile and the time floor for "
      "--bytes bytes.\nOptions");
  opts.add_options()
      ("help,h", "show this help")
      ("models,m", po::value(&models)->default_value("gpt,ngpt,rwkv"), "model kinds, comma-separated")
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
  try {
    for (const auto& kind : nncomp::bench::split_list(models))
      for (const auto& name : nncomp::bench::split_list(profiles)) {
        const nncomp::Config c = nncomp::profile(kind, name);
        const Work w = work_of(c);
        const double total = w.step + w.context + w.train + w.optim;
        const double steps = bytes / c.engine.n_streams;
        fmt::print("| {}/{} | {}×{} | {}·{}·{} | {:.2f} M | {:.0f} k | {:.0f} k | {:.0f} k | {:.0f} k | "
                   "{:.0f} | {:.0f} | {:.1f} |\n",
                   kind, name, c.model.n_layer, c.model.d_model, c.engine.n_streams, c.engine.seg_len,
                   c.engine.ctx_len, w.params / 1e6, w.step / 1e3, w.context / 1e3, w.train / 1e3,
                   w.optim / 1e3, total / 1e3, total * bytes / (peak_tflops * 1e12),
                   steps * w.params * 4 / (bandwidth_tbs * 1e12));
      }
  } catch (const nncomp::Error& e) {
    std::cerr << "nncomp-flops: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
