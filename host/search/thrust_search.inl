// The grid search, written once against Thrust and compiled twice: by g++ with the OMP device
// system (search/backend_cpu.cpp) and by nvcc with the CUDA system (cuda/backend_cuda.cu). The
// includer defines TOKENPLAN_ENGINE_NS so the two copies of these functors never share a name.
//
// Two engines, each on both backends:
// - the streaming engine (run_search_streaming, the default): fused; each block of consecutive
//   indices is decoded, evaluated, checked and reduced to its own top-K by one thread, with
//   prefix pruning and per-pool side tables. Memory is O(blocks x K).
// - the chunked engine (run_search, search_options::streaming = false): per chunk of the index
//   space, evaluate every index into a vector of candidates, count verdicts, keep only feasible
//   configurations that beat the current N-th best, sort those, and merge the head into the
//   running top-N on the host. Memory is O(chunk). Simpler, no prefix pruning: kept as the
//   cross-check the tests compare the streaming engine with.
//
// This file holds the drivers, which run on the host and launch passes on the policy's system;
// what runs per index or per block (the functors) is in thrust_search_detail.inl.
#pragma once

#include <thrust/copy.h>
#include <thrust/for_each.h>
#include <thrust/functional.h>
#include <thrust/reduce.h>
#include <thrust/scan.h>
#include <thrust/iterator/counting_iterator.h>
#include <thrust/iterator/transform_iterator.h>
#include <thrust/sort.h>
#include <thrust/transform.h>
#include <thrust/transform_reduce.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

#include "tokenplan/model.hpp"
#include "tokenplan/search.hpp"

#ifndef TOKENPLAN_ENGINE_NS
#error "define TOKENPLAN_ENGINE_NS before including thrust_search.inl"
#endif

#include "search/thrust_search_detail.inl"

