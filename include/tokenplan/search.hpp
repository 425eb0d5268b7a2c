// What a grid search returns, independent of the backend that ran it: the running top-N by
// (objective key, tie-break, index) and the count of every configuration by verdict.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tokenplan/hd.hpp"
#include "tokenplan/model.hpp"

namespace tokenplan {

/// A feasible configuration in the ranking: its grid index and the two ranking keys.
struct ranked {
  std::uint64_t index;
  double key;  ///< objective_key(): lower is better
  double tie;  ///< tie_key(): GPUs billed for the cost goal, else the cost; first tie-break
};

/// The total order every backend ranks by: key, then tie, then index. Index is unique, so the
/// order is total and a parallel sort gives the same answer as a sequential one.
TOKENPLAN_HD inline bool ranks_before(const ranked& a, const ranked& b) {
  if (a.key != b.key) return a.key < b.key;
  if (a.tie != b.tie) return a.tie < b.tie;
  return a.index < b.index;
}

/// Knobs of one search.
struct search_options {
  std::uint64_t top_n = 20;                  ///< how many ranked configurations to keep (>= 1)
  /// Configurations per pass: the chunked engine's chunk (its memory is O(chunk)), and at most
  /// a pass of the CPU backend's streaming engine. The CUDA backend's streaming engine sizes its
  /// passes to the GPU.
  std::uint64_t chunk_configs = 1ull << 20;
  int threads = 0;                           ///< CPU backend threads; 0 = all cores
  /// Skip the queueing solve for configurations whose optimistic keys cannot beat the current
  /// N-th best. The ranking and the counts are the same either way; off only to measure it.
  bool prune = true;
  /// The streaming engine (default: fused, one top-K per block of indices, prefix pruning), or
  /// the chunked engine (one vector of candidates per chunk), on either backend. The tests check
  /// one against the other; the benchmarks time both.
  bool streaming = true;
  /// The streaming engine's shape: blocks per pass and indices per block; 0 for the backend's
  /// own (the CPU: 16 blocks per thread; the CUDA backend: cuda_streaming_shape). The tests run
  /// the CPU backend in the CUDA backend's shape.
  std::uint64_t blocks_per_pass = 0;
  std::uint64_t block_configs = 0;
  /// Parts the index space is split into, each searched alone and the answers merged
  /// (host/search/split_search.hpp). 0: one per GPU on the CUDA backend, one on the CPU. More parts
  /// than devices run the merge path on one device (tests split one GPU's or the CPU's work).
  std::uint64_t parts = 0;
  /// Called after each chunk with (configurations done, grid size); may be empty.
  std::function<void(std::uint64_t, std::uint64_t)> progress;
  /// Set (by a signal handler) to stop at the next chunk boundary; the result is then marked
  /// interrupted. May be null.
  const std::atomic<bool>* cancel = nullptr;
};

/// Counts and timing of one search. feasible + sum(infeasible) == grid_size.
struct search_stats {
  std::uint64_t grid_size = 0;
  std::uint64_t evaluated = 0;       ///< configurations given a verdict (all of them, unless interrupted)
  std::uint64_t counts[reason_count] = {};  ///< indexed by reason; [0] is the feasible count
  /// How the verdicts were reached: the step costed (full), or inherited from a smaller batch
  /// of the same configuration that already failed a check no larger batch can pass (prefix),
  /// and of the full ones, how many skipped the queueing solve because their optimistic keys
  /// could not beat the running N-th best (bound).
  std::uint64_t fully_evaluated = 0;
  std::uint64_t pruned_prefix = 0;
  std::uint64_t pruned_bound = 0;
  bool interrupted = false;
  double elapsed_s = 0.0;
};

/// The outcome of a search: the top-N in rank order and the statistics.
struct search_result {
  std::vector<ranked> top;
  search_stats stats;
};

/// Merges a sorted batch of candidates into a sorted running top-N (both in ranks_before order).
/// An index already in the top-N is kept once (the search may see an index twice; its keys are
/// the same both times, so the copies are neighbours in the merge).
inline void merge_top(std::vector<ranked>& top, const std::vector<ranked>& batch, std::uint64_t n) {
  std::vector<ranked> out;
  out.reserve(top.size() + batch.size());
  std::size_t i = 0, j = 0;
  while (out.size() < n && (i < top.size() || j < batch.size())) {
    const bool from_top = j == batch.size() || (i < top.size() && ranks_before(top[i], batch[j]));
    const ranked& next = from_top ? top[i++] : batch[j++];
    if (out.empty() || out.back().index != next.index) out.push_back(next);
  }
  top.swap(out);
}

}  // namespace tokenplan
