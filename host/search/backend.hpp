// The backend interface: a grid search and a batch evaluation over plain structs. The CPU
// backend (Thrust OMP) is always built; the CUDA backend when nvcc is found. Thrust and CUDA
// types stay inside the backends' own files.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tokenplan/model.hpp"
#include "tokenplan/search.hpp"
#include "tokenplan/specs.hpp"

namespace tokenplan {

/// Bytes of one ranked candidate in the engines' working vectors (thrust_search.inl's
/// `candidate`; both backends check the size).
inline constexpr std::uint64_t candidate_bytes = 32;

/// A place to run the model over a grid.
class backend {
 public:
  virtual ~backend() = default;
  /// "cpu" or "cuda".
  virtual std::string name() const = 0;
  /// What runs it, e.g. "2 OpenMP threads" or "NVIDIA H200 (sm_90, 132 SMs)".
  virtual std::string device() const = 0;
  /// Evaluates every configuration of p.grid, counting verdicts and keeping the best
  /// options.top_n by ranks_before(). Memory is bounded by options.chunk_configs.
  virtual search_result search(const problem& p, const search_options& options) = 0;
  /// Full evaluations of the given grid indices, computed on this backend.
  virtual std::vector<evaluation> evaluate(const problem& p, const std::vector<std::uint64_t>& indices) = 0;
  /// Bytes search() and the evaluation of its top-N hold at their peak, for the options given:
  /// what grows with --chunk, --top and --threads. The default is the chunked engine's (two
  /// vectors of min(chunk, grid) candidates; the CUDA backend's); the CPU backend overrides it.
  /// (Inline, so the CUDA library needs no symbol of the host library.)
  virtual std::uint64_t search_bytes(const problem& p, const search_options& options) const {
    const std::uint64_t grid = grid_size(p.grid);
    const std::uint64_t chunk = options.chunk_configs < grid ? options.chunk_configs : grid;
    const std::uint64_t top = options.top_n > 0 ? options.top_n : 1;
    // all + kept on the device, the head copied to the host, then the top-N's full evaluations.
    return 2 * (chunk > 0 ? chunk : 1) * candidate_bytes + top * (candidate_bytes + sizeof(evaluation));
  }

};

/// The streaming engine's shape: blocks per pass (one OpenMP work item or one CUDA thread each)
/// and consecutive indices per block.
struct streaming_shape {
  std::uint64_t blocks;
  std::uint64_t block_configs;
};

/// The CUDA backend's shape on a GPU with `sms` multiprocessors, for a part of `configs` indices:
/// 1,024 threads per SM, four times what fits at once (the fused kernel takes 255 registers per
/// thread, so 256 threads per SM are resident: bench/sass_stats.sh), so an SM whose threads
/// finish early takes more; fewer when their top-K slots would pass 512 MiB (a large --top) or
/// when the part is smaller than that; indices per thread: a quarter of the part per pass at most (the
/// N-th best that prunes tightens between passes) and at most 4,096, a pass of 5.5e8 on an H200.
/// (Inline: the CUDA library and the tests, which run the CPU backend in this shape, share it.)
inline streaming_shape cuda_streaming_shape(int sms, std::uint64_t configs, std::uint64_t top_n) {
  const std::uint64_t k = top_n > 0 ? top_n : 1;
  std::uint64_t threads = static_cast<std::uint64_t>(sms > 0 ? sms : 1) * 1024;
  threads = std::min<std::uint64_t>(threads, (512ull << 20) / (k * candidate_bytes));
  threads = std::max<std::uint64_t>(1, std::min<std::uint64_t>(threads, configs));
  const std::uint64_t block = std::max<std::uint64_t>(1, std::min<std::uint64_t>(4096, configs / (threads * 4)));
  return streaming_shape{threads, block};
}

/// The most a search and its answer may hold: half of the least of the machine's physical memory,
/// the address-space and data limits (ulimit -v, -d) and the cgroup's memory.max, so a grid or an
/// output too big is refused before it allocates, never killed by the OOM killer.
std::uint64_t search_memory_limit_bytes();

/// Throws usage_error when be.search_bytes(p, o), plus 32 KiB per ranked configuration for the
/// answer, exceeds search_memory_limit_bytes(), with the
/// estimate, the limit and the options to change (--top, --threads, --chunk).
void check_search_memory(const backend& be, const problem& p, const search_options& o);

/// The Thrust OMP backend; threads <= 0 means all cores.
std::unique_ptr<backend> make_cpu_backend(int threads);

/// True when this binary has the CUDA backend and a usable device; otherwise `why` says what
/// is missing (not built with CUDA, no device, driver too old).
bool cuda_backend_available(std::string* why);

/// The CUDA backend on every visible device: a search is split into one part per GPU and the
/// answers merged (split_search.hpp); evaluate() runs on device 0. Throws runtime_failure when
/// unavailable.
std::unique_ptr<backend> make_cuda_backend();

/// Picks a backend for "auto", "cpu" or "cuda". "cuda" without a usable device throws
/// usage_error with the reason; "auto" falls back to the CPU and says why in *note.
std::unique_ptr<backend> select_backend(const std::string& choice, int threads, std::string* note);

}  // namespace tokenplan
