// engine.cpp — predict, code, train: one loop for both directions.
#include "src/engine.h"

#include <ATen/cuda/CUDAEvent.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <utility>

#include "models/model.h"
#include "models/optim.h"
#include "src/stepper.h"

namespace nncomp {
namespace {

// Fills `out` (int64, host) with token i = from..from+count-1 of every
// stream, 0 where i < 0: stream-major [B, count] (`by_step` false) or
// step-major [count, B] (`by_step` true).
void gather(const std::vector<uint8_t>& tokens, uint64_t L, int64_t B, int64_t from,
            int64_t count, bool by_step, torch::Tensor& out) {
  int64_t* p = out.data_ptr<int64_t>();
  for (int64_t s = 0; s < B; ++s)
    for (int64_t j = 0; j < count; ++j) {
      const int64_t i = from + j;
      p[by_step ? j * B + s : s * count + j] =
          i >= 0 ? tokens[s * L + static_cast<uint64_t>(i)] : 0;
    }
}

// Low 32 bits of XXH64 of stream positions [p0, p1) of every stream, stream-major.
uint32_t group_hash(const std::vector<uint8_t>& tokens, const StreamLayout& layout, uint64_t p0,
                    uint64_t p1) {
  XXH64_state_t* st = XXH64_createState();
  XXH64_reset(st, 0);
  for (size_t s = 0; s < layout.lens.size(); ++s) {
    const uint64_t end = std::min(p1, layout.lens[s]);
    if (end > p0) XXH64_update(st, tokens.data() + s * layout.length + p0, end - p0);
  }
  const uint64_t h = XXH64_digest(st);
  XXH64_freeState(st);
  return static_cast<uint32_t>(h);
}

testing::AfterTrainHook& after_train_hook() {
  static testing::AfterTrainHook hook;
  return hook;
}

// Torch translation units do without fmt (LibTorch ships headers of its own
// fmt version), so messages are assembled from these.
std::string str(uint64_t v) { return std::to_string(v); }
std::string hex_byte(unsigned v) {
  char b[8];
  std::snprintf(b, sizeof b, "0x%02x", v & 0xffu);
  return b;
}

// The divergence error for checkpoint `index` (0-based) covering stream
// positions [p0, p1) of every stream.
Error divergence_error(size_t index, size_t count, const StreamLayout& layout, uint64_t p0,
                       uint64_t p1, const std::string& cause) {
  const size_t streams = layout.lens.size();
  const uint64_t L = layout.length;
  const std::string where =
      streams == 1 ? "bytes " + str(p0) + ".." + str(p1 - 1)
                   : "bytes " + str(p0) + ".." + str(p1 - 1) + " of each of the " +
                         str(streams) + " streams (file offsets " + str(p0) + ".." +
                         str(p1 - 1) + ", " + str(L + p0) + ".." + str(L + p1 - 1) +
                         ", ...; stream s starts at offset s x " + str(L) + ")";
  return Error(ErrorKind::kCorrupt,
               "decoding diverged at checkpoint " + str(index + 1) + " of " + str(count) +
                   ": the decoded " + where +
                   " differ from what was compressed; stopped there, nothing was written. "
                   "Probable cause: " +
                   (cause.empty() ? "a computation that differs from the encoder's, or a "
                                    "payload damaged behind valid checksums"
                                  : cause));
}

// The verification error for a decoded byte that differs from the input.
Error verify_error(uint8_t got, uint8_t want, uint64_t s, uint64_t L, uint64_t pos) {
  return Error(ErrorKind::kVerify,
               "verification failed: decoding the new file gives byte " + hex_byte(got) +
                   " at offset " + str(s * L + pos) + " (stream " + str(s) + ", position " +
                   str(pos) + ") where the input has " + hex_byte(want) +
                   "; the computation is not reproducible on this machine");
}

}  // namespace

namespace testing {
AfterTrainHook set_after_train_hook(AfterTrainHook hook) {
  return std::exchange(after_train_hook(), std::move(hook));
}
}  // namespace testing

StreamLayout::StreamLayout(uint64_t size_, uint32_t n_streams) : size(size_) {
  length = (size + n_streams - 1) / n_streams;
  for (uint32_t s = 0; s < n_streams; ++s) {
    const uint64_t begin = s * length;
    lens.push_back(begin >= size ? 0 : std::min(length, size - begin));
  }
}

uint32_t choose_checkpoint_segments(uint64_t size, const EngineConfig& engine) {
  const uint64_t per_segment = static_cast<uint64_t>(engine.n_streams) * engine.seg_len;
  const uint64_t want = std::max<uint64_t>(65536, size / 256);
  const uint64_t segments = std::max<uint64_t>(1, (want + per_segment - 1) / per_segment);
  return static_cast<uint32_t>(std::min<uint64_t>(segments, UINT32_MAX));  // u32 in the header
}

namespace {

// Copies `src` into `staging` (pinned host memory) without waiting when the
// run is on the GPU; on the CPU the device tensor is already host memory.
torch::Tensor to_host(torch::Tensor staging, const torch::Tensor& src, bool cuda) {
  if (!cuda) return src.contiguous();
  staging.copy_(src, /*non_blocking=*/true);
  return staging;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

EngineResult run_engine(const EngineJob& job) {
  const Config& cfg = *job.config;
  const StreamLayout& layout = *job.layout;
  std::vector<uint8_t>& tokens = *job.tokens;
  const bool decoding = job.decoders != nullptr;
  const int64_t B = cfg.engine.n_streams, S = cfg.engine.seg_len, C = cfg.engine.ctx_len;
  const int64_t V = models::kVocab;
  const uint64_t L = layout.length;
  const uint64_t n_segments = (L + S - 1) / S;
  const bool cuda = job.device == "cuda";
  const torch::Device device = cuda ? torch::Device(torch::kCUDA, c10::cuda::current_device())
                                    : torch::Device(torch::kCPU);

  // All device work of a GPU run goes to one stream of its own, in order (a
  // CUDA graph cannot be captured on the default stream).
  std::optional<c10::cuda::CUDAStreamGuard> stream_guard;
  if (cuda) {
    stream_guard.emplace(c10::cuda::getStreamFromPool());
    c10::cuda::CUDACachingAllocator::resetPeakStats(device.index());
  }
  auto sync = [&] {
    if (cuda) c10::cuda::getCurrentCUDAStream().synchronize();
  };

  auto model = models::make_model(cfg.model, C + S, cfg.seed, device);
  models::Optimizer optimizer(model->param_groups(), cfg.optim);
  Stepper stepper(*model, B, S, device, job.cuda_graphs);
  EngineResult result;
  result.n_params = model->n_params();

  // Host side of the transfers (pinned on the GPU path so copies run async).
  const auto host = torch::TensorOptions().pinned_memory(cuda);
  auto seg_host = torch::zeros({S + 1, B}, host.dtype(torch::kInt64));     // bytes going up
  auto ctx_host = torch::zeros({B, C}, host.dtype(torch::kInt64));         // context going up
  auto ctx = torch::zeros({B, C}, torch::TensorOptions().device(device).dtype(torch::kInt64));
  // Bytes in each stream, int64 [B] on the device (for the training mask).
  auto lens = torch::tensor(std::vector<int64_t>(layout.lens.begin(), layout.lens.end()),
                            torch::kInt64)
                  .to(device);
  auto sym_host = torch::zeros({B}, host.dtype(torch::kInt64));            // decoded bytes of a step
  auto cdf_host = torch::zeros({B, V + 1}, host.dtype(torch::kInt32));     // tables of a step
  auto px_host = torch::zeros({S, B}, host.dtype(torch::kFloat32));        // p(x) of a segment
  auto range_host = torch::zeros({S, B, 2}, host.dtype(torch::kInt32));    // cdf[x], cdf[x+1]

  const auto t0 = std::chrono::steady_clock::now();
  auto last_report = t0;
  uint64_t done = 0, group_start = 0;
  size_t checkpoint_index = 0;

  for (uint64_t seg = 0; seg < n_segments; ++seg) {
    const int64_t start = static_cast<int64_t>(seg) * S;
    const int64_t steps = std::min<int64_t>(S, static_cast<int64_t>(L) - start);
    const auto t_step = std::chrono::steady_clock::now();

    // The segment's bytes as far as they are known (all of them when
    // encoding; row 0 only when decoding, the rest is filled in as decoded).
    // Pinned buffers are refilled only after the host has waited for the
    // copies out of them (the wait for the previous segment's results).
    gather(tokens, L, B, start - 1, steps + 1, /*by_step=*/true, seg_host);
    stepper.tokens().narrow(0, 0, steps + 1).copy_(seg_host.narrow(0, 0, steps + 1), cuda);
    gather(tokens, L, B, start - C - 1, C, /*by_step=*/false, ctx_host);
    ctx.copy_(ctx_host, cuda);

    // Predict (and decode): identical device work in both directions.
    stepper.begin(ctx, steps, seg);
    for (int64_t t = 0; t < steps; ++t) {
      stepper.step(t);
      if (!decoding) continue;  // the encoder reads the whole segment's tables at once
      const uint64_t pos = static_cast<uint64_t>(start + t);
      auto table = to_host(cdf_host, stepper.cdf()[t], cuda);
      sync();
      const auto* cdf = reinterpret_cast<const uint32_t*>(table.data_ptr<int32_t>());
      int64_t* sym = sym_host.data_ptr<int64_t>();
      for (int64_t s = 0; s < B; ++s) {
        sym[s] = 0;
        if (pos >= layout.lens[s]) continue;  // this stream has ended
        uint8_t& x = tokens[s * L + pos];
        x = static_cast<uint8_t>((*job.decoders)[s].decode(cdf + s * (V + 1), static_cast<int>(V)));
        if (job.expected && x != (*job.expected)[s * L + pos])
          throw verify_error(x, (*job.expected)[s * L + pos], s, L, pos);
        sym[s] = x;
      }
      stepper.tokens()[t + 1].copy_(sym_host, cuda);
    }
    result.steps += static_cast<uint64_t>(steps);

    // Per coded byte: its probability (both directions, for the ideal size)
    // and, when encoding, its interval in the table; one transfer each.
    auto coded = stepper.tokens().narrow(0, 1, steps).unsqueeze(2);  // (steps, B, 1)
    auto px = to_host(px_host.narrow(0, 0, steps),
                      stepper.probs().narrow(0, 0, steps).gather(2, coded).squeeze(2), cuda);
    torch::Tensor ranges;
    if (!decoding) {
      auto tables = stepper.cdf().narrow(0, 0, steps);
      ranges = to_host(range_host.narrow(0, 0, steps),
                       torch::cat({tables.gather(2, coded), tables.gather(2, coded + 1)}, 2), cuda);
    }
    std::optional<at::cuda::CUDAEvent> copied;
    if (cuda) {
      copied.emplace();
      copied->record();
    }
    if (job.phase_timing) sync();
    result.step_seconds += seconds_since(t_step);

    // Train on the segment (not after the last one: nothing would use it).
    // On the GPU this is queued behind the copies and runs while the host
    // codes the segment below.
    if (seg + 1 < n_segments) {
      const auto t_train = std::chrono::steady_clock::now();
      auto inputs = stepper.tokens().narrow(0, 0, steps).t().contiguous();  // (B, steps)
      auto targets = stepper.tokens().narrow(0, 1, steps).t().reshape({-1});  // (B·steps)
      // 1 where the stream still has a byte at that step, else 0, made on the
      // device (no transfer): (B, steps).
      auto mask = (torch::arange(steps, lens.options()).unsqueeze(0) < (lens - start).unsqueeze(1))
                      .to(torch::kFloat32);
      auto logits = model->train_forward(inputs).reshape({B * steps, V});
      auto nll = torch::nn::functional::cross_entropy(
          logits, targets, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
      auto loss = (nll * mask.view({-1})).sum() / static_cast<double>(B * steps);
      optimizer.zero_grad();
      loss.backward();
      optimizer.step(models::lr_scale(cfg.optim, seg, n_segments - 1));
      if (after_train_hook()) after_train_hook()(*model, seg, decoding);
      ++result.train_steps;
      if (job.phase_timing) sync();
      result.train_seconds += seconds_since(t_train);
    }

    // Code the segment on the host (encoding) and add up the ideal size.
    const auto t_code = std::chrono::steady_clock::now();
    if (copied) copied->synchronize();
    const float* p = px.data_ptr<float>();
    const int32_t* range = decoding ? nullptr : ranges.data_ptr<int32_t>();
    for (int64_t t = 0; t < steps; ++t) {
      const uint64_t pos = static_cast<uint64_t>(start + t);
      for (int64_t s = 0; s < B; ++s) {
        if (pos >= layout.lens[s]) continue;  // this stream has ended
        if (range) {
          const auto lo = static_cast<uint32_t>(range[(t * B + s) * 2]);
          const auto hi = static_cast<uint32_t>(range[(t * B + s) * 2 + 1]);
          (*job.encoders)[s].encode_range(lo, hi - lo);
        }
        result.ideal_bits -= std::log2(static_cast<double>(p[t * B + s]));
        ++done;
      }
    }
    result.code_seconds += seconds_since(t_code);

    // Divergence checkpoint after every checkpoint_segments segments and at the end.
    if ((seg + 1) % job.checkpoint_segments == 0 || seg + 1 == n_segments) {
      const uint64_t group_end = static_cast<uint64_t>(start + steps);
      const uint32_t h = group_hash(tokens, layout, group_start, group_end);
      if (decoding) {
        if (checkpoint_index >= job.checkpoints->size() || (*job.checkpoints)[checkpoint_index] != h)
          throw divergence_error(checkpoint_index, job.checkpoints->size(), layout, group_start,
                                 group_end, job.divergence_cause);
      } else {
        job.checkpoints->push_back(h);
      }
      ++checkpoint_index;
      group_start = group_end;
    }

    if (job.progress) {
      const auto now = std::chrono::steady_clock::now();
      if (now - last_report >= std::chrono::milliseconds(250) || seg + 1 == n_segments) {
        last_report = now;
        job.progress({done, layout.size, result.ideal_bits,
                      std::chrono::duration<double>(now - t0).count()});
      }
    }
  }
  sync();
  if (cuda)
    result.peak_gpu_bytes = static_cast<uint64_t>(
        c10::cuda::CUDACachingAllocator::getDeviceStats(device.index())
            .reserved_bytes[static_cast<size_t>(c10::CachingAllocator::StatType::AGGREGATE)]
            .peak);
  return result;
}

}  // namespace nncomp
