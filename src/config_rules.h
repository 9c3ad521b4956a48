// config_rules.h — which configurations nncomp accepts, and what a run of
// one costs in memory. Fed by the kind table (models/kinds.h); plain C++ (no
// LibTorch), shared by the container's reader and writer (which refuse a
// header whose configuration breaks a rule) and the public API (which refuses
// such a configuration before compressing, and a run the machine cannot hold).
#pragma once

#include <cstdint>
#include <string>

#include "nncomp/config.h"

namespace nncomp {

/// "" if every field of `config` is within the bounds the format accepts
/// (docs/FORMAT.md, table and "Validation order"), else a one-line problem
/// naming the field. Fields are checked in the order of the byte layout; the
/// kind's own rules (context window, head sizes) come from its row in the
/// kind table.
std::string config_problem(const Config& config);

/// About how many bytes of memory a run of `config` on an input of
/// `original_size` bytes needs: float32 weights with gradients and two
/// optimizer moments (16 bytes per parameter of the kind), the kind's step
/// cache or recurrent state and training activations, and the input and
/// output buffers (2 bytes per input byte). An estimate for refusing absurd
/// files before allocating, not an exact figure. Requires a config that
/// passes config_problem.
double memory_estimate(const Config& config, uint64_t original_size);

}  // namespace nncomp
