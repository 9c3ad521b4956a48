// nncomp/config.h — the plain structs that fully describe a compression run.
//
// Everything that shapes the computation lives here and is written into the
// container header (docs/FORMAT.md), so that `nncomp d` needs no flags.
// Profiles (profiles.cpp) fill these structs; CLI overrides edit single fields.
#pragma once

#include <cstdint>
#include <string>

namespace nncomp {

/// Model families. The numeric value is stored in the container (1 byte);
/// never renumber. Source of each family: see models/model_table.cpp.
enum class ModelKind : uint8_t {
  kNone = 0,  ///< no neural model: context mixing alone (MixerConfig, format v2)
  kGpt = 1,   ///< modern GPT: RoPE, RMSNorm, QK-norm, ReLU² (nanochat-style)
  kRwkv = 2,  ///< RWKV-7 style recurrent model, arXiv 2503.14456 (models/rwkv.h)
  kNgpt = 3,  ///< normalized transformer, arXiv 2410.01131 (models/ngpt.h)
};

/// Shape of the model. Fields a kind does not use are stored as written.
struct ModelConfig {
  ModelKind kind = ModelKind::kGpt;
  uint32_t n_layer = 4;
  uint32_t d_model = 128;
  uint32_t n_head = 2;        ///< head_dim = d_model / n_head
  uint32_t ffn_mult = 4;      ///< MLP hidden width = ffn_mult * d_model (ngpt: each of u, v)
  double rope_base = 1024.0;  ///< RoPE base frequency (gpt, ngpt)
  double logit_cap = 15.0;    ///< gpt, rwkv: logits = cap * tanh(logits / cap); 0 disables
  bool operator==(const ModelConfig&) const = default;
};

/// How the input is cut and scanned (docs/FORMAT.md, "Streams").
struct EngineConfig {
  uint32_t n_streams = 16;  ///< contiguous streams coded in lockstep (batch)
  uint32_t seg_len = 32;    ///< steps per stream between optimizer steps
  uint32_t ctx_len = 64;    ///< tokens of context before each segment (rwkv: 0, it carries its state)
  bool operator==(const EngineConfig&) const = default;
};

/// Optimizer and learning-rate schedule. Muon for 2-D hidden matrices
/// (Jordan et al. 2024), AdamW (Loshchilov & Hutter 2019) for embeddings,
/// head and scalars. Schedule: linear warm-up over `warmup_steps` optimizer
/// steps, then linear interpolation from lr to lr·lr_end_frac over the file.
struct OptimConfig {
  double muon_lr = 0.02;
  double muon_momentum = 0.95;  ///< Nesterov momentum
  uint32_t ns_steps = 5;        ///< Newton–Schulz iterations
  double adam_lr = 3e-3;
  double adam_beta1 = 0.9;
  double adam_beta2 = 0.99;
  double adam_eps = 1e-8;
  double weight_decay = 0.0;  ///< decoupled, on Muon matrices only
  uint32_t warmup_steps = 0;
  double lr_end_frac = 0.5;  ///< lr at the end of the file, as a fraction
  bool operator==(const OptimConfig&) const = default;
};

/// How the model's predictions become bits.
enum class MixerMode : uint8_t {
  kNone = 0,           ///< format v1: each byte range-coded with the model's 256-symbol table
  kContextMixing = 1,  ///< format v2: bit by bit, the model's distribution mixed with context models
};

/// The context-mixing stage (format v2; docs/mix.md specifies rule 1 and
/// every field). The defaults are the tuned configuration; the writer shrinks
/// the tables for small inputs (mix::sized_for) and stores what it used.
struct MixerConfig {
  MixerMode mode = MixerMode::kContextMixing;
  uint8_t rule_version = 1;         ///< the mixing rule, 1
  uint8_t neural = 1;               ///< 1: mix the neural model's distribution (0 for model kind none)
  uint8_t log2_slot_bytes = 27;     ///< shared bit-history table, 2^n bytes
  uint8_t log2_match = 22;          ///< match index, 2^n entries of 4 bytes
  uint8_t log2_private_bytes = 20;  ///< each stream's private table at most 2^n bytes
  uint8_t log2_private_total = 26;  ///< all private tables together at most 2^n bytes
  uint8_t match_min = 7;            ///< minimum verified match length, bytes
  uint8_t mixer_lr = 7;             ///< layer-1 mixer learning rate
  uint8_t final_lr = 2;             ///< final mixer learning rate
  uint8_t sm_limit = 127;           ///< context cells' count limit / 8
  uint32_t models = 0x33FDF;        ///< shared context models (mix::ModelBit mask)
  uint32_t private_models = 0xE0F;  ///< per-stream context models (mix::ModelBit mask)
  bool operator==(const MixerConfig&) const = default;
};

/// Everything that determines the compressed bytes, besides the input and
/// the compute fingerprint.
struct Config {
  ModelConfig model;
  EngineConfig engine;
  OptimConfig optim;
  uint64_t seed = 1;
  MixerConfig mixer;
  bool operator==(const Config&) const = default;
};

}  // namespace nncomp