namespace tokenplan {
namespace TOKENPLAN_ENGINE_NS {

/// Sorts the candidates [first, last) on the policy's system, copies the best `top_n` to the host
/// and merges them into the running top-N. Both engines end a pass with it.
template <class Policy, class Iterator>
void merge_best(Policy policy, Iterator first, Iterator last, std::uint64_t top_n, std::vector<ranked>& top) {
  const std::uint64_t n = static_cast<std::uint64_t>(last - first);
  if (n == 0) return;
  thrust::sort(policy, first, last, order_fn{});
  std::vector<candidate> head(std::min(n, top_n));
  thrust::copy(first, first + head.size(), head.begin());
  std::vector<ranked> batch;
  batch.reserve(head.size());
  for (const candidate& c : head) batch.push_back(as_ranked(c));
  merge_top(top, batch, top_n);
}

/// Runs the search over grid indices [first, last) (a part of the grid: split_search.hpp).
/// `dev_problem` points to the problem in the memory the policy executes on.
template <class CandidateVector, class Policy>
search_result run_search(Policy policy, const problem* dev_problem, std::uint64_t first, std::uint64_t last,
                         const search_options& o) {
  const auto start = std::chrono::steady_clock::now();
  search_result res;
  const std::uint64_t grid = last - first;
  res.stats.grid_size = grid;
  const std::uint64_t top_n = std::max<std::uint64_t>(1, o.top_n);
  const std::uint64_t chunk = std::max<std::uint64_t>(1, std::min(o.chunk_configs, grid));
  CandidateVector all(chunk);
  CandidateVector kept(chunk);
  // Sorts the feasible candidates among the first n of `all` that beat the current N-th best
  // and merges them into the top-N.
  auto merge_chunk = [&](std::uint64_t n) {
    keep_fn keep{res.top.empty() ? ranked{} : res.top.back(), res.top.size() >= top_n};
    merge_best(policy, kept.begin(), thrust::copy_if(policy, all.begin(), all.begin() + n, kept.begin(), keep), top_n,
               res.top);
  };
  auto score = [&]() {
    const bool has_bar = o.prune && res.top.size() >= top_n;
    return score_fn{dev_problem, has_bar ? res.top.back() : ranked{}, has_bar};
  };

  // A strided sample first (1 index in 64, exact), so the N-th best that bounds the pruning is
  // a good one from the start; its indices are counted when the full pass reaches them, and
  // merge_top drops the second copy.
  if (o.prune && grid >= 64 * 1024) {
    const std::uint64_t samples = std::min<std::uint64_t>(grid / 64, chunk);
    thrust::counting_iterator<std::uint64_t> j(0);
    auto sample = thrust::make_transform_iterator(j, stride_fn{first, grid / samples});
    thrust::transform(policy, sample, sample + samples, all.begin(), score());
    merge_chunk(samples);
  }
  // The full pass, in chunks that grow from 1/16 of the chunk size, so the bar tightens early.
  std::uint64_t step = o.prune ? std::max<std::uint64_t>(1, chunk / 16) : chunk;
  for (std::uint64_t begin = first; begin < last; begin += step, step = std::min(chunk, 2 * step)) {
    if (o.cancel != nullptr && o.cancel->load()) {
      res.stats.interrupted = true;
      break;
    }
    const std::uint64_t n = std::min(step, last - begin);
    thrust::counting_iterator<std::uint64_t> from(begin);
    thrust::transform(policy, from, from + n, all.begin(), score());
    reason_counts rc = thrust::transform_reduce(policy, all.begin(), all.begin() + n, count_fn{},
                                                reason_counts{}, add_counts{});
    for (int i = 0; i < reason_count; ++i) {
      res.stats.counts[i] += rc.c[i];
      // Every index got its own evaluation; the step was costed for those that reached the
      // TPOT check (the same definition as the streaming engine's).
      if (i >= reason_tpot || i == reason_feasible) res.stats.fully_evaluated += rc.c[i];
    }
    res.stats.pruned_bound += rc.bounded;
    merge_chunk(n);
    res.stats.evaluated += n;
    if (o.progress) o.progress(res.stats.evaluated, grid);
  }
  res.stats.elapsed_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return res;
}

// ---- the streaming engine -------------------------------------------------------------------
// (how a block is walked, and the side tables: block_fn in thrust_search_detail.inl)


/// The streaming search. `blocks_per_pass` blocks of `block_configs` indices run per pass.
template <class SlotVector, class TallyVector, class SideVector, class SideCountVector, class Policy>
search_result run_search_streaming(Policy policy, const problem* dev_problem, const problem& host_problem,
                                   std::uint64_t first, std::uint64_t last, const search_options& o,
                                   std::uint64_t blocks_per_pass,
                                   std::uint64_t block_configs) {
  const auto start = std::chrono::steady_clock::now();
  search_result res;
  const std::uint64_t grid = last - first;
  res.stats.grid_size = grid;
  const std::uint64_t k = std::max<std::uint64_t>(1, o.top_n);
  const grid_axes& g = host_problem.grid;
  bool ascending = true;
  for (std::uint32_t i = 1; i < g.agg.n_batch; ++i) ascending = ascending && g.agg.batch[i] > g.agg.batch[i - 1];
  for (std::uint32_t i = 1; i < g.decode.n_batch; ++i) ascending = ascending && g.decode.batch[i] > g.decode.batch[i - 1];
  const bool prefix = o.prune && ascending;
  // Side tables for the disaggregated configurations of the groups a pass touches, rebuilt only
  // when the groups change. A pass spans at most as many groups as fit in 64 MiB of tables (at
  // least one), so they take O(max(64 MiB, (decode + prefill pools) x 600 B)) whatever the grid.
  const std::uint64_t blk = block_size(g);
  const std::uint64_t agg = g.aggregated ? pool_size(g.agg) : 0;
  const std::uint64_t dec = g.disaggregated ? pool_size(g.decode) : 0;
  const std::uint64_t pre = g.disaggregated ? pool_size(g.prefill) : 0;
  const bool use_sides = o.prune && g.disaggregated;
  SideVector sides;
  SideCountVector side_counts;
  std::uint64_t sides_first = 1, sides_last = 0;  // groups in `sides`; empty
  SlotVector slots(blocks_per_pass * k);
  SlotVector compact(blocks_per_pass * k);
  TallyVector tallies(blocks_per_pass);
  std::vector<ranked> batch;
  // A strided sample first (1 index in 64, at most 65,536, exact verdicts), so the N-th best that
  // prunes is a good one from the first pass; its indices get their verdicts and counts when the
  // full pass reaches them, and merge_top drops the second copy.
  if (o.prune && grid >= 64 * 1024) {
    const std::uint64_t samples = std::min<std::uint64_t>(grid / 64, 65536);
    SlotVector sample(samples);
    thrust::counting_iterator<std::uint64_t> j(0);
    auto idx = thrust::make_transform_iterator(j, stride_fn{first, grid / samples});
    thrust::transform(policy, idx, idx + samples, sample.begin(), score_fn{dev_problem, ranked{}, false});
    std::vector<candidate> host(samples);
    thrust::copy(sample.begin(), sample.end(), host.begin());
    for (const candidate& c : host) {
      if (c.reason == reason_feasible) batch.push_back(as_ranked(c));
    }
    std::sort(batch.begin(), batch.end(), [](const ranked& a, const ranked& b) { return ranks_before(a, b); });
    merge_top(res.top, batch, k);
  }
  for (std::uint64_t begin = first; begin < last;) {
    if (o.cancel != nullptr && o.cancel->load()) {
      res.stats.interrupted = true;
      break;
    }
    std::uint64_t span = std::min(last - begin, blocks_per_pass * block_configs);
    if (use_sides) {
      const std::uint64_t groups =
          std::max<std::uint64_t>(1, (64ull << 20) / ((dec + pre) * (sizeof(side_entry) + sizeof(side_count))));
      span = std::min(span, (begin / blk + groups) * blk - begin);
    }
    const std::uint64_t nblocks = (span + block_configs - 1) / block_configs;
    const bool has_bar = o.prune && res.top.size() >= k;
    if (use_sides) {
      const std::uint64_t first_group = begin / blk, last_group = (begin + span - 1) / blk;
      if (first_group != sides_first || last_group != sides_last) {
        sides_first = first_group;
        sides_last = last_group;
        const std::uint64_t entries = (last_group - first_group + 1) * (dec + pre);
        sides.resize(entries);
        thrust::counting_iterator<std::uint64_t> e0(0);
        thrust::transform(policy, e0, e0 + entries, sides.begin(), side_fn{dev_problem, first_group, blk, agg, dec, pre});
        side_counts.resize(entries);
        auto group = thrust::make_transform_iterator(e0, side_group_fn{dec + pre});
        auto flags = thrust::make_transform_iterator(e0, side_flags_fn{thrust::raw_pointer_cast(sides.data()), dec + pre, dec});
        thrust::exclusive_scan_by_key(policy, group, group + entries, flags, side_counts.begin(), side_count{0, 0},
                                      thrust::equal_to<std::uint64_t>(), add_side_counts{});
      }
    }
    block_fn fn{dev_problem, begin, begin + span, block_configs, k, has_bar ? res.top.back() : ranked{}, has_bar, prefix, o.prune,
                use_sides ? thrust::raw_pointer_cast(sides.data()) : static_cast<const side_entry*>(nullptr),
                use_sides ? thrust::raw_pointer_cast(side_counts.data()) : static_cast<const side_count*>(nullptr), sides_first,
                thrust::raw_pointer_cast(slots.data()), thrust::raw_pointer_cast(tallies.data())};
    thrust::counting_iterator<std::uint64_t> block0(0);
    thrust::for_each(policy, block0, block0 + nblocks, fn);
    // The pass's answer, reduced where it was computed: the blocks' tallies summed, their kept
    // slots compacted and sorted; the best K (at most) are copied back and merged.
    const block_tally t = thrust::reduce(policy, tallies.begin(), tallies.begin() + nblocks, block_tally{}, add_tallies{});
    for (int r = 0; r < reason_count; ++r) res.stats.counts[r] += t.counts[r];
    res.stats.fully_evaluated += t.fully_evaluated;
    res.stats.pruned_prefix += t.pruned_prefix;
    res.stats.pruned_bound += t.pruned_bound;
    if (t.kept > 0) {
      merge_best(policy, compact.begin(),
                 thrust::copy_if(policy, slots.begin(), slots.begin() + nblocks * k, block0, compact.begin(),
                                 slot_kept_fn{thrust::raw_pointer_cast(tallies.data()), k}),
                 k, res.top);
    }
    begin += span;
    res.stats.evaluated += span;
    if (o.progress) o.progress(res.stats.evaluated, grid);
  }
  res.stats.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return res;
}

/// Bytes run_search_streaming holds at its peak with `blocks_per_pass` blocks: every block's
/// top-K slots and their compacted copy, the tallies, the side tables (at most 64 MiB, or one
/// group's), the strided sample and its host copy, and the top-N's head and full evaluations.
inline std::uint64_t streaming_search_bytes(const problem& p, const search_options& o, std::uint64_t blocks_per_pass) {
  const std::uint64_t k = std::max<std::uint64_t>(1, o.top_n);
  const grid_axes& g = p.grid;
  const std::uint64_t sides =
      g.disaggregated && o.prune
          ? std::max<std::uint64_t>(64ull << 20, (pool_size(g.decode) + pool_size(g.prefill)) *
                                                     (sizeof(side_entry) + sizeof(side_count)))
          : 0;
  return 2 * blocks_per_pass * k * sizeof(candidate) + blocks_per_pass * sizeof(block_tally) + sides +
         2 * 65536 * sizeof(candidate) + k * (sizeof(candidate) + sizeof(evaluation));
}

/// Full evaluations of `indices`, computed on the policy's system.
template <class IndexVector, class EvaluationVector, class Policy>
std::vector<evaluation> run_evaluate(Policy policy, const problem* dev_problem,
                                     const std::vector<std::uint64_t>& indices) {
  std::vector<evaluation> out(indices.size());
  if (indices.empty()) return out;
  IndexVector idx(indices.begin(), indices.end());
  EvaluationVector ev(indices.size());
  thrust::transform(policy, idx.begin(), idx.end(), ev.begin(), eval_fn{dev_problem});
  thrust::copy(ev.begin(), ev.end(), out.begin());
  return out;
}

}  // namespace TOKENPLAN_ENGINE_NS
}  // namespace tokenplan
