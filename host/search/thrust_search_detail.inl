// The device side of the Thrust grid search (thrust_search.inl): the candidates, the functors
// each index or block runs through (TOKENPLAN_HD: host and device alike), and their tallies.
#pragma once

#include <cstdint>

#include "tokenplan/model.hpp"
#include "tokenplan/search.hpp"

#ifndef TOKENPLAN_ENGINE_NS
#error "define TOKENPLAN_ENGINE_NS before including thrust_search_detail.inl"
#endif

namespace tokenplan {
namespace TOKENPLAN_ENGINE_NS {

// ---- candidates and per-index functors (the chunked engine, the strided sample, run_evaluate) -

/// One evaluated index, as much as ranking and counting need.
struct candidate {
  double key;
  double tie;
  std::uint64_t index;
  std::uint8_t reason;
  std::uint8_t bounded;  ///< feasible, but the optimistic bound showed it cannot enter the top-N
};

TOKENPLAN_HD inline ranked as_ranked(const candidate& c) { return ranked{c.index, c.key, c.tie}; }

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
      if (b.reason != reason_feasible || !ranks_before(ranked{i, b.key, b.tie}, bar)) {
        return candidate{b.key, b.tie, i, b.reason, b.reason == reason_feasible};
      }
    }
    evaluation e = evaluate(*p, i, eval_verdict);
    return candidate{e.key, e.tie, i, e.reason, 0};
  }
};

/// Grid index of the j-th sample of a strided sample of the range from `first`.
struct stride_fn {
  std::uint64_t first, stride;
  TOKENPLAN_HD std::uint64_t operator()(std::uint64_t j) const { return first + j * stride; }
};

struct reason_counts {
  std::uint64_t c[reason_count];
  std::uint64_t bounded;
};

struct count_fn {
  TOKENPLAN_HD reason_counts operator()(const candidate& x) const {
    reason_counts r{};
    r.c[x.reason] = 1;
    r.bounded = x.bounded;
    return r;
  }
};

