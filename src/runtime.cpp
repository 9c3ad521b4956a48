// runtime.cpp — see runtime.h.
#include "src/runtime.h"

#include <ATen/Context.h>
#include <ATen/Version.h>
#include <ATen/cuda/CUDAContext.h>
#include <cuda_runtime_api.h>
#include <torch/version.h>
#include <torch/torch.h>

#include <dlfcn.h>
#include <sched.h>
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

// The version ("13.1.0") of the cuBLAS or cuBLASLt library this process has
// loaded (LibTorch's, found by its `get_property` function; nncomp does not
// link them itself), or "unknown".
std::string loaded_blas_version(const char* get_property) {
  using GetProperty = int (*)(int /*libraryPropertyType*/, int*);  // returns a status, 0 = success
  const auto fn = reinterpret_cast<GetProperty>(dlsym(RTLD_DEFAULT, get_property));
  if (!fn) return "unknown";
  int v[3] = {0, 0, 0};  // MAJOR_VERSION, MINOR_VERSION, PATCH_LEVEL
  for (int i = 0; i < 3; ++i)
    if (fn(i, &v[i]) != 0) return "unknown";
  return std::to_string(v[0]) + "." + std::to_string(v[1]) + "." + std::to_string(v[2]);
}

// The environment variables that choose cuBLAS/cuBLASLt kernels or their
// workspaces, and so the bits of a matrix product: forced to one value (the
// fixed workspace configuration), never inherited from the caller's
// environment. Before the first cuBLAS call of the process.
void force_cublas_environment() {
  setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8", /*overwrite=*/1);
  for (const char* name : {"CUBLASLT_WORKSPACE_SIZE", "DISABLE_ADDMM_CUDA_LT", "CUBLAS_EMULATION_STRATEGY"})
    unsetenv(name);
}

// Settings the GPU path needs for bit-identical replay (docs/gpu.md, "Determinism"):
// deterministic algorithms with errors (not warnings) for ops that have no
// deterministic implementation, IEEE float32 matmuls (no TF32), cuDNN
// deterministic and not benchmarking, and the math SDPA backend only (the
// models compute attention themselves; this guards against a later change).
void apply_cuda_settings() {
  auto& ctx = at::globalContext();
  ctx.setDeterministicCuDNN(true);
  ctx.setBenchmarkCuDNN(false);
  // The 2.9+ precision API only (mixing it with the legacy TF32 switches is refused).
  for (auto op : {at::Float32Op::MATMUL, at::Float32Op::CONV, at::Float32Op::RNN})
    ctx.setFloat32Precision(at::Float32Backend::CUDA, op, at::Float32Precision::IEEE);
  ctx.setSDPUseFlash(false);
  ctx.setSDPUseMemEfficient(false);
  ctx.setSDPUseCuDNN(false);
  ctx.setSDPUseMath(true);
}

// The start-up self-check: every setting read back, and a small computation
// with reductions run twice on the device must give the same bits.
void check_cuda_settings() {
  auto& ctx = at::globalContext();
  std::string wrong;
  auto need = [&](bool ok, const char* what) {
    if (!ok) wrong += std::string(wrong.empty() ? "" : ", ") + what;
  };
  need(ctx.deterministicAlgorithms(), "deterministic algorithms");
  need(!ctx.deterministicAlgorithmsWarnOnly(), "errors (not warnings) for nondeterministic ops");
  need(ctx.deterministicCuDNN(), "deterministic cuDNN");
  need(!ctx.benchmarkCuDNN(), "cuDNN benchmarking off");
  for (auto op : {at::Float32Op::MATMUL, at::Float32Op::CONV, at::Float32Op::RNN})
    need(ctx.float32Precision(at::Float32Backend::CUDA, op) == at::Float32Precision::IEEE,
         "IEEE float32 (no TF32)");
  need(!ctx.userEnabledFlashSDP() && !ctx.userEnabledMemEfficientSDP() &&
           !ctx.userEnabledCuDNNSDP(),
       "fused attention backends off");
  if (!wrong.empty())
    throw Error(ErrorKind::kInternal, "GPU determinism self-check: not in force: " + wrong);
  const auto on = torch::TensorOptions().device(torch::kCUDA).dtype(torch::kFloat32);
  auto probe = [&] {
    auto a = torch::linspace(-1.0, 1.0, 257 * 193, on).view({257, 193});
    auto b = torch::sin(torch::linspace(0.0, 40.0, 193 * 131, on)).view({193, 131});
    auto c = torch::softmax(torch::matmul(a, b), -1);
    return torch::cat({c.sum(0), c.square().sum(1), c.cumsum(1).flatten().slice(0, 0, 64)});
  };
  const auto first = probe(), second = probe();
  if (!torch::equal(first, second))
    throw Error(ErrorKind::kInternal,
                "GPU determinism self-check: the same computation gave different bits twice");
}

}  // namespace

