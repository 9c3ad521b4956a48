// runtime.h — process-wide compute settings and the compute fingerprint.
//
// Bit-identical replay needs the same kernels with the same reduction order in
// encoder and decoder: deterministic algorithms on, a fixed intra-op thread
// count, and on x86 the ATen kernel capability pinned to AVX2 (and MKL's
// conditional numerical reproducibility branch to AVX2) so that machines with
// and without AVX-512 run the same code paths (tech brief §1.5).
#pragma once

#include <cstdint>
#include <string>

#include "nncomp/fingerprint.h"

namespace nncomp {

/// Apply the settings for `device` ("cpu"/"cuda") and `threads` (≥ 1).
/// Throws Error(kUnsupported) if the device cannot be used by this build.
void init_runtime(const std::string& device, uint32_t threads);

/// Throw Error(kFingerprint) naming every difference between the fingerprint
/// a file was made with and the current one, unless `force`; returns the
/// differences ("" if none). Device name is informative and not compared.
std::string check_fingerprint(const Fingerprint& file, const Fingerprint& here, bool force);

/// Physical memory of this machine in bytes (0 if unknown).
uint64_t physical_memory_bytes();

}  // namespace nncomp
