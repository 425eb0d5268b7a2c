// One grid search split into parts over the index space, run on several workers (the CUDA
// backend: one per GPU) and merged. Every part keeps its own top-N by the same total order
// (ranks_before), so the N best of the parts' top-Ns are the N best of the grid; counts and work
// add up. Header-only, so the CUDA library needs no symbol of the host library.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "tokenplan/search.hpp"

namespace tokenplan {

/// First grid index of part k of `parts` over [0, grid); parts differ in size by at most one.
inline std::uint64_t part_begin(std::uint64_t grid, std::uint64_t parts, std::uint64_t k) {
  return (grid / parts) * k + std::min<std::uint64_t>(k, grid % parts);
}

/// Adds one part's result to the whole's: the top-N merged, counts and work summed.
inline void merge_part(search_result& whole, const search_result& part, std::uint64_t top_n) {
  merge_top(whole.top, part.top, top_n);
  search_stats& w = whole.stats;
  const search_stats& s = part.stats;
  for (int r = 0; r < reason_count; ++r) w.counts[r] += s.counts[r];
  w.evaluated += s.evaluated;
  w.fully_evaluated += s.fully_evaluated;
  w.pruned_prefix += s.pruned_prefix;
  w.pruned_bound += s.pruned_bound;
  w.interrupted = w.interrupted || s.interrupted;
}

/// Searches indices [first, last) with the options given (its progress reports that range's
/// own count and size) on worker `worker`.
using part_search = std::function<search_result(std::uint64_t first, std::uint64_t last, const search_options& o,
                                                 int worker)>;

/// Splits [0, grid) into `parts` parts (at most one per index), runs part k on worker
/// k % workers, the workers in parallel threads when there are several, and merges. Progress
/// reports the sum over parts against the grid; a worker's exception is rethrown here.
inline search_result split_search(std::uint64_t grid, const search_options& o, std::uint64_t parts, int workers,
                                  const part_search& run) {
  const auto start = std::chrono::steady_clock::now();
  parts = std::max<std::uint64_t>(1, std::min<std::uint64_t>(parts, std::max<std::uint64_t>(1, grid)));
  workers = static_cast<int>(std::max<std::uint64_t>(1, std::min<std::uint64_t>(parts, workers > 0 ? workers : 1)));
  std::vector<search_result> results(parts);
  std::vector<std::uint64_t> done(parts, 0);
  std::vector<std::exception_ptr> errors(workers);
  std::mutex mu;
  auto work = [&](int w) {
    try {
      for (std::uint64_t k = static_cast<std::uint64_t>(w); k < parts; k += static_cast<std::uint64_t>(workers)) {
        search_options po = o;
        if (o.progress) {
          po.progress = [&, k](std::uint64_t d, std::uint64_t) {
            std::lock_guard<std::mutex> lock(mu);
            done[k] = d;
            std::uint64_t sum = 0;
            for (std::uint64_t x : done) sum += x;
            o.progress(sum, grid);
          };
        }
        results[k] = run(part_begin(grid, parts, k), part_begin(grid, parts, k + 1), po, w);
      }
    } catch (...) {
      errors[w] = std::current_exception();
    }
  };
  if (workers == 1) {
    work(0);
  } else {
    std::vector<std::thread> threads;
    for (int w = 0; w < workers; ++w) threads.emplace_back(work, w);
    for (std::thread& t : threads) t.join();
  }
  for (const std::exception_ptr& e : errors) {
    if (e) std::rethrow_exception(e);
  }
  search_result whole;
  whole.stats.grid_size = grid;
  const std::uint64_t top_n = std::max<std::uint64_t>(1, o.top_n);
  for (const search_result& r : results) merge_part(whole, r, top_n);
  whole.stats.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return whole;
}

}  // namespace tokenplan
