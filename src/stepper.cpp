// stepper.cpp — see stepper.h.
#include "src/stepper.h"

#include <ATen/cuda/CUDAGraph.h>
#include <cuda_runtime_api.h>

#include <string>

#include "nncomp/error.h"

namespace nncomp {

struct Stepper::Graphs {
  std::vector<std::unique_ptr<at::cuda::CUDAGraph>> steps;
};

Stepper::Stepper(models::Model& model, StepTables& tables, int64_t B, int64_t S,
                 const torch::Device& device, bool graphs)
    : model_(model), tables_(tables), S_(S), graphs_(graphs && device.is_cuda()) {
  tokens_ = torch::zeros({S + 1, B}, torch::TensorOptions().device(device).dtype(torch::kInt64));
}

Stepper::~Stepper() = default;

void Stepper::run_step(int64_t t) {
  torch::NoGradGuard no_grad;
  tables_.fill(t, model_.step(tokens_[t]));
}

void Stepper::capture() {
  // The model's begin_segment for this segment has run; capturing records the
  // S steps without executing them, and they are then replayed in order.
  // Graphs share one memory pool, which is safe because they are always
  // replayed in the order they were captured.
  //
  // If anything fails while the stream is capturing, the capture is ended
  // before the error goes on (capture_end ends it and stops routing the
  // allocator to the graphs' pool even when the capture was invalidated), and
  // the graphs are discarded: otherwise every later CUDA call on the stream
  // would fail with a capture error that hides the first message.
  captured_ = std::make_unique<Graphs>();
  for (int64_t t = 0; t < S_; ++t) {
    auto graph = std::make_unique<at::cuda::CUDAGraph>();
    if (t == 0)
      graph->capture_begin();
    else
      graph->capture_begin(captured_->steps[0]->pool());
    try {
      run_step(t);
    } catch (const std::exception& e) {
      const std::string first = e.what();
      try {
        graph->capture_end();
      } catch (const std::exception&) {  // an invalidated capture: ended all the same
      }
      (void)cudaGetLastError();
      graph.reset();
      captured_.reset();
      throw Error(ErrorKind::kInternal, "capturing step " + std::to_string(t) +
                               " into a CUDA graph failed (--no-graphs runs the steps without "
                               "graphs): " + first);
    }
    graph->capture_end();
    captured_->steps.push_back(std::move(graph));
  }
}

void Stepper::begin(const torch::Tensor& ctx_inputs, int64_t steps, uint64_t segment) {
  TORCH_CHECK(steps >= 1 && steps <= S_, "stepper: segment of ", steps, " steps");
  model_.begin_segment(ctx_inputs, steps);
  replay_ = false;
  if (!graphs_ || steps != S_ || segment == 0) return;  // eager (segment 0 is the warm-up)
  if (!captured_) capture();
  replay_ = true;
}

void Stepper::step(int64_t t) {
  if (replay_)
    captured_->steps[static_cast<size_t>(t)]->replay();
  else
    run_step(t);
}

}  // namespace nncomp
