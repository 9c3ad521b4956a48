// nncomp/fingerprint.h — what a container's numbers were computed on.
#pragma once

#include <cstdint>
#include <string>

namespace nncomp {

/// What the numbers were computed on. Decoding on a different fingerprint is
/// refused unless forced (see RunOptions::force).
struct Fingerprint {
  std::string device_kind;     ///< "cpu" or "cuda"
  std::string device_name;     ///< CPU model name (informative) or GPU name and "(sm_XY)" (compared)
  std::string cpu_capability;  ///< ATen CPU kernel capability, e.g. "AVX2"
  std::string torch_version;   ///< LibTorch version, e.g. "2.11.0"
  std::string cuda_version;    ///< CUDA runtime version, "" on CPU builds
  std::string build;           ///< nncomp version that wrote the file
  uint32_t threads = 1;        ///< intra-op threads used for the model
  uint32_t sm_count = 0;       ///< GPU multiprocessors (compared), 0 on CPU
};

}  // namespace nncomp
