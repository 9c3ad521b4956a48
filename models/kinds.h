// kinds.h — the model kinds as data: one row per kind, without LibTorch.
//
// Everything the rest of nncomp needs to know about a kind without building
// it lives in its row (kinds.cpp): its name, whether it takes a context
// window, the shapes it accepts, its parameter, memory and FLOP counts and
// its named profiles. The container's checks, the memory estimate, the
// profiles, nncomp-flops, the CLI's help and the model factory's messages all
// read this table; the factory that builds a kind's LibTorch module is
// models/model_table.cpp. A new kind is its own model files, one row here,
// one factory line there and its golden files.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>

#include "nncomp/config.h"

namespace nncomp::models {

/// Arithmetic per coded byte of a run, in FLOPs (2 per multiply-add of the
/// matrix products; elementwise work, norms and softmax are left out):
///   step     one prediction (dense matrices, attention or recurrence, head);
///   context  rebuilding the step cache from the context window, spread over
///            the seg_len bytes of a segment (0 for a kind without a window);
///   train    forward + backward of the segment, ≈ 3 × step;
///   optim    Muon's Newton–Schulz iterations (4·m²·n + 2·m³ per iteration for
///            an m×n block, m ≤ n), spread over the n_streams·seg_len bytes of
///            a segment.
struct KindWork {
  double step = 0, context = 0, train = 0, optim = 0;
  double params = 0;  ///< weights in the matrices and the embedding/head tables
};

/// One model kind. Every function takes a configuration of this kind that
/// passes config_problem (src/config_rules.h).
struct KindSpec {
  ModelKind kind;
  const char* name;     ///< as on the command line and in `nncomp info`
  const char* summary;  ///< one line for help texts
  /// false: the kind carries a recurrent state instead, and ctx_len must be 0.
  bool takes_context;
  /// Accepted head_dim = d_model / n_head values; empty: any that divides.
  std::span<const uint32_t> head_dims;
  /// head_dim must be even (rotary embeddings rotate pairs of channels).
  bool even_head_dim;
  /// Scalar parameters of the model (matrices, embedding, head, vectors).
  double (*n_params)(const ModelConfig&);
  /// An upper bound of the bytes the model's run needs beyond its weights:
  /// the step cache or recurrent state, the context rebuild's temporaries and
  /// the training activations kept for backward (measured against peak RSS
  /// by tests/memory_bound.sh).
  double (*run_bytes)(const Config&);
  /// FLOPs per coded byte.
  KindWork (*work)(const Config&);
  /// The kind's named profiles (`tiny` for tests, `cpu`, and for a GPU
  /// `fast` and `default`).
  const std::map<std::string, Config>& (*profiles)();
};

/// All kinds: the neural ones in the order of their numeric values, then
/// `none` (no neural model, context mixing alone).
std::span<const KindSpec> kind_table();

/// The row of `kind`, or nullptr if no kind has that value.
const KindSpec* find_kind(ModelKind kind);
/// The row named `name`, or nullptr.
const KindSpec* find_kind(std::string_view name);

/// "gpt, rwkv, ngpt": the names in table order, for messages.
std::string kind_names();
/// "1 gpt, 2 rwkv, 3 ngpt": the stored values with their names, for messages.
std::string kind_values();

}  // namespace nncomp::models
