// The CUDA backend: the shared Thrust search compiled for Thrust's CUDA system. The index space
// is split over every visible GPU (split_search.hpp: one part per GPU, one host thread each, the
// top-Ns merged); the problem is copied to each GPU's memory once per part. The streaming engine
// (default) runs one CUDA thread per block of consecutive indices, each with its own top-K slots
// in device memory (O(threads x K), whatever the grid); the chunked engine holds one chunk of
// candidates.
#include <thrust/device_vector.h>
#include <thrust/system/cuda/execution_policy.h>
#include <thrust/system_error.h>

#include <algorithm>
#include <string>

#include "search/backend.hpp"
#include "cuda_check.cuh"
#include "search/split_search.hpp"

#define TOKENPLAN_ENGINE_NS thrust_cuda
#include "search/thrust_search.inl"

namespace tokenplan {
namespace {

/// The problem in device memory, freed on scope exit.
class device_problem {
 public:
  explicit device_problem(const problem& p) {
    TOKENPLAN_CUDA_CALL(cudaMalloc(&ptr_, sizeof(problem)));
    TOKENPLAN_CUDA_CALL(cudaMemcpy(ptr_, &p, sizeof(problem), cudaMemcpyHostToDevice));
  }
  ~device_problem() { cudaFree(ptr_); }
  device_problem(const device_problem&) = delete;
  device_problem& operator=(const device_problem&) = delete;
  const problem* get() const { return ptr_; }

 private:
  problem* ptr_ = nullptr;
};

class cuda_backend final : public backend {
 public:
  cuda_backend() {
    TOKENPLAN_CUDA_CALL(cudaGetDeviceCount(&devices_));
    cudaDeviceProp prop{};
    TOKENPLAN_CUDA_CALL(cudaGetDeviceProperties(&prop, 0));
    sms_ = prop.multiProcessorCount;
    device_ = std::string(prop.name) + " (sm_" + std::to_string(prop.major) + std::to_string(prop.minor) + ", " +
              std::to_string(prop.multiProcessorCount) + " SMs)";
    if (devices_ > 1) device_ = std::to_string(devices_) + " GPUs, the first: " + device_;
  }

  std::string name() const override { return "cuda"; }
  std::string device() const override { return device_; }

  /// One part per GPU (options.parts to split further), each GPU's parts on its own host thread.
  search_result search(const problem& p, const search_options& options) override {
    const std::uint64_t parts = options.parts > 0 ? options.parts : static_cast<std::uint64_t>(devices_);
    return split_search(grid_size(p.grid), options, parts, devices_,
                        [&](std::uint64_t first, std::uint64_t last, const search_options& o, int gpu) {
                          return search_part(p, first, last, o, gpu);
                        });
  }

  /// The streaming engine's shape for a part of `configs` indices on a GPU with `sms`
  /// multiprocessors: cuda_streaming_shape, unless the options set it.
  static streaming_shape shape(int sms, std::uint64_t configs, const search_options& o) {
    streaming_shape s = cuda_streaming_shape(sms, configs, o.top_n);
    if (o.blocks_per_pass > 0) s.blocks = o.blocks_per_pass;
    if (o.block_configs > 0) s.block_configs = o.block_configs;
    return s;
  }

  search_result search_part(const problem& p, std::uint64_t first, std::uint64_t last, const search_options& options,
                            int gpu) {
    try {
      TOKENPLAN_CUDA_CALL(cudaSetDevice(gpu));
      device_problem dp(p);
      search_result r;
      if (options.streaming) {
        int sms = 0;
        TOKENPLAN_CUDA_CALL(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, gpu));
        const streaming_shape sh = shape(sms, last - first, options);
        r = thrust_cuda::run_search_streaming<thrust::device_vector<thrust_cuda::candidate>,
                                              thrust::device_vector<thrust_cuda::block_tally>,
                                              thrust::device_vector<thrust_cuda::side_entry>,
                                              thrust::device_vector<thrust_cuda::side_count>>(
            thrust::cuda::par, dp.get(), p, first, last, options, sh.blocks, sh.block_configs);
      } else {
        r = thrust_cuda::run_search<thrust::device_vector<thrust_cuda::candidate>>(thrust::cuda::par, dp.get(), first,
                                                                                    last, options);
      }
      TOKENPLAN_CUDA_CALL(cudaGetLastError());
      TOKENPLAN_CUDA_CALL(cudaDeviceSynchronize());
      return r;
    } catch (const thrust::system_error& e) {
      throw cuda_error("thrust (search)", "thrust::system_error", e.what());
    }
  }

  /// The streaming engine's peak on the first GPU (streaming_search_bytes); the chunked
  /// engine's: the base class's.
  std::uint64_t search_bytes(const problem& p, const search_options& options) const override {
    if (!options.streaming) return backend::search_bytes(p, options);
    static_assert(sizeof(thrust_cuda::candidate) == candidate_bytes, "backend.hpp's candidate_bytes is stale");
    return thrust_cuda::streaming_search_bytes(p, options, shape(sms_, grid_size(p.grid), options).blocks);
  }

  std::vector<evaluation> evaluate(const problem& p, const std::vector<std::uint64_t>& indices) override {
    try {
      TOKENPLAN_CUDA_CALL(cudaSetDevice(0));
      device_problem dp(p);
      std::vector<evaluation> r =
          thrust_cuda::run_evaluate<thrust::device_vector<std::uint64_t>, thrust::device_vector<evaluation>>(
              thrust::cuda::par, dp.get(), indices);
      TOKENPLAN_CUDA_CALL(cudaGetLastError());
      return r;
    } catch (const thrust::system_error& e) {
      throw cuda_error("thrust (evaluate)", "thrust::system_error", e.what());
    }
  }

 private:
  std::string device_;
  int devices_ = 1;
  int sms_ = 1;
};

}  // namespace

bool cuda_backend_available(std::string* why) {
  int count = 0;
  cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    cudaGetLastError();
    if (why) *why = std::string("no usable CUDA device (") + cudaGetErrorName(status) + ": " + cudaGetErrorString(status) + ")";
    return false;
  }
  if (count == 0) {
    if (why) *why = "no CUDA device found";
    return false;
  }
  return true;
}

std::unique_ptr<backend> make_cuda_backend() {
  std::string why;
  if (!cuda_backend_available(&why)) throw runtime_failure("CUDA backend unavailable: " + why);
  return std::make_unique<cuda_backend>();
}

}  // namespace tokenplan
