// The CPU backend: the shared Thrust search compiled for Thrust's OMP device system.
#include <omp.h>
#include <thrust/system/omp/execution_policy.h>
#include <thrust/system/omp/vector.h>

#include <algorithm>
#include <string>

#include "search/backend.hpp"
#include "search/split_search.hpp"

#define TOKENPLAN_ENGINE_NS thrust_omp
#include "search/thrust_search.inl"

namespace tokenplan {
namespace {

class cpu_backend final : public backend {
 public:
  explicit cpu_backend(int threads) : threads_(threads > 0 ? threads : omp_get_num_procs()) {}

  std::string name() const override { return "cpu"; }

  std::string device() const override {
    return std::to_string(threads_) + (threads_ == 1 ? " OpenMP thread" : " OpenMP threads");
  }

  /// The streaming engine: each OpenMP thread walks whole blocks of the index space with its own
  /// top-K and counts. 16 blocks per thread per pass keep the threads balanced; blocks are sized
  /// so a pass holds at most options.chunk_configs configurations and the grid takes at least
  /// four passes (the running N-th best, which prunes, tightens between passes).
  search_result search(const problem& p, const search_options& options) override {
    omp_set_num_threads(threads_);
    const std::uint64_t grid = grid_size(p.grid);
    // One part unless asked for more (the multi-GPU merge path, tested on the CPU).
    return split_search(grid, options, options.parts > 0 ? options.parts : 1, 1,
                        [&](std::uint64_t first, std::uint64_t last, const search_options& o, int) {
                          return search_range(p, first, last, o);
                        });
  }

  search_result search_range(const problem& p, std::uint64_t first, std::uint64_t last, const search_options& options) {
    if (!options.streaming) {
      return thrust_omp::run_search<thrust::omp::vector<thrust_omp::candidate>>(thrust::omp::par, &p, first, last,
                                                                                options);
    }
    const std::uint64_t grid = last - first;
    const std::uint64_t blocks = blocks_per_pass(options);
    std::uint64_t block = std::max<std::uint64_t>(1, options.chunk_configs / blocks);
    block = std::min<std::uint64_t>(block, std::max<std::uint64_t>(64, grid / (blocks * 4)));
    block = std::min<std::uint64_t>(block, 65536);
    if (options.block_configs > 0) block = options.block_configs;
    return thrust_omp::run_search_streaming<thrust::omp::vector<thrust_omp::candidate>,
                                            thrust::omp::vector<thrust_omp::block_tally>,
                                            thrust::omp::vector<thrust_omp::side_entry>,
                                            thrust::omp::vector<thrust_omp::side_count>>(
        thrust::omp::par, &p, p, first, last, options, blocks, block);
  }

  /// The streaming engine's peak (streaming_search_bytes); the chunked engine's: the base class's.
  std::uint64_t search_bytes(const problem& p, const search_options& options) const override {
    static_assert(sizeof(thrust_omp::candidate) == candidate_bytes, "backend.hpp's candidate_bytes is stale");
    if (!options.streaming) return backend::search_bytes(p, options);
    return thrust_omp::streaming_search_bytes(p, options, blocks_per_pass(options));
  }

  /// The streaming engine's blocks per pass: 16 per thread, unless the options set them.
  std::uint64_t blocks_per_pass(const search_options& o) const {
    return o.blocks_per_pass > 0 ? o.blocks_per_pass : static_cast<std::uint64_t>(threads_) * 16;
  }

  std::vector<evaluation> evaluate(const problem& p, const std::vector<std::uint64_t>& indices) override {
    omp_set_num_threads(threads_);
    return thrust_omp::run_evaluate<thrust::omp::vector<std::uint64_t>, thrust::omp::vector<evaluation>>(
        thrust::omp::par, &p, indices);
  }

 private:
  int threads_;
};

}  // namespace

std::unique_ptr<backend> make_cpu_backend(int threads) { return std::make_unique<cpu_backend>(threads); }

}  // namespace tokenplan
