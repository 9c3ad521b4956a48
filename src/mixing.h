// mixing.h — the public MixerConfig (include/nncomp/config.h) as the mix
// library's configuration, and the rules that join the two.
#pragma once

#include <string>

#include "mix/config.h"
#include "nncomp/config.h"

namespace nncomp {

/// The rule-1 parameters of `m` (its mode aside) as mix::Config.
inline mix::Config to_mix(const MixerConfig& m) {
  mix::Config c;
  c.rule_version = m.rule_version;
  c.neural = m.neural;
  c.log2_slot_bytes = m.log2_slot_bytes;
  c.log2_match = m.log2_match;
  c.log2_private_bytes = m.log2_private_bytes;
  c.log2_private_total = m.log2_private_total;
  c.match_min = m.match_min;
  c.mixer_lr = m.mixer_lr;
  c.final_lr = m.final_lr;
  c.sm_limit = m.sm_limit;
  c.models = m.models;
  c.private_models = m.private_models;
  return c;
}

/// `m` with the rule-1 parameters of `c` (mode unchanged).
inline MixerConfig with_mix(MixerConfig m, const mix::Config& c) {
  m.rule_version = c.rule_version;
  m.neural = c.neural;
  m.log2_slot_bytes = c.log2_slot_bytes;
  m.log2_match = c.log2_match;
  m.log2_private_bytes = c.log2_private_bytes;
  m.log2_private_total = c.log2_private_total;
  m.match_min = c.match_min;
  m.mixer_lr = c.mixer_lr;
  m.final_lr = c.final_lr;
  m.sm_limit = c.sm_limit;
  m.models = c.models;
  m.private_models = c.private_models;
  return m;
}

/// Context mixing codes inputs of fewer bytes than this (its match index
/// and history positions are 32-bit).
inline constexpr uint64_t kMaxMixedInput = 0xFFFFFFFFull - 1;

}  // namespace nncomp
