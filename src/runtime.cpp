// runtime.cpp — see runtime.h.
#include "src/runtime.h"

#include <ATen/Context.h>
#include <ATen/Version.h>
#include <torch/version.h>
#include <torch/torch.h>

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <mutex>

#include "nncomp/error.h"
#include "nncomp/nncomp.h"

#ifndef NNCOMP_VERSION
#define NNCOMP_VERSION "unknown"
#endif

namespace nncomp {
namespace {

void pin_cpu_code_paths() {
#if defined(__x86_64__)
  // Must happen before the first ATen/MKL call of the process; respects a
  // value the user set explicitly.
  if (__builtin_cpu_supports("avx2")) {
    setenv("ATEN_CPU_CAPABILITY", "avx2", /*overwrite=*/0);
    setenv("MKL_CBWR", "AVX2", /*overwrite=*/0);
  }
#endif
}

std::string cpu_model_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  return "unknown cpu";
}

}  // namespace

void init_runtime(const std::string& device, uint32_t threads) {
  static std::once_flag once;
  std::call_once(once, [] {
    pin_cpu_code_paths();
    auto& ctx = at::globalContext();
    ctx.setDeterministicAlgorithms(true, /*warn_only=*/false);
    ctx.setDeterministicMkldnn(true);
    try {
      at::set_num_interop_threads(1);
    } catch (const c10::Error&) {  // already fixed by an earlier use in this process
    }
  });
  if (device == "cuda") {
    if (!torch::cuda::is_available())
      throw Error(ErrorKind::kUnsupported, "--device cuda: no CUDA GPU is visible to this process");
    throw Error(ErrorKind::kUnsupported,
                "--device cuda: the GPU engine is not part of this version yet; use --device cpu");
  }
  if (device != "cpu") throw Error(ErrorKind::kUsage, "unknown device '" + device + "' (cpu, cuda)");
  if (threads == 0) throw Error(ErrorKind::kUsage, "--threads must be at least 1");
  at::set_num_threads(static_cast<int>(threads));
  if (!at::globalContext().deterministicAlgorithms())
    throw Error(ErrorKind::kInternal, "deterministic algorithms could not be enabled");
}

Fingerprint current_fingerprint(const std::string& device, uint32_t threads) {
  pin_cpu_code_paths();  // the capability reported must be the one used
  Fingerprint fp;
  fp.device_kind = device;
  fp.device_name = cpu_model_name();
  fp.cpu_capability = at::get_cpu_capability();
  fp.torch_version = TORCH_VERSION;
  fp.build = NNCOMP_VERSION;
  fp.threads = threads;
  return fp;
}

std::string check_fingerprint(const Fingerprint& file, const Fingerprint& here, bool force) {
  std::string diffs;
  auto cmp = [&](const char* what, const std::string& a, const std::string& b) {
    if (a != b) diffs += std::string(diffs.empty() ? "" : "; ") + what + " '" + a + "' here '" + b + "'";
  };
  cmp("device", file.device_kind, here.device_kind);
  cmp("cpu capability", file.cpu_capability, here.cpu_capability);
  cmp("LibTorch", file.torch_version, here.torch_version);
  cmp("CUDA", file.cuda_version, here.cuda_version);
  cmp("nncomp", file.build, here.build);
  cmp("threads", std::to_string(file.threads), std::to_string(here.threads));
  if (!diffs.empty() && !force)
    throw Error(ErrorKind::kFingerprint,
                "made on another device/build: file " + diffs +
                    " (decoding would almost surely fail; --force tries anyway)");
  return diffs;
}

uint64_t physical_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page) : 0;
}

std::string version() {
  return std::string("nncomp ") + NNCOMP_VERSION + " (LibTorch " + TORCH_VERSION + ")";
}

}  // namespace nncomp