struct add_counts {
  TOKENPLAN_HD reason_counts operator()(const reason_counts& a, const reason_counts& b) const {
    reason_counts r{};
    for (int i = 0; i < reason_count; ++i) r.c[i] = a.c[i] + b.c[i];
    r.bounded = a.bounded + b.bounded;
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
  TOKENPLAN_HD evaluation operator()(std::uint64_t i) const { return evaluate(*p, i, eval_report); }
};

// ---- the streaming engine -------------------------------------------------------------------
//
// One pass per group of blocks; each block is a run of consecutive indices that one thread
// evaluates start to end, keeping its own top-K and counts, so nothing per configuration is
// stored: memory is O(blocks per pass x K). After a pass, still on the policy's system, the
// blocks' tallies are summed and their kept slots compacted and sorted; only the best K cross to
// the host. On the CPU a block is one OpenMP thread's work item; on the GPU, one CUDA thread's. Within a block, the batch axis is innermost, and a
// larger batch never passes a check a smaller one of the same configuration failed (memory and
// the step budget grow with the batch, and so does TPOT), so once a batch fails one of those
// checks, the larger ones of the same run only get the cheap checks (eval_checks) to place their
// verdict, and the step is not costed. A TPOT failure is inherited only when it is clear (more
// than 1e-6 over the SLO), so rounding can never move a verdict.
//
// Disaggregated configurations pair every prefill pool with every decode pool (decode pools
// innermost). Each pool is checked alone once per group (side tables); a prefill pool that fails
// decides its whole run of pairings, which is counted in O(1) from prefix counts of the decode
// pools' verdicts, and a decode layout that fails skips the rest of its batch run. So a grid
// whose size comes from pools that cannot run costs per pool, not per pairing: a 4.6e9-entry
// grid of that kind is planned in CI in about a second (Search.PlansAGridPastTwoTo32...).

/// Per-block tallies.
struct block_tally {
  std::uint64_t counts[reason_count];
  std::uint64_t fully_evaluated;
  std::uint64_t pruned_prefix;
  std::uint64_t pruned_bound;
  std::uint64_t kept;  ///< candidates in the block's slot
};

struct add_tallies {
  TOKENPLAN_HD block_tally operator()(const block_tally& a, const block_tally& b) const {
    block_tally r{};
    for (int i = 0; i < reason_count; ++i) r.counts[i] = a.counts[i] + b.counts[i];
    r.fully_evaluated = a.fully_evaluated + b.fully_evaluated;
    r.pruned_prefix = a.pruned_prefix + b.pruned_prefix;
    r.pruned_bound = a.pruned_bound + b.pruned_bound;
    r.kept = a.kept + b.kept;
    return r;
  }
};

/// Slot c (of block c / k) holds a candidate: it is among its block's `kept`.
struct slot_kept_fn {
  const block_tally* tallies;
  std::uint64_t k;
  TOKENPLAN_HD bool operator()(std::uint64_t c) const { return c % k < tallies[c / k].kept; }
};

/// Position of index i on the batch axis of its pool, and that axis' length.
TOKENPLAN_HD inline std::uint64_t batch_position(const grid_axes& g, std::uint64_t block, std::uint64_t agg,
                                                 std::uint64_t i) {
  const std::uint64_t j = i % block;
  return j < agg ? j % g.agg.n_batch : (j - agg) % g.decode.n_batch;
}

/// The verdict of a disaggregated configuration from the verdicts of its two pools checked
/// alone, in the model's order of checks (parallelism, formats, memory, TPOT); reason_feasible
/// when both pass, and only then does the configuration need evaluating (TTFT and queueing).
TOKENPLAN_HD inline std::uint8_t combine_sides(std::uint8_t prefill, std::uint8_t decode) {
  if (prefill == reason_parallelism || decode == reason_parallelism) return reason_parallelism;
  if (prefill == reason_precision || decode == reason_precision) return reason_precision;
  if (prefill == reason_memory || decode == reason_memory) return reason_memory;
  return decode;
}

/// One pool of a disaggregated configuration checked alone: its verdict and, when it passes,
/// its metrics, which every pairing with a pool of the other kind shares.
struct side_entry {
  pool_metrics m;
  std::uint8_t reason;
};

/// Decode pools before an entry of its group's side table whose verdict alone is
/// reason_parallelism / reason_precision (an exclusive prefix count; prefill entries add
/// nothing, so the group's first prefill entry holds the totals). A prefill pool that fails
/// alone decides every pairing's verdict from these two counts (combine_sides), so the search
/// counts a whole run of its pairings at once instead of walking it.
struct side_count {
  std::uint32_t parallelism;
  std::uint32_t precision;
};

struct add_side_counts {
  TOKENPLAN_HD side_count operator()(const side_count& a, const side_count& b) const {
    return side_count{a.parallelism + b.parallelism, a.precision + b.precision};
  }
};

/// What entry k adds to its group's counts.
struct side_flags_fn {
  const side_entry* sides;
  std::uint64_t per, dec;
  TOKENPLAN_HD side_count operator()(std::uint64_t k) const {
    const bool decode = k % per < dec;
    const std::uint8_t r = sides[k].reason;
    return side_count{decode && r == reason_parallelism ? 1u : 0u, decode && r == reason_precision ? 1u : 0u};
  }
};

/// Group of side table entry k.
struct side_group_fn {
  std::uint64_t per;
  TOKENPLAN_HD std::uint64_t operator()(std::uint64_t k) const { return k / per; }
};

/// Side table entry k of the groups from group0 on (a group: one site, weight format, KV
/// format and draft length): per group, the decode pools, then the prefill pools.
struct side_fn {
  const problem* p;
  std::uint64_t group0, blk, agg, dec, pre;
  TOKENPLAN_HD side_entry operator()(std::uint64_t k) const {
    const std::uint64_t per = dec + pre, base = (group0 + k / per) * blk + agg, r = k % per;
    side_entry s;
    if (r < dec) {  // prefill pool 0, decode pool r
      const evaluation e = evaluate(*p, base + r, eval_decode_side);
      s.m = e.m.main;
      s.reason = e.reason;
    } else {  // prefill pool r - dec, decode pool 0
      const evaluation e = evaluate(*p, base + (r - dec) * dec, eval_prefill_side);
      s.m = e.m.prefill;
      s.reason = e.reason;
    }
    return s;
  }
};

struct block_fn {
  const problem* p;
  std::uint64_t begin, end, block_configs, k;
  ranked bar;
  bool has_bar;
  bool prefix;  ///< batch axes ascending: prefix pruning is sound
  bool bound;   ///< skip the queueing solve of what cannot beat the bar (search_options::prune)
  /// Side tables (side_fn) of the groups from sides_group0 on; null: evaluate every
  /// disaggregated configuration in full.
  const side_entry* sides;
  const side_count* side_counts;  ///< side_count of every entry of `sides`
  std::uint64_t sides_group0;

