// api.cpp — the public API (include/nncomp/nncomp.h) over engine and container.
#include <xxhash.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstdio>
#include <optional>

#include "nncomp/nncomp.h"
#include "src/coding.h"
#include "src/config_rules.h"
#include "src/container.h"
#include "src/engine.h"
#include "src/mixing.h"
#include "src/resume.h"
#include "src/runtime.h"

namespace nncomp {
namespace {

constexpr uint32_t kDefaultThreads = 2;

void validate(const Config& c) {
  if (std::string problem = config_problem(c); !problem.empty())
    throw Error(ErrorKind::kUsage, "invalid configuration: " + problem);
}

// Refuse a run the machine cannot hold, before the large allocations, with a
// message instead of an out-of-memory kill (a hostile header can ask for a
// model and an output of hundreds of GiB; both are bounded by the format, but
// not by this machine).
// On a GPU the same estimate is held against the GPU's memory as well (it
// counts the host's data buffers too, so it errs on the safe side).
void check_memory(const Config& c, uint64_t original_size, const char* what, Device device) {
  const double need = memory_estimate(c, original_size);
  auto refuse_above = [&](uint64_t have, const char* where) {
    if (have == 0 || need <= static_cast<double>(have)) return;
    char msg[320];  // no fmt in LibTorch translation units (LibTorch bundles its own)
    std::snprintf(msg, sizeof msg,
                  "%s needs about %.1f GiB of memory (model %u x %u, %llu bytes of data); "
                  "%s has %.1f GiB",
                  what, need / (1u << 30), c.model.n_layer, c.model.d_model,
                  static_cast<unsigned long long>(original_size), where,
                  static_cast<double>(have) / (1u << 30));
    throw Error(ErrorKind::kUnsupported, msg);
  };
  refuse_above(physical_memory_bytes(), "this machine");
  if (device == Device::kCuda) refuse_above(gpu_memory_bytes(), "the GPU");
}

void fill_engine_stats(const EngineResult& r, Device device, Stats* stats) {
  stats->device = device_name(device);
  stats->step_seconds = r.step_seconds;
  stats->train_seconds = r.train_seconds;
  stats->code_seconds = r.code_seconds;
  stats->steps = r.steps;
  stats->train_steps = r.train_steps;
  stats->peak_gpu_bytes = r.peak_gpu_bytes;
  stats->resumed_bytes = r.resumed_bytes;
  stats->resumed_seconds = r.resumed_seconds;
  stats->state_saves = r.saves;
  stats->state_save_seconds = r.save_seconds;
  stats->state_bytes = r.last_save_bytes;
}

bool mixing(const Config& c) { return c.mixer.mode == MixerMode::kContextMixing; }
bool has_model(const Config& c) { return c.model.kind != ModelKind::kNone; }

std::vector<uint8_t> padded_streams(std::span<const uint8_t> input, const StreamLayout& layout) {
  // Streams are contiguous slices in order, so the stream-major buffer is the
  // input followed by zero padding.
  std::vector<uint8_t> tokens(layout.stream_len * layout.n_streams(), 0);
  std::copy(input.begin(), input.end(), tokens.begin());
  return tokens;
}

// Decodes a parsed container on `device` (runtime already initialised).
// With `expected` (the stream-major input), every byte is checked as it is
// decoded (verification).
// Saving and resuming (docs/RESUME.md) as `options` ask, for the job
// `identity` over `tokens`.
// The state read (if any) is kept in `state`, which the job points to.
void resumable(EngineJob& job, const RunOptions& options, const JobIdentity& identity,
               std::span<const uint8_t> tokens, const StreamLayout& layout,
               std::optional<StateReader>& state) {
  if (!options.resume_state.empty()) {
    state.emplace(options.resume_state);
    job.resume_pos = check_identity(*state, identity, tokens, layout, options.force);
    job.resume = &*state;
  }
  if (options.save_state) {
    job.save_every_seconds = options.save_every_seconds;
    job.save_identity = [identity, tokens, &layout](StateWriter& w, uint64_t pos) {
      write_identity(w, identity, tokens, layout, pos);
    };
    job.save = options.save_state;
  }
}

std::vector<uint8_t> decode_parsed(const ParsedContainer& parsed, Device device,
                                   const RunOptions& options, const std::string& divergence_cause,
                                   const std::vector<uint8_t>* expected, EngineResult* result,
                                   double* ideal_bits, double* neural_bits,
                                   const JobIdentity* identity = nullptr) {
  const Header& h = parsed.header;
  StreamLayout layout(h.original_size, h.config.engine.n_streams);
  ZeroBuffer tokens(layout.stream_len * layout.n_streams());
  auto coding = mixing(h.config)
                    ? make_mixed_decoder(layout, tokens.span(), h.config.mixer, parsed.streams,
                                         expected, h.ideal_bits, divergence_cause)
                    : make_byte_decoder(layout, tokens.span(), parsed.streams, expected,
                                        h.ideal_bits, divergence_cause);

  std::vector<uint32_t> checkpoints = h.checkpoints;
  EngineJob job;
  job.config = &h.config;
  job.layout = &layout;
  job.tokens = tokens.span();
  job.coding = coding.get();
  job.checkpoint_segments = h.checkpoint_segments;
  job.checkpoints = &checkpoints;
  job.divergence_cause = divergence_cause;
  job.progress = options.progress;
  job.device = device;
  job.cuda_graphs = options.cuda_graphs;
  job.phase_timing = options.phase_timing;
  std::optional<StateReader> state;
  if (identity) resumable(job, options, *identity, tokens.span(), layout, state);
  *result = run_engine(job);
  *ideal_bits = coding->ideal_bits();
  *neural_bits = coding->neural_bits();

  // Streams are contiguous slices of the input in order: the first
  // original_size bytes of the buffer are the output.
  if (XXH64(tokens.data(), h.original_size, 0) != h.original_xxh64)
    throw Error(ErrorKind::kCorrupt, "checksum of the decoded data does not match the original's");
  return std::vector<uint8_t>(tokens.data(), tokens.data() + h.original_size);
}

}  // namespace

std::vector<uint8_t> compress(std::span<const uint8_t> input, const Config& requested,
                              const RunOptions& options, Stats* stats) {
  validate(requested);
  // The mixer's tables sized for this input (the header records what was used).
  Config config = requested;
  if (mixing(config))
    config.mixer = with_mix(config.mixer, mix::sized_for(to_mix(config.mixer), input.size(),
                                                         config.engine.n_streams));
  if (mixing(config) && input.size() >= kMaxMixedInput)
    throw Error(ErrorKind::kUsage, "the context mixer codes inputs below 4 GiB; this one has " +
                                       std::to_string(input.size()) + " bytes (--mixer none)");
  const Device device = parse_device(options.device.empty() ? "cpu" : options.device);
  if (!has_model(config) && device != Device::kCpu)
    throw Error(ErrorKind::kUsage, "model kind none (context mixing alone) runs on the CPU");
  const uint32_t hw = hardware_threads();
  const uint32_t threads = options.threads ? options.threads : std::min(kDefaultThreads, hw);
  if (threads > hw)
    throw Error(ErrorKind::kUsage, "intra-op threads " + std::to_string(threads) +
                                       " exceed the " + std::to_string(hw) +
                                       " hardware threads this process may use");
  check_memory(config, input.size(), "compressing this input", device);
  if (has_model(config)) init_runtime(device, threads);
  const auto t0 = std::chrono::steady_clock::now();

  StreamLayout layout(input.size(), config.engine.n_streams);
  auto tokens = padded_streams(input, layout);
  std::vector<std::vector<uint8_t>> payload(layout.n_streams());
  auto coding = mixing(config) ? make_mixed_encoder(layout, tokens, config.mixer, &payload)
                               : make_byte_encoder(layout, &payload);

  Header header;
  header.config = config;
  header.fingerprint = current_fingerprint(device_name(device), threads);
  header.original_size = input.size();
  header.original_xxh64 = XXH64(input.data(), input.size(), 0);
  header.checkpoint_segments = choose_checkpoint_segments(input.size(), config.engine);

  EngineJob job;
  job.config = &config;
  job.layout = &layout;
  job.tokens = tokens;
  job.coding = coding.get();
  job.checkpoint_segments = header.checkpoint_segments;
  job.checkpoints = &header.checkpoints;
  job.progress = options.progress;
  job.device = device;
  job.cuda_graphs = options.cuda_graphs;
  job.phase_timing = options.phase_timing;
  const JobIdentity identity{/*decoding=*/false, &header, /*source_xxh64=*/0};
  std::optional<StateReader> state;
  resumable(job, options, identity, tokens, layout, state);
  const EngineResult r = run_engine(job);
  state.reset();
  header.ideal_bits = coding->ideal_bits();
  header.neural_bits = mixing(config) ? coding->neural_bits() : 0.0;
  auto file = write_container(header, payload);
  const auto t1 = std::chrono::steady_clock::now();

  if (options.verify) {
    // The decoder's view of the new file, decoded here with the same settings;
    // the input is the expected output, checked byte by byte as it appears.
    const ParsedContainer parsed = parse_container(file);
    EngineResult vr;
    double verify_bits = 0, verify_neural_bits = 0;
    RunOptions again;
    again.cuda_graphs = options.cuda_graphs;
    again.progress = options.progress;
    decode_parsed(parsed, device, again,
                  "the computation is not reproducible on this machine (a nondeterministic "
                  "kernel or setting)",
                  &tokens, &vr, &verify_bits, &verify_neural_bits);
    if (std::bit_cast<uint64_t>(verify_bits) != std::bit_cast<uint64_t>(header.ideal_bits))
      throw Error(ErrorKind::kVerify,
                  "verification failed: the decoder reproduced every byte but its "
                  "probabilities differ from the encoder's (nondeterministic computation)");
  }

  if (stats) {
    *stats = Stats{};
    stats->original_size = input.size();
    stats->compressed_size = file.size();
    for (const auto& p : payload) stats->payload_size += p.size();
    stats->ideal_bits = header.ideal_bits;
    stats->neural_ideal_bits = coding->neural_bits();
    stats->mixer = config.mixer.mode;
    stats->memory_estimate = static_cast<uint64_t>(memory_estimate(config, input.size()));
    stats->n_params = r.n_params;
    fill_engine_stats(r, device, stats);
    stats->seconds = r.resumed_seconds + std::chrono::duration<double>(t1 - t0).count();
    if (options.verify)
      stats->verify_seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  }
  return file;
}

std::vector<uint8_t> decompress(std::span<const uint8_t> file, const RunOptions& options,
                                Stats* stats) {
  const ParsedContainer parsed = parse_container(file);
  const Header& h = parsed.header;
  const Device device =
      parse_device(options.device.empty() ? h.fingerprint.device_kind : options.device);
  const uint32_t threads = options.threads ? options.threads : h.fingerprint.threads;
  std::string diffs, other_cpu;
  if (has_model(h.config)) {
    // The neural computation replays only on the same kind of machine. (The
    // context mixer alone is integer arithmetic: portable, no fingerprint.)
    if (const uint32_t hw = hardware_threads(); threads > hw && !options.force)
      throw Error(ErrorKind::kUnsupported,
                  "decoding needs " + std::to_string(threads) +
                      " intra-op threads (the encoder's count, recorded in the file); this "
                      "process may use " +
                      std::to_string(hw) + " hardware threads (--force runs them anyway)");
    const Fingerprint here = current_fingerprint(device_name(device), threads);
    diffs = check_fingerprint(h.fingerprint, here, options.force);
    // The CPU model is not compared (machines that compute alike often differ
    // in name), but when decoding diverges it is the likeliest cause.
    if (device == Device::kCpu && h.fingerprint.device_name != here.device_name)
      other_cpu = "the file was made on a '" + h.fingerprint.device_name + "' CPU and this is a '" +
                  here.device_name + "' one: a neural model's float results can differ between CPU models. ";
    if (device == Device::kCuda && options.device.empty() && gpu_memory_bytes() == 0)
      throw Error(ErrorKind::kUnsupported,
                  "this file was made on a GPU (" + h.fingerprint.device_name +
                      "); no CUDA GPU is visible to this process, and a GPU file decodes only on "
                      "the same GPU model");
  } else if (device != Device::kCpu) {
    throw Error(ErrorKind::kUsage, "a file of model kind none (context mixing alone) decodes on the CPU");
  }
  check_memory(h.config, h.original_size, "decoding this file", device);
  if (has_model(h.config)) init_runtime(device, threads);
  const auto t0 = std::chrono::steady_clock::now();

  // Header and payload checksums have passed, so a divergence means the
  // computation differs (or the file was forged with valid checksums).
  const std::string cause = other_cpu +
      (diffs.empty()
          ? "this machine computes differently from the one that made the file although the "
            "fingerprints match (another CPU instruction set, BLAS or GPU driver build), or "
            "the encoder was not deterministic (header and payload checksums are intact, so the "
            "file was not damaged in transit, unless it was altered and its checksums recomputed)"
          : "decoding was forced although the file was made with a different computation: " +
                diffs);
  // A state of this decompression names the file and this process's
  // fingerprint (docs/RESUME.md).
  Header ours = h;
  ours.fingerprint = current_fingerprint(device_name(device), threads);
  const JobIdentity identity{/*decoding=*/true, &ours, XXH64(file.data(), file.size(), 0)};
  EngineResult r;
  double ideal_bits = 0, neural_bits = 0;
  std::vector<uint8_t> out = decode_parsed(parsed, device, options, cause, nullptr, &r, &ideal_bits,
                                           &neural_bits, &identity);
  if (stats) {
    *stats = Stats{};
    stats->original_size = h.original_size;
    stats->compressed_size = file.size();
    for (uint32_t s : h.stream_sizes) stats->payload_size += s;
    stats->ideal_bits = ideal_bits;
    stats->neural_ideal_bits = neural_bits;
    stats->mixer = h.config.mixer.mode;
    stats->memory_estimate = static_cast<uint64_t>(memory_estimate(h.config, h.original_size));
    stats->n_params = r.n_params;
    fill_engine_stats(r, device, stats);
    stats->seconds = r.resumed_seconds +
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  return out;
}

uint64_t container_header_size(std::span<const uint8_t> prefix) { return header_size(prefix); }

uint64_t container_file_size(std::span<const uint8_t> header) { return container_size(header); }

FileInfo inspect(std::span<const uint8_t> file) {
  const Header h = parse_header(file);
  FileInfo info;
  info.format_version = format_version_of(h.config);
  info.neural_bits = h.neural_bits;
  info.quant_rule = h.quant_rule;
  info.freq_bits = h.freq_bits;
  info.model_name = model_name(h.config.model.kind);
  info.config = h.config;
  info.fingerprint = h.fingerprint;
  info.original_size = h.original_size;
  info.file_size = file.size();
  info.original_xxh64 = h.original_xxh64;
  info.ideal_bits = h.ideal_bits;
  info.stream_sizes = h.stream_sizes;
  for (uint32_t s : h.stream_sizes) info.payload_size += s;
  info.header_size = file.size() - info.payload_size;
  info.n_checkpoints = static_cast<uint32_t>(h.checkpoints.size());
  info.checkpoint_segments = h.checkpoint_segments;
  return info;
}

}  // namespace nncomp
