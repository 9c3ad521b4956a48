// device.h — where a run's model computes, and the host↔device traffic of
// one engine run.
//
// The engine's loop is the same on every device; what differs is where
// tensors live and whether copies are asynchronous. DeviceTransfer owns that
// difference: on a GPU the run gets its own CUDA stream (a CUDA graph cannot
// be captured on the default stream), host buffers are pinned so that copies
// overlap the host's work, and the host waits on events only where it needs a
// result; on the CPU the device tensors are host memory, a download is a
// view and every wait is a no-op.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>

namespace nncomp {

/// Where the model runs. The fingerprint stores it as "cpu" / "cuda".
enum class Device { kCpu, kCuda };

/// "cpu" → kCpu, "cuda" → kCuda; Error(kUsage) naming the value otherwise.
Device parse_device(const std::string& name);
/// "cpu" / "cuda".
const char* device_name(Device device);

/// The host↔device transfers and waits of one engine run (see above). Not
/// copyable; one per run, alive for the whole run.
class DeviceTransfer {
 public:
  /// `phase_timing`: end_phase() waits for the device, so that wall times of
  /// phases are device times (slower; same bits). On a GPU, resets LibTorch's
  /// peak-memory statistics of the current device.
  DeviceTransfer(Device device, bool phase_timing);
  ~DeviceTransfer();
  DeviceTransfer(const DeviceTransfer&) = delete;
  DeviceTransfer& operator=(const DeviceTransfer&) = delete;

  /// The LibTorch device of the run's tensors.
  const torch::Device& device() const { return device_; }
  /// Options for tensors of `dtype` on the run's device.
  torch::TensorOptions on_device(torch::ScalarType dtype) const;
  /// A zeroed host buffer of `sizes` and `dtype`, pinned on a GPU. A buffer
  /// handed to upload() or download() must not be refilled or read before
  /// the next wait (sync or wait_marked) has passed the copy.
  torch::Tensor host_buffer(torch::IntArrayRef sizes, torch::ScalarType dtype) const;

  /// dst (on the device) ← src (a host buffer); asynchronous on a GPU.
  void upload(torch::Tensor dst, const torch::Tensor& src) const;
  /// `staging` (a host buffer of src's shape) ← src (on the device),
  /// asynchronous on a GPU; returns the host tensor to read after the next
  /// wait. On the CPU returns src itself (contiguous) and leaves staging alone.
  torch::Tensor download(torch::Tensor staging, const torch::Tensor& src) const;
  /// download() and wait for it: the result can be read at once.
  torch::Tensor download_now(torch::Tensor staging, const torch::Tensor& src) const;

  /// Marks the point after the copies queued so far; wait_marked() blocks
  /// until the device has passed it (work queued after the mark, such as
  /// training, may still run).
  void mark();
  void wait_marked();
  /// Waits for everything queued.
  void sync() const;
  /// End of a phase of the segment: sync() with phase timing, else nothing.
  void end_phase() const;

  /// Peak bytes reserved by LibTorch's allocator on the GPU since the run
  /// started (what the process held, not what tensors used); 0 on the CPU.
  uint64_t peak_reserved_bytes() const;

 private:
  struct Cuda;  // the stream guard and the event (GPU only)
  torch::Device device_;
  bool phase_timing_;
  std::unique_ptr<Cuda> cuda_;
};

}  // namespace nncomp
