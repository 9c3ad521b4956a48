// engine.cpp — predict, code, train: one loop for both directions.
#include "src/engine.h"

#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <utility>

#include "coder/quantize.h"
#include "models/model.h"
#include "models/optim.h"

namespace nncomp {
namespace {

// int64 [B, count] of token i = from..from+count-1 of every stream (0 where i < 0).
torch::Tensor gather(const std::vector<uint8_t>& tokens, uint64_t L, int64_t B, int64_t from,
                     int64_t count) {
  auto out = torch::zeros({B, count}, torch::kInt64);
  int64_t* p = out.data_ptr<int64_t>();
  for (int64_t s = 0; s < B; ++s)
    for (int64_t j = 0; j < count; ++j) {
      const int64_t i = from + j;
      if (i >= 0) p[s * count + j] = tokens[s * L + static_cast<uint64_t>(i)];
    }
  return out;
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

EngineResult run_engine(const EngineJob& job) {
  const Config& cfg = *job.config;
  const StreamLayout& layout = *job.layout;
  std::vector<uint8_t>& tokens = *job.tokens;
  const bool decoding = job.decoders != nullptr;
  const int64_t B = cfg.engine.n_streams, S = cfg.engine.seg_len, C = cfg.engine.ctx_len;
  const uint64_t L = layout.length;
  const uint64_t n_segments = (L + S - 1) / S;

  auto model = models::make_model(cfg.model, C + S, cfg.seed);
  models::Optimizer optimizer(model->param_groups(), cfg.optim);
  EngineResult result;
  result.n_params = model->n_params();

  std::vector<uint32_t> cdf(models::kVocab + 1);
  const auto t0 = std::chrono::steady_clock::now();
  auto last_report = t0;
  uint64_t done = 0, group_start = 0;
  size_t checkpoint_index = 0;

  for (uint64_t seg = 0; seg < n_segments; ++seg) {
    const int64_t start = static_cast<int64_t>(seg) * S;
    const int64_t steps = std::min<int64_t>(S, static_cast<int64_t>(L) - start);

    // Predict and code: identical calls in both directions.
    model->begin_segment(gather(tokens, L, B, start - C - 1, C), steps);
    for (int64_t t = 0; t < steps; ++t) {
      const uint64_t pos = static_cast<uint64_t>(start + t);
      auto prev = gather(tokens, L, B, start + t - 1, 1).view({B});
      auto probs = torch::softmax(model->step(prev), -1).contiguous();  // (B, 256) float32
      const float* p = probs.data_ptr<float>();
      for (int64_t s = 0; s < B; ++s) {
        if (pos >= layout.lens[s]) continue;  // this stream has ended
        const float* ps = p + s * models::kVocab;
        coder::quantize_cdf(ps, models::kVocab, cdf.data());
        uint8_t& x = tokens[s * L + pos];
        if (decoding) {
          x = static_cast<uint8_t>((*job.decoders)[s].decode(cdf.data(), models::kVocab));
          if (job.expected && x != (*job.expected)[s * L + pos])
            throw verify_error(x, (*job.expected)[s * L + pos], s, L, pos);
        } else {
          (*job.encoders)[s].encode(cdf.data(), x);
        }
        result.ideal_bits -= std::log2(static_cast<double>(ps[x]));
        ++done;
      }
    }

    // Train on the segment (not after the last one: nothing would use it).
    if (seg + 1 < n_segments) {
      auto inputs = gather(tokens, L, B, start - 1, steps);           // (B, steps)
      auto targets = gather(tokens, L, B, start, steps).view({-1});   // (B·steps)
      auto mask = torch::zeros({B, steps}, torch::kFloat32);
      for (int64_t s = 0; s < B; ++s) {
        const int64_t live = std::clamp<int64_t>(static_cast<int64_t>(layout.lens[s]) - start, 0, steps);
        if (live > 0) mask[s].narrow(0, 0, live).fill_(1.0f);
      }
      auto logits = model->train_forward(inputs).reshape({B * steps, models::kVocab});
      auto nll = torch::nn::functional::cross_entropy(
          logits, targets, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
      auto loss = (nll * mask.view({-1})).sum() / static_cast<double>(B * steps);
      optimizer.zero_grad();
      loss.backward();
      optimizer.step(models::lr_scale(cfg.optim, seg, n_segments - 1));
      if (after_train_hook()) after_train_hook()(*model, seg, decoding);
    }

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
  return result;
}

}  // namespace nncomp
