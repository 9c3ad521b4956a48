// engine.cpp — predict, code, train, checkpoint: one loop for both directions
// and every device. The direction is the coding stage's (src/coding.h), the
// device's differences are DeviceTransfer's (src/device.h).
#include "src/engine.h"

#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <utility>

#include "models/model.h"
#include "models/optim.h"
#include "src/stepper.h"

namespace nncomp {
namespace {

// Fills the host buffer `out` (int64) with the tokens at stream positions
// from .. from+count-1 of every stream, 0 where a position is < 0:
// stream-major [B, count] (`by_step` false) or step-major [count, B]
// (`by_step` true).
void fill_token_window(std::span<const uint8_t> tokens, uint64_t L, int64_t B, int64_t from,
                       int64_t count, bool by_step, torch::Tensor& out) {
  int64_t* p = out.data_ptr<int64_t>();
  for (int64_t s = 0; s < B; ++s)
    for (int64_t j = 0; j < count; ++j) {
      const int64_t i = from + j;
      p[by_step ? j * B + s : s * count + j] =
          i >= 0 ? tokens[s * L + static_cast<uint64_t>(i)] : 0;
    }
}

// The checkpoint value of stream positions [p0, p1): the low 32 bits of
// XXH64 of those bytes of every stream, stream-major (docs/FORMAT.md).
uint32_t checkpoint_hash(std::span<const uint8_t> tokens, const StreamLayout& layout,
                         uint64_t p0, uint64_t p1) {
  XXH64_state_t* st = XXH64_createState();
  XXH64_reset(st, 0);
  for (uint32_t s = 0; s < layout.n_streams(); ++s) {
    const uint64_t end = std::min(p1, layout.original_stream_sizes[s]);
    if (end > p0) XXH64_update(st, tokens.data() + s * layout.stream_len + p0, end - p0);
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

// The divergence error for checkpoint `index` (0-based) covering stream
// positions [p0, p1) of every stream.
Error divergence_error(size_t index, size_t count, const StreamLayout& layout, uint64_t p0,
                       uint64_t p1, const std::string& cause) {
  const size_t streams = layout.n_streams();
  const uint64_t L = layout.stream_len;
  const std::string where =
      streams == 1 ? "bytes " + str(p0) + ".." + str(p1 - 1)
                   : "bytes " + str(p0) + ".." + str(p1 - 1) + " of each of the " +
                         str(streams) + " streams (file offsets " + str(p0) + ".." +
                         str(p1 - 1) + ", " + str(L + p0) + ".." + str(L + p1 - 1) +
                         ", ...; stream s starts at offset s x " + str(L) + ")";
  return Error(ErrorKind::kCorrupt,
               "decoding diverged at checkpoint " + str(index + 1) + " of " + str(count) +
                   ": the checksum of the decoded " + where +
                   " is not the one the file recorded; stopped there, nothing was written. "
                   "Probable cause: " +
                   (cause.empty() ? "a computation that differs from the encoder's, or a "
                                    "payload damaged behind valid checksums"
                                  : cause));
}

// The divergence checkpoints of a run: after every `every` segments and after
// the last, the hash of the group's tokens is recorded (encoding) or compared
// with the file's (decoding).
class Checkpoints {
 public:
  Checkpoints(const EngineJob& job, bool decoding)
      : job_(job), layout_(*job.layout), decoding_(decoding) {}

  void after_segment(uint64_t seg, uint64_t n_segments, uint64_t end) {
    if ((seg + 1) % job_.checkpoint_segments != 0 && seg + 1 != n_segments) return;
    std::vector<uint32_t>& log = *job_.checkpoints;
    const uint32_t h = checkpoint_hash(job_.tokens, layout_, group_start_, end);
    if (!decoding_) {
      log.push_back(h);
    } else if (index_ >= log.size() || log[index_] != h) {
      throw divergence_error(index_, log.size(), layout_, group_start_, end,
                             job_.divergence_cause);
    }
    ++index_;
    group_start_ = end;
  }

 private:
  const EngineJob& job_;
  const StreamLayout& layout_;
  bool decoding_;
  size_t index_ = 0;
  uint64_t group_start_ = 0;
};

// The model's training on a segment of `steps` steps starting at stream
// position `start`: cross-entropy over the live positions, divided by
// n_streams·steps, then one optimizer step at the schedule's lr for `seg`.
void train_segment(models::Model& model, models::Optimizer& optimizer, Stepper& stepper,
                   const torch::Tensor& stream_sizes, int64_t start, int64_t steps, double lr_scale) {
  const int64_t B = stepper.tokens().size(1), V = models::kVocab;
  auto inputs = stepper.tokens().narrow(0, 0, steps).t().contiguous();    // (B, steps)
  auto targets = stepper.tokens().narrow(0, 1, steps).t().reshape({-1});  // (B·steps)
  // 1 where the stream still has a byte at that step, else 0, made on the
  // device (no transfer): (B, steps).
  auto mask = (torch::arange(steps, stream_sizes.options()).unsqueeze(0) <
               (stream_sizes - start).unsqueeze(1))
                  .to(torch::kFloat32);
  auto logits = model.train_forward(inputs).reshape({B * steps, V});
  auto nll = torch::nn::functional::cross_entropy(
      logits, targets, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
  auto loss = (nll * mask.view({-1})).sum() / static_cast<double>(B * steps);
  optimizer.zero_grad();
  loss.backward();
  optimizer.step(lr_scale);
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

namespace testing {
AfterTrainHook set_after_train_hook(AfterTrainHook hook) {
  return std::exchange(after_train_hook(), std::move(hook));
}
}  // namespace testing

// Model kind none: no prediction and no training; each step codes one byte
// of every live stream with the context models alone (the coding stage's
// mixer), a segment of seg_len steps at a time, with the same checkpoints.
EngineResult run_without_model(const EngineJob& job) {
  const StreamLayout& layout = *job.layout;
  CodingStage& coding = *job.coding;
  const uint64_t S = job.config->engine.seg_len, L = layout.stream_len;
  const uint64_t n_segments = (L + S - 1) / S;
  Checkpoints checkpoints(job, coding.decodes());
  EngineResult result;
  const auto t0 = std::chrono::steady_clock::now();
  auto last_report = t0;
  uint64_t done = 0;
  for (uint64_t seg = 0; seg < n_segments; ++seg) {
    const uint64_t start = seg * S, steps = std::min(S, L - start);
    const auto t_code = std::chrono::steady_clock::now();
    if (coding.decodes())
      for (uint64_t t = 0; t < steps; ++t) coding.code_step(start + t, nullptr, nullptr);
    coding.finish_segment(start, static_cast<int64_t>(steps));
    result.code_seconds += seconds_since(t_code);
    result.steps += steps;
    done += layout.bytes_in(start, start + steps);
    checkpoints.after_segment(seg, n_segments, start + steps);
    if (job.progress) {
      const auto now = std::chrono::steady_clock::now();
      if (now - last_report >= std::chrono::milliseconds(250) || seg + 1 == n_segments) {
        last_report = now;
        job.progress({done, layout.original_size, coding.ideal_bits(),
                      std::chrono::duration<double>(now - t0).count()});
      }
    }
  }
  coding.finish();
  return result;
}

EngineResult run_engine(const EngineJob& job) {
  if (job.config->model.kind == ModelKind::kNone) return run_without_model(job);
  const Config& cfg = *job.config;
  const StreamLayout& layout = *job.layout;
  const std::span<const uint8_t> tokens = job.tokens;
  CodingStage& coding = *job.coding;
  const int64_t B = cfg.engine.n_streams, S = cfg.engine.seg_len, C = cfg.engine.ctx_len;
  const int64_t V = models::kVocab;
  const uint64_t L = layout.stream_len;
  const uint64_t n_segments = (L + S - 1) / S;

  DeviceTransfer transfer(job.device, job.phase_timing);
  auto model = models::make_model(cfg.model, C + S, cfg.seed, transfer.device());
  models::Optimizer optimizer(model->param_groups(), cfg.optim);
  StepTables tables(S, B, transfer.device());
  Stepper stepper(*model, tables, B, S, transfer.device(), job.cuda_graphs);
  Checkpoints checkpoints(job, coding.decodes());
  EngineResult result;
  result.n_params = model->n_params();

  // Host buffers of the transfers, and the context and stream sizes (int64,
  // for the training mask) on the device.
  auto seg_host = transfer.host_buffer({S + 1, B}, torch::kInt64);    // a segment's bytes going up
  auto ctx_host = transfer.host_buffer({B, C}, torch::kInt64);        // its context going up
  auto next_host = transfer.host_buffer({B}, torch::kInt64);          // a step's decoded bytes
  auto cdf_host = transfer.host_buffer({B, V + 1}, torch::kInt32);    // a step's tables
  auto ctx = torch::zeros({B, C}, transfer.on_device(torch::kInt64));
  auto stream_sizes = torch::tensor(std::vector<int64_t>(layout.original_stream_sizes.begin(),
                                                         layout.original_stream_sizes.end()),
                                    torch::kInt64)
                          .to(transfer.device());

  const auto t0 = std::chrono::steady_clock::now();
  auto last_report = t0;
  uint64_t done = 0;

  for (uint64_t seg = 0; seg < n_segments; ++seg) {
    const int64_t start = static_cast<int64_t>(seg) * S;
    const int64_t steps = std::min<int64_t>(S, static_cast<int64_t>(L) - start);

    // Predict (and decode): the segment's bytes as far as they are known
    // (all of them when encoding; row 0 only when decoding, the rest is
    // filled in as decoded) and its context go up; then the steps. Host
    // buffers are refilled only after the host has waited for the copies out
    // of them (the wait for the previous segment's results).
    const auto t_step = std::chrono::steady_clock::now();
    fill_token_window(tokens, L, B, start - 1, steps + 1, /*by_step=*/true, seg_host);
    transfer.upload(stepper.tokens().narrow(0, 0, steps + 1), seg_host.narrow(0, 0, steps + 1));
    fill_token_window(tokens, L, B, start - C - 1, C, /*by_step=*/false, ctx_host);
    transfer.upload(ctx, ctx_host);
    stepper.begin(ctx, steps, seg);
    for (int64_t t = 0; t < steps; ++t) {
      stepper.step(t);
      if (!coding.decodes()) continue;  // the encoder codes the whole segment below
      auto cdf = transfer.download_now(cdf_host, tables.cdf()[t]);
      coding.code_step(static_cast<uint64_t>(start + t),
                       reinterpret_cast<const uint32_t*>(cdf.data_ptr<int32_t>()),
                       next_host.data_ptr<int64_t>());
      transfer.upload(stepper.tokens()[t + 1], next_host);
    }
    result.steps += static_cast<uint64_t>(steps);
    coding.collect_segment(tables, stepper.tokens().narrow(0, 1, steps).unsqueeze(2), steps,
                           transfer);
    transfer.mark();
    transfer.end_phase();
    result.step_seconds += seconds_since(t_step);

    // Train on the segment (not after the last one: nothing would use it).
    // On the GPU this is queued behind the downloads and runs while the host
    // codes the segment below.
    if (seg + 1 < n_segments) {
      const auto t_train = std::chrono::steady_clock::now();
      train_segment(*model, optimizer, stepper, stream_sizes, start, steps,
                    models::lr_scale(cfg.optim, seg, n_segments - 1));
      if (after_train_hook()) after_train_hook()(*model, seg, coding.decodes());
      ++result.train_steps;
      transfer.end_phase();
      result.train_seconds += seconds_since(t_train);
    }

    // Code the segment on the host (encoding) and add up the ideal size.
    const auto t_code = std::chrono::steady_clock::now();
    transfer.wait_marked();
    coding.finish_segment(static_cast<uint64_t>(start), steps);
    done += layout.bytes_in(static_cast<uint64_t>(start), static_cast<uint64_t>(start + steps));
    result.code_seconds += seconds_since(t_code);

    checkpoints.after_segment(seg, n_segments, static_cast<uint64_t>(start + steps));

    if (job.progress) {
      const auto now = std::chrono::steady_clock::now();
      if (now - last_report >= std::chrono::milliseconds(250) || seg + 1 == n_segments) {
        last_report = now;
        job.progress({done, layout.original_size, coding.ideal_bits(),
                      std::chrono::duration<double>(now - t0).count()});
      }
    }
  }
  coding.finish();
  transfer.sync();
  result.peak_gpu_bytes = transfer.peak_reserved_bytes();
  return result;
}

}  // namespace nncomp
