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

/// The segment count per divergence checkpoint of an input of `size` bytes:
/// enough segments to cover max(64 KiB, size/256) bytes, at least one and at
/// most 2^32 − 1 (the header's u32 field). The encoder writes it and the
/// reader requires exactly it (docs/FORMAT.md, "Checkpoints"), so that a
/// diverging decode stops within max(64 KiB, size/256) bytes even for a
/// hostile file. Requires n_streams, seg_len ≥ 1.
uint32_t choose_checkpoint_segments(uint64_t size, const EngineConfig& engine);

/// An upper bound of the peak memory (bytes) of a run of `config` on an input
/// of `original_size` bytes: the process's baseline, float32 weights with
/// gradients and two optimizer moments (16 bytes per parameter of the kind)
/// and Muon's temporaries, the kind's step cache or recurrent state, context
/// and training activations (KindSpec::run_bytes), the engine's per-stream
/// buffers, and 3 bytes per input byte. The formula is in docs/FORMAT.md
/// ("Memory"); tests/memory_bound.sh holds it against measured peaks. It
/// decides whether a file is decoded on this machine, so it errs high.
/// Requires a config that passes config_problem.
double memory_estimate(const Config& config, uint64_t original_size);

}  // namespace nncomp
