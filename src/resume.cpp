// resume.cpp — see resume.h.
#include "src/resume.h"

#include <string>
#include <vector>

#include "src/config_rules.h"
#include "src/engine.h"
#include "src/runtime.h"

namespace nncomp {
namespace {

// The configuration and fingerprint in the container's own encoding: the
// header of an empty run of this configuration. Equal bytes mean an equal
// computation; parse_header gives the fields back.
std::vector<uint8_t> config_bytes(const Header& h) {
  Header probe;
  probe.config = h.config;
  probe.quant_rule = h.quant_rule;
  probe.freq_bits = h.freq_bits;
  probe.fingerprint = h.fingerprint;
  probe.original_size = 0;
  probe.checkpoint_segments = choose_checkpoint_segments(0, h.config.engine);
  return write_container(probe, std::vector<std::vector<uint8_t>>(h.config.engine.n_streams));
}

std::string differing_part(const Config& state, const Config& here) {
  if (!(state.model == here.model)) return "the model (kind or shape)";
  if (!(state.engine == here.engine)) return "the engine (n_streams, seg_len, ctx_len)";
  if (!(state.optim == here.optim)) return "the optimizer or its schedule";
  if (state.seed != here.seed) return "the seed";
  if (!(state.mixer == here.mixer)) return "the mixer";
  return "the coding rule";
}

}  // namespace

void write_identity(StateWriter& w, const JobIdentity& job, std::span<const uint8_t> tokens,
                    const StreamLayout& layout, uint64_t pos) {
  w.str(NNCOMP_VERSION);
  w.u8(job.decoding ? 1 : 0);
  w.bytes(config_bytes(*job.header));
  w.u64(job.header->original_size);
  w.u64(job.source_xxh64);
  w.u64(pos);
  w.u64(job.decoding ? 0 : positions_xxh64(tokens, layout, 0, pos));
}

uint64_t check_identity(StateReader& r, const JobIdentity& job, std::span<const uint8_t> tokens,
                        const StreamLayout& layout, bool force) {
  const std::string version = r.str();
  if (version != NNCOMP_VERSION)
    throw Error(ErrorKind::kVersion, "the state file was written by nncomp " + version +
                                         "; this is nncomp " + NNCOMP_VERSION +
                                         ", which cannot continue its run");
  const bool decoding = r.u8() != 0;
  if (decoding != job.decoding)
    throw Error(ErrorKind::kUsage, std::string("the state file is of a ") +
                                       (decoding ? "decompression" : "compression") +
                                       "; resume it with nncomp " + (decoding ? "d" : "c"));
  const std::vector<uint8_t> saved = r.bytes();
  const uint64_t original_size = r.u64();
  const uint64_t source = r.u64();
  const uint64_t pos = r.u64();
  const uint64_t consumed = r.u64();
  // The input's size first: the mixer's tables are sized for it, so another
  // size would otherwise show as another configuration.
  if (original_size != job.header->original_size)
    throw Error(ErrorKind::kUsage,
                job.decoding ? std::string("the state file belongs to the decompression of another file")
                             : "the state file belongs to another input (" + std::to_string(original_size) +
                                   " bytes, this one has " + std::to_string(job.header->original_size) + ")");
  if (saved != config_bytes(*job.header)) {
    Header h;
    try {
      h = parse_header(saved);
    } catch (const Error& e) {
      state_corrupt(std::string("its configuration does not parse: ") + e.what());
    }
    if (!(h.config == job.header->config) || h.quant_rule != job.header->quant_rule ||
        h.freq_bits != job.header->freq_bits)
      throw Error(ErrorKind::kUsage,
                  "the state file was made with another configuration (" +
                      differing_part(h.config, job.header->config) +
                      " differs): " +
                      (job.decoding ? "it belongs to another file"
                                    : "resume with the options of the interrupted run"));
    // Only the fingerprint differs.
    try {
      check_fingerprint(h.fingerprint, job.header->fingerprint, force);
    } catch (const Error& e) {
      throw Error(e.kind(), std::string("the state file was ") + e.what());
    }
  }
  if (job.decoding) {
    if (source != job.source_xxh64)
      throw Error(ErrorKind::kUsage,
                  "the state file belongs to the decompression of another file (its checksum differs)");
  } else if (pos > layout.stream_len || consumed != positions_xxh64(tokens, layout, 0, pos)) {
    throw Error(ErrorKind::kUsage,
                "the state file belongs to another input (the bytes compressed before the "
                "interruption differ from this input's)");
  }
  if (pos > layout.stream_len) state_corrupt("its position lies past the end of the streams");
  return pos;
}

}  // namespace nncomp
