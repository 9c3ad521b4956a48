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

// The checkpoint value of stream positions [p0, p1) (docs/FORMAT.md).
uint32_t checkpoint_hash(std::span<const uint8_t> tokens, const StreamLayout& layout,
                         uint64_t p0, uint64_t p1) {
  return static_cast<uint32_t>(positions_xxh64(tokens, layout, p0, p1));
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

  // A state holds the checkpoints done (and an encoder's values of them);
  // a group starts where the last one ended.
  void save(StateWriter& w) const {
    w.u64(index_);
    if (!decoding_)
      for (size_t i = 0; i < index_; ++i) w.u32((*job_.checkpoints)[i]);
  }
  void load(StateReader& r, uint64_t next_segment, uint64_t S) {
    index_ = r.u64();
    const uint64_t cs = job_.checkpoint_segments;
    if (index_ != next_segment / cs) state_corrupt("its checkpoint count does not fit its position");
    if (!decoding_) {
      job_.checkpoints->clear();
      for (size_t i = 0; i < index_; ++i) job_.checkpoints->push_back(r.u32());
    }
    group_start_ = index_ * cs * S;
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

// What a model run saves besides the coding stage: the parameters the
// optimizer updates (the rest never changes after the seeded
// initialisation), the carried state, and the optimizer's moments.
std::vector<torch::Tensor> model_state(models::Model& model, int64_t B) {
  models::ParamGroups g = model.param_groups();
  std::vector<torch::Tensor> out = g.muon;
  out.insert(out.end(), g.adam.begin(), g.adam.end());
  for (auto& t : model.carried_state(B)) out.push_back(t);
  return out;
}

// Progress reports, and the saving and loading of the engine's part of a
// state (docs/RESUME.md): the position, the checkpoints, the phase times and
// counts, a decoder's bytes so far, the model and optimizer (when there is a
// model) and the coding stage.
class RunPoints {
 public:
  RunPoints(const EngineJob& job, Checkpoints& checkpoints, EngineResult& result,
            models::Model* model, models::Optimizer* optimizer)
      : job_(job), checkpoints_(checkpoints), result_(result), model_(model), optimizer_(optimizer),
        t0_(std::chrono::steady_clock::now()), last_save_(t0_), last_report_(t0_) {}

  // The segment to start with: 0, or the saved run's next one.
  uint64_t start(uint64_t S, uint64_t n_segments) {
    if (!job_.resume) return 0;
    StateReader& r = *job_.resume;
    const uint64_t next = r.u64();
    if (next == 0 || next >= n_segments || next * S != job_.resume_pos)
      state_corrupt("its position is not inside this job");
    checkpoints_.load(r, next, S);
    result_.step_seconds = r.f64();
    result_.train_seconds = r.f64();
    result_.code_seconds = r.f64();
    result_.steps = r.u64();
    result_.train_steps = r.u64();
    result_.resumed_seconds = r.f64();
    const StreamLayout& layout = *job_.layout;
    const uint64_t pos = next * S;
    if (job_.coding->decodes())
      for (uint32_t s = 0; s < layout.n_streams(); ++s)
        r.bytes_into(job_.tokens.subspan(s * layout.stream_len,
                                         std::min(pos, layout.original_stream_sizes[s])));
    if ((r.u8() != 0) != (model_ != nullptr)) state_corrupt("it is of another model kind");
    if (model_) {
      for (const auto& t : model_state(*model_, job_.config->engine.n_streams)) r.tensor_into(t);
      for (const auto& t : optimizer_->state_tensors()) r.tensor_into(t);
      const double b1 = r.f64();
      optimizer_->set_beta_pows({b1, r.f64()});
    }
    job_.coding->load(r);
    if (!r.at_end()) state_corrupt("it has bytes past its end");
    done_ = result_.resumed_bytes = layout.bytes_in(0, pos);
    return next;
  }

  // After segment `seg` of `n_segments`, ending at stream position `end`.
  void after_segment(uint64_t seg, uint64_t n_segments, uint64_t start, uint64_t end) {
    done_ += job_.layout->bytes_in(start, end);
    const auto now = std::chrono::steady_clock::now();
    if (job_.progress && (now - last_report_ >= std::chrono::milliseconds(250) || seg + 1 == n_segments)) {
      last_report_ = now;
      job_.progress({done_, job_.layout->original_size, job_.coding->ideal_bits(), seconds()});
    }
    if (job_.save && seg + 1 < n_segments &&
        std::chrono::duration<double>(now - last_save_).count() >= job_.save_every_seconds)
      save(seg + 1, end);
  }

  // Wall seconds of the whole run so far, the earlier processes' included.
  double seconds() const { return result_.resumed_seconds + seconds_since(t0_); }

 private:
  void save(uint64_t next, uint64_t pos) {
    const auto t = std::chrono::steady_clock::now();
    StateWriter w;
    job_.save_identity(w, pos);
    w.u64(next);
    checkpoints_.save(w);
    w.f64(result_.step_seconds);
    w.f64(result_.train_seconds);
    w.f64(result_.code_seconds);
    w.u64(result_.steps);
    w.u64(result_.train_steps);
    w.f64(seconds());
    const StreamLayout& layout = *job_.layout;
    if (job_.coding->decodes())
      for (uint32_t s = 0; s < layout.n_streams(); ++s)
        w.bytes(job_.tokens.subspan(s * layout.stream_len, std::min(pos, layout.original_stream_sizes[s])));
    w.u8(model_ ? 1 : 0);
    if (model_) {
      for (const auto& x : model_state(*model_, job_.config->engine.n_streams)) w.tensor(x);
      for (const auto& x : optimizer_->state_tensors()) w.tensor(x);
      w.f64(optimizer_->beta_pows().first);
      w.f64(optimizer_->beta_pows().second);
    }
    job_.coding->save(w);
    std::vector<uint8_t> file = w.finish();
    result_.last_save_bytes = file.size();
    job_.save(std::move(file));
    ++result_.saves;
    result_.save_seconds += seconds_since(t);
    last_save_ = std::chrono::steady_clock::now();
  }

  const EngineJob& job_;
  Checkpoints& checkpoints_;
  EngineResult& result_;
  models::Model* model_;
  models::Optimizer* optimizer_;
  std::chrono::steady_clock::time_point t0_, last_save_, last_report_;
  uint64_t done_ = 0;
};

}  // namespace

uint64_t positions_xxh64(std::span<const uint8_t> tokens, const StreamLayout& layout, uint64_t p0,
                         uint64_t p1) {
  XXH64_state_t* st = XXH64_createState();
  XXH64_reset(st, 0);
  for (uint32_t s = 0; s < layout.n_streams(); ++s) {
    const uint64_t end = std::min(p1, layout.original_stream_sizes[s]);
    if (end > p0) XXH64_update(st, tokens.data() + s * layout.stream_len + p0, end - p0);
  }
  const uint64_t h = XXH64_digest(st);
  XXH64_freeState(st);
  return h;
}

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
  RunPoints points(job, checkpoints, result, nullptr, nullptr);
  for (uint64_t seg = points.start(S, n_segments); seg < n_segments; ++seg) {
    const uint64_t start = seg * S, steps = std::min(S, L - start);
    const auto t_code = std::chrono::steady_clock::now();
    if (coding.decodes())
      for (uint64_t t = 0; t < steps; ++t) coding.code_step(start + t, nullptr, nullptr);
    coding.finish_segment(start, static_cast<int64_t>(steps));
    result.code_seconds += seconds_since(t_code);
    result.steps += steps;
    checkpoints.after_segment(seg, n_segments, start + steps);
    points.after_segment(seg, n_segments, start, start + steps);
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
  RunPoints points(job, checkpoints, result, model.get(), &optimizer);
  const uint64_t first_segment = points.start(static_cast<uint64_t>(S), n_segments);

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

  for (uint64_t seg = first_segment; seg < n_segments; ++seg) {
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
    stepper.begin(ctx, steps, seg - first_segment);
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
    result.code_seconds += seconds_since(t_code);

    checkpoints.after_segment(seg, n_segments, static_cast<uint64_t>(start + steps));
    points.after_segment(seg, n_segments, static_cast<uint64_t>(start),
                         static_cast<uint64_t>(start + steps));
  }
  coding.finish();
  transfer.sync();
  result.peak_gpu_bytes = transfer.peak_reserved_bytes();
  return result;
}

}  // namespace nncomp
