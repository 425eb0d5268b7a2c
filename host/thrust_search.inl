// The grid search, written once against Thrust and compiled twice: by g++ with the OMP device
// system (host/backend_cpu.cpp) and by nvcc with the CUDA system (cuda/backend_cuda.cu). The
// includer defines TOKENPLAN_ENGINE_NS so the two copies of these functors never share a name.
//
// Per chunk of the index space: evaluate every index (counting iterator, nothing materialised),
// count verdicts, keep only feasible configurations that beat the current N-th best, sort those,
// and merge the head into the running top-N on the host. Memory is O(chunk), not O(grid).
#pragma once

#include <thrust/copy.h>
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

namespace tokenplan {
namespace TOKENPLAN_ENGINE_NS {

/// One evaluated index, as much as ranking and counting need.
struct candidate {
  double key;
  double cost;
  std::uint64_t index;
  std::uint8_t reason;
};

TOKENPLAN_HD inline ranked as_ranked(const candidate& c) { return ranked{c.index, c.key, c.cost}; }

/// Verdict and ranking keys of one index. With a current N-th best (`bar`), a configuration is
/// first evaluated with optimistic queueing (eval_bound: the same verdict, keys no worse than
/// the exact ones); only if that could still rank before the bar is the queueing solved. What
/// is skipped could not have entered the top-N, so the ranking is the same either way.
struct score_fn {
  const problem* p;
  ranked bar;
  bool has_bar;
  TOKENPLAN_HD candidate operator()(std::uint64_t i) const {
    if (has_bar) {
      evaluation b = evaluate(*p, i, eval_bound);
      if (b.reason != reason_feasible || !ranks_before(ranked{i, b.key, b.m.cost_usd_per_day}, bar)) {
        return candidate{b.key, b.m.cost_usd_per_day, i, b.reason};
      }
    }
    evaluation e = evaluate(*p, i, eval_verdict);
    return candidate{e.key, e.m.cost_usd_per_day, i, e.reason};
  }
};

/// Grid index of the j-th sample of a strided sample.
struct stride_fn {
  std::uint64_t stride;
  TOKENPLAN_HD std::uint64_t operator()(std::uint64_t j) const { return j * stride; }
};

struct reason_counts {
  std::uint64_t c[reason_count];
};

struct count_fn {
  TOKENPLAN_HD reason_counts operator()(const candidate& x) const {
    reason_counts r{};
    r.c[x.reason] = 1;
    return r;
  }
};

struct add_counts {
  TOKENPLAN_HD reason_counts operator()(const reason_counts& a, const reason_counts& b) const {
    reason_counts r{};
    for (int i = 0; i < reason_count; ++i) r.c[i] = a.c[i] + b.c[i];
    return r;
  }
};

/// Feasible, and better than the current N-th best when the top-N is already full.
struct keep_fn {
  ranked worst;
  bool full;
  TOKENPLAN_HD bool operator()(const candidate& x) const {
    return x.reason == reason_feasible && (!full || ranks_before(as_ranked(x), worst));
  }
};

struct order_fn {
  TOKENPLAN_HD bool operator()(const candidate& a, const candidate& b) const {
    return ranks_before(as_ranked(a), as_ranked(b));
  }
};

struct eval_fn {
  const problem* p;
  TOKENPLAN_HD evaluation operator()(std::uint64_t i) const { return evaluate(*p, i); }
};

/// Runs the search. `dev_problem` points to the problem in the memory the policy executes on.
template <class CandidateVector, class Policy>
search_result run_search(Policy policy, const problem* dev_problem, std::uint64_t grid,
                         const search_options& o) {
  const auto start = std::chrono::steady_clock::now();
  search_result res;
  res.stats.grid_size = grid;
  const std::uint64_t top_n = std::max<std::uint64_t>(1, o.top_n);
  const std::uint64_t chunk = std::max<std::uint64_t>(1, std::min(o.chunk_configs, grid));
  CandidateVector all(chunk);
  CandidateVector kept(chunk);
  std::vector<candidate> head;
  std::vector<ranked> batch;
  // Sorts the feasible candidates among the first n of `all` that beat the current N-th best
  // and merges them into the top-N.
  auto merge_chunk = [&](std::uint64_t n) {
    keep_fn keep{res.top.empty() ? ranked{} : res.top.back(), res.top.size() >= top_n};
    auto kept_end = thrust::copy_if(policy, all.begin(), all.begin() + n, kept.begin(), keep);
    const std::uint64_t k = static_cast<std::uint64_t>(kept_end - kept.begin());
    if (k == 0) return;
    thrust::sort(policy, kept.begin(), kept_end, order_fn{});
    const std::uint64_t take = std::min(k, top_n);
    head.resize(take);
    thrust::copy(kept.begin(), kept.begin() + take, head.begin());
    batch.clear();
    for (const candidate& c : head) batch.push_back(as_ranked(c));
    merge_top(res.top, batch, top_n);
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
    auto sample = thrust::make_transform_iterator(j, stride_fn{grid / samples});
    thrust::transform(policy, sample, sample + samples, all.begin(), score());
    merge_chunk(samples);
  }
  // The full pass, in chunks that grow from 1/16 of the chunk size, so the bar tightens early.
  std::uint64_t step = o.prune ? std::max<std::uint64_t>(1, chunk / 16) : chunk;
  for (std::uint64_t begin = 0; begin < grid; begin += step, step = std::min(chunk, 2 * step)) {
    const std::uint64_t n = std::min(step, grid - begin);
    thrust::counting_iterator<std::uint64_t> first(begin);
    thrust::transform(policy, first, first + n, all.begin(), score());
    reason_counts rc = thrust::transform_reduce(policy, all.begin(), all.begin() + n, count_fn{},
                                                reason_counts{}, add_counts{});
    for (int i = 0; i < reason_count; ++i) res.stats.counts[i] += rc.c[i];
    merge_chunk(n);
    res.stats.evaluated += n;
    if (o.progress) o.progress(res.stats.evaluated, grid);
  }
  res.stats.elapsed_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return res;
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
