// runtime.h — process-wide compute settings and the compute fingerprint.
//
// Bit-identical replay needs the same kernels with the same reduction order in
// encoder and decoder: deterministic algorithms on, a fixed intra-op thread
// count, and on x86 the ATen kernel capability pinned to AVX2 (and MKL's
// conditional numerical reproducibility branch to AVX2) so that machines with
// and without AVX-512 run the same code paths (README, "Format and portability").
#pragma once

#include <cstdint>
#include <string>

#include "nncomp/fingerprint.h"
#include "src/device.h"

namespace nncomp {

/// Apply the settings for `device` and `threads` (≥ 1); for kCuda also the
/// GPU determinism settings (docs/gpu.md, "Determinism"), then a self-check
/// that reads them back and runs a small computation twice on the device,
/// comparing bits. Throws Error(kUsage) for 0 threads, kUnsupported if no GPU
/// is visible, kInternal if the self-check fails.
void init_runtime(Device device, uint32_t threads);

/// Throw Error(kFingerprint) naming every difference between the fingerprint
/// a file was made with and the current one, unless `force`; returns the
/// differences ("" if none). A CPU's name is informative and not compared
/// (its kernel capability is); a GPU's name and SM count are.
std::string check_fingerprint(const Fingerprint& file, const Fingerprint& here, bool force);

/// Hardware threads this process may run on (its CPU affinity; at least 1).
uint32_t hardware_threads();

/// Physical memory of this machine in bytes (0 if unknown).
uint64_t physical_memory_bytes();

/// Memory of the current CUDA GPU in bytes (0 if none is visible).
uint64_t gpu_memory_bytes();

}  // namespace nncomp
