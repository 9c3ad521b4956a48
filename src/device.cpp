// device.cpp — see device.h. The only place of the engine that branches on
// the device.
#include "src/device.h"

#include <ATen/cuda/CUDAEvent.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include <optional>

#include "nncomp/error.h"

namespace nncomp {

Device parse_device(const std::string& name) {
  if (name == "cpu") return Device::kCpu;
  if (name == "cuda") return Device::kCuda;
  throw Error(ErrorKind::kUsage, "unknown device '" + name + "' (cpu, cuda)");
}

const char* device_name(Device device) { return device == Device::kCuda ? "cuda" : "cpu"; }

struct DeviceTransfer::Cuda {
  explicit Cuda(c10::cuda::CUDAStream s) : stream(s) {}
  c10::cuda::CUDAStreamGuard stream;
  std::optional<at::cuda::CUDAEvent> marked;
};

namespace {

torch::Device torch_device(Device d) {
  return d == Device::kCuda ? torch::Device(torch::kCUDA, c10::cuda::current_device())
                            : torch::Device(torch::kCPU);
}

}  // namespace

DeviceTransfer::DeviceTransfer(Device device, bool phase_timing)
    : device_(torch_device(device)), phase_timing_(phase_timing) {
  if (device == Device::kCuda) {
    // All device work of the run goes to one stream of its own, in order.
    cuda_ = std::make_unique<Cuda>(c10::cuda::getStreamFromPool());
    c10::cuda::CUDACachingAllocator::resetPeakStats(device_.index());
  }
}

DeviceTransfer::~DeviceTransfer() = default;

torch::TensorOptions DeviceTransfer::on_device(torch::ScalarType dtype) const {
  return torch::TensorOptions().device(device_).dtype(dtype);
}

torch::Tensor DeviceTransfer::host_buffer(torch::IntArrayRef sizes, torch::ScalarType dtype) const {
  return torch::zeros(sizes, torch::TensorOptions().dtype(dtype).pinned_memory(cuda_ != nullptr));
}

void DeviceTransfer::upload(torch::Tensor dst, const torch::Tensor& src) const {
  dst.copy_(src, /*non_blocking=*/cuda_ != nullptr);
}

torch::Tensor DeviceTransfer::download(torch::Tensor staging, const torch::Tensor& src) const {
  if (!cuda_) return src.contiguous();
  staging.copy_(src, /*non_blocking=*/true);
  return staging;
}

torch::Tensor DeviceTransfer::download_now(torch::Tensor staging, const torch::Tensor& src) const {
  auto host = download(std::move(staging), src);
  sync();
  return host;
}

void DeviceTransfer::mark() {
  if (!cuda_) return;
  cuda_->marked.emplace();
  cuda_->marked->record();
}

void DeviceTransfer::wait_marked() {
  if (cuda_ && cuda_->marked) cuda_->marked->synchronize();
}

void DeviceTransfer::sync() const {
  if (cuda_) c10::cuda::getCurrentCUDAStream().synchronize();
}

void DeviceTransfer::end_phase() const {
  if (phase_timing_) sync();
}

uint64_t DeviceTransfer::peak_reserved_bytes() const {
  if (!cuda_) return 0;
  return static_cast<uint64_t>(
      c10::cuda::CUDACachingAllocator::getDeviceStats(device_.index())
          .reserved_bytes[static_cast<size_t>(c10::CachingAllocator::StatType::AGGREGATE)]
          .peak);
}

}  // namespace nncomp