  /// evaluate(), with the two pools' metrics from the side tables when given.
  TOKENPLAN_HD evaluation eval_at(std::uint64_t i, eval_depth depth, const side_entry* dk, const side_entry* pk) const {
    if (dk == nullptr) return evaluate(*p, i, depth);
    evaluation e = evaluate_config(*p, decode_index(p->grid, i), depth, &dk->m, &pk->m);
    e.index = i;
    return e;
  }
  candidate* slots;
  block_tally* tallies;

  TOKENPLAN_HD void insert(candidate* slot, std::uint64_t& n, const candidate& c) const {
    // Sorted insertion into the block's top-k (ranks_before order).
    std::uint64_t pos = n < k ? n : k - 1;
    if (n == k && !ranks_before(as_ranked(c), as_ranked(slot[k - 1]))) return;
    while (pos > 0 && ranks_before(as_ranked(c), as_ranked(slot[pos - 1]))) {
      slot[pos] = slot[pos - 1];
      --pos;
    }
    slot[pos] = c;
    if (n < k) ++n;
  }

  TOKENPLAN_HD void operator()(std::uint64_t b) const {
    const grid_axes& g = p->grid;
    const std::uint64_t blk = block_size(g);
    const std::uint64_t agg = g.aggregated ? pool_size(g.agg) : 0;
    const std::uint64_t lo = begin + b * block_configs;
    const std::uint64_t hi = lo + block_configs < end ? lo + block_configs : end;
    candidate* slot = slots + b * k;
    block_tally t{};
    std::uint64_t n = 0;
    std::uint64_t run = ~std::uint64_t(0);
    // What the run inherits: 0 nothing; a reason that every larger batch shares outright
    // (parallelism, formats, memory); or a later check that fails for every larger batch that
    // passes the cheap ones (step budget, TPOT).
    std::uint8_t inherit_fixed = reason_feasible, inherit_later = reason_feasible;
    const double tpot_clear = p->workload.tpot_slo_s * (1.0 + 1e-6);
    const std::uint64_t dec = g.disaggregated ? pool_size(g.decode) : 0;
    const std::uint64_t side_stride = dec + (g.disaggregated ? pool_size(g.prefill) : 0);
    for (std::uint64_t i = lo; i < hi; ++i) {
      const std::uint64_t j = i % blk;
      const side_entry* dk = nullptr;
      const side_entry* pk = nullptr;
      if (sides != nullptr && j >= agg) {
        // Disaggregated: a verdict one pool decides alone comes from the side tables; a pair
        // whose pools both pass is evaluated below from the two pools' metrics (its verdict:
        // TTFT or feasible).
        const std::uint64_t at = (i / blk - sides_group0) * side_stride;
        const std::uint64_t d = (j - agg) % dec;
        dk = sides + at + d;
        pk = sides + at + dec + (j - agg) / dec;
        if (pk->reason != reason_feasible) {
          // The prefill pool fails alone: the verdicts of the rest of its run of pairings in
          // this block follow from the decode pools' counts (combine_sides), counted at once.
          const std::uint64_t n_run = dec - d < hi - i ? dec - d : hi - i;
          const side_count* sc = side_counts + at;
          const std::uint64_t par = sc[d + n_run].parallelism - sc[d].parallelism;
          const std::uint64_t prec = sc[d + n_run].precision - sc[d].precision;
          if (pk->reason == reason_parallelism) {
            t.counts[reason_parallelism] += n_run;
          } else if (pk->reason == reason_precision) {
            t.counts[reason_parallelism] += par;
            t.counts[reason_precision] += n_run - par;
          } else {
            t.counts[reason_parallelism] += par;
            t.counts[reason_precision] += prec;
            t.counts[pk->reason] += n_run - par - prec;
          }
          t.pruned_prefix += n_run;
          i += n_run - 1;
          continue;
        }
        const std::uint8_t r = combine_sides(pk->reason, dk->reason);
        if (r != reason_feasible) {
          // The decode pool fails alone. A layout or format failure is shared by every batch
          // of its layout, and so is a memory failure by every larger batch (prefix): the rest
          // of the run is counted at once.
          std::uint64_t n_run = 1;
          if (r == reason_parallelism || r == reason_precision || (prefix && r == reason_memory)) {
            const std::uint64_t left = g.decode.n_batch - d % g.decode.n_batch;
            n_run = left < hi - i ? left : hi - i;
          }
          t.counts[r] += n_run;
          t.pruned_prefix += n_run;
          i += n_run - 1;
          continue;
        }
      } else {
        const std::uint64_t key = i - batch_position(g, blk, agg, i);
        if (key != run) {
          run = key;
          inherit_fixed = inherit_later = reason_feasible;
        }
        if (prefix && inherit_fixed != reason_feasible) {
          t.counts[inherit_fixed] += 1;
          t.pruned_prefix += 1;
          continue;
        }
        if (prefix && inherit_later != reason_feasible) {
          const evaluation c = evaluate(*p, i, eval_checks);
          if (c.reason != reason_feasible) {
            t.counts[c.reason] += 1;
            t.pruned_prefix += 1;
            if (c.reason == reason_memory) inherit_fixed = reason_memory;
            continue;
          }
          if (inherit_later == reason_tpot) {
            t.counts[reason_tpot] += 1;
            t.pruned_prefix += 1;
            continue;
          }
          // A budget failure that no longer shows: cost it in full (cannot happen in exact
          // arithmetic; kept for safety).
        }
      }
      // The bar: the tighter of the running global N-th best and this block's own k-th best.
      ranked cut = bar;
      bool have = has_bar;
      if (bound && n == k && (!have || ranks_before(as_ranked(slot[k - 1]), cut))) {
        cut = as_ranked(slot[k - 1]);
        have = true;
      }
      evaluation e;
      bool bounded = false;
      if (have) {
        e = eval_at(i, eval_bound, dk, pk);
        if (e.reason == reason_feasible && ranks_before(ranked{i, e.key, e.tie}, cut)) {
          e = eval_at(i, eval_verdict, dk, pk);
        } else {
          bounded = e.reason == reason_feasible;
        }
      } else {
        e = eval_at(i, eval_verdict, dk, pk);
      }
      t.counts[e.reason] += 1;
      if (e.reason >= reason_tpot || e.reason == reason_feasible) t.fully_evaluated += 1;
      if (bounded) t.pruned_bound += 1;
      if (e.reason == reason_parallelism || e.reason == reason_precision || e.reason == reason_memory) {
        inherit_fixed = e.reason;
      } else if (e.reason == reason_prefill_budget) {
        inherit_later = reason_prefill_budget;
      } else if (e.reason == reason_tpot && e.m.main.tpot_s > tpot_clear) {
        inherit_later = reason_tpot;
      }
      if (e.reason == reason_feasible && !bounded) insert(slot, n, candidate{e.key, e.tie, i, e.reason, 0});
    }
    t.kept = n;
    tallies[b] = t;
  }
};

}  // namespace TOKENPLAN_ENGINE_NS
}  // namespace tokenplan