void init_runtime(Device device, uint32_t threads) {
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
  if (threads == 0) throw Error(ErrorKind::kUsage, "--threads must be at least 1");
  if (device == Device::kCuda) {
    if (!torch::cuda::is_available())
      throw Error(ErrorKind::kUnsupported, "device cuda: no CUDA GPU is visible to this process");
    static std::once_flag cuda_once;
    std::call_once(cuda_once, [] {
      force_cublas_environment();
      apply_cuda_settings();
    });
    check_cuda_settings();
  }
  at::set_num_threads(static_cast<int>(threads));
  if (!at::globalContext().deterministicAlgorithms())
    throw Error(ErrorKind::kInternal, "deterministic algorithms could not be enabled");
}

Fingerprint current_fingerprint(const std::string& device, uint32_t threads) {
  pin_cpu_code_paths();  // the capability reported must be the one used
  Fingerprint fp;
  fp.device_kind = device;
  fp.device_name = cpu_model_name();
  if (device == "cuda") {
    // GPU, SM count and CUDA runtime: cuBLAS promises the same bits only on
    // the same architecture with the same number of SMs and the same toolkit.
    fp.device_name = "no CUDA GPU";
    if (torch::cuda::is_available()) {
      const cudaDeviceProp* prop = at::cuda::getCurrentDeviceProperties();
      fp.device_name = std::string(prop->name)
                           .append(" (sm_")
                           .append(std::to_string(prop->major * 10 + prop->minor))
                           .append(")");
      fp.sm_count = static_cast<uint32_t>(prop->multiProcessorCount);
    }
    // The CUDA runtime and the cuBLAS/cuBLASLt builds: a product's bits
    // depend on the library's kernels.
    int runtime = 0;
    if (cudaRuntimeGetVersion(&runtime) == cudaSuccess && runtime > 0)
      fp.cuda_version = std::to_string(runtime / 1000) + "." + std::to_string(runtime % 1000 / 10);
    fp.cuda_version += ", cuBLAS " + loaded_blas_version("cublasGetProperty") + ", cuBLASLt " +
                       loaded_blas_version("cublasLtGetProperty");
  }
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
  if (file.device_kind == "cuda" && here.device_kind == "cuda") {  // the GPU itself matters
    cmp("GPU", file.device_name, here.device_name);
    cmp("SMs", std::to_string(file.sm_count), std::to_string(here.sm_count));
  }
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

uint64_t gpu_memory_bytes() {
  if (!torch::cuda::is_available()) return 0;
  return static_cast<uint64_t>(at::cuda::getCurrentDeviceProperties()->totalGlobalMem);
}

uint32_t hardware_threads() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
    return static_cast<uint32_t>(CPU_COUNT(&set));
  const long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<uint32_t>(n) : 1;
}

uint64_t physical_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page) : 0;
}

std::string version() {
  return std::string("nncomp ") + NNCOMP_VERSION + " (LibTorch " + TORCH_VERSION + ")";
}

}  // namespace nncomp
