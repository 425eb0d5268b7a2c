// The analytical performance and cost model: one serving configuration in; memory, step time by
// component, latency, throughput, fleet size, cost and power out. Both backends run this code.
//
// Physics (docs/model.md, "How the model works"): every part of a layer is costed on its own roofline,
// t = max(FLOPs / achieved FLOP/s, bytes / achieved bytes/s), collectives as latency + bytes /
// bandwidth, then the parts add. Aggregated continuous batching with chunked prefill: each step
// carries its micro-batch's decode tokens plus that micro-batch's share of prefill, so prefill
// and decode share GPU time and their costs add. Disaggregated serving sizes a prefill pool and a
// decode pool each on its own and moves the KV cache between them over the scale-out network.
// The arithmetic avoids library transcendentals so the CPU and CUDA backends produce bit-identical
// doubles (compile with --fmad=false / -ffp-contract=off).
//
// This header is the entry point (grid decoding, ranking keys, evaluate_config, evaluate) and
// includes the rest, each a plain __host__ __device__ header that includes only other tokenplan/
// headers and the standard library: evaluation.hpp holds the result types (reason, serving_config,
// component, step_breakdown, pool_metrics, metrics, evaluation); detail/arith.hpp the
// backend-identical arithmetic (max2, min2, ceil_pos, floor_pos, ceil_div, pow_whole);
// pool_view.hpp a pool seen from one GPU, the layout and format checks and part_sum/roofline;
// memory.hpp weights, KV bytes and the memory fit; communication.hpp all-reduce, all-to-all,
// pipeline hand-offs and the KV transfer; step_time.hpp the step by component (stage_step), host
// work and speculation; latency.hpp each pool's cycle, TTFT and admission queueing (whose maths is
// queueing.hpp); latency_dist.hpp the latency distribution at the planned load; cost.hpp the fleet's size, power and cost. Everything but the entry points and
// the result types is in namespace detail.
#pragma once

#include <cstdint>

#include "tokenplan/communication.hpp"
#include "tokenplan/cost.hpp"
#include "tokenplan/detail/arith.hpp"
#include "tokenplan/evaluation.hpp"
#include "tokenplan/hd.hpp"
#include "tokenplan/latency.hpp"
#include "tokenplan/latency_dist.hpp"
#include "tokenplan/memory.hpp"
#include "tokenplan/pool_view.hpp"
#include "tokenplan/precision.hpp"
#include "tokenplan/queueing.hpp"
#include "tokenplan/specs.hpp"
#include "tokenplan/step_time.hpp"

namespace tokenplan {

/// Decodes one pool's sub-index (0 <= i < pool_size) into layout, chunk and batch.
TOKENPLAN_HD inline pool_config decode_pool(const pool_axes& a, std::uint64_t i) {
  pool_config c{};
  c.batch = a.batch[i % a.n_batch];
  i /= a.n_batch;
  c.chunk = a.chunk[i % a.n_chunk];
  i /= a.n_chunk;
  c.lay = a.layouts[i % a.n_layout];
  return c;
}

/// Decodes a grid index (0 <= index < grid_size) into its configuration. Outermost first: site,
/// weight format, KV format, draft length, then the block of aggregated and disaggregated points.
TOKENPLAN_HD inline serving_config decode_index(const grid_axes& g, std::uint64_t index) {
  serving_config c{};
  const std::uint64_t block = block_size(g);
  std::uint64_t j = index % block;
  std::uint64_t i = index / block;
  c.draft = g.draft[i % g.n_draft];
  i /= g.n_draft;
  c.kvprec = g.kvprec[i % g.n_kvprec];
  i /= g.n_kvprec;
  c.wprec = g.wprec[i % g.n_wprec];
  i /= g.n_wprec;
  c.site = g.site[i % g.n_site];
  const std::uint64_t agg = g.aggregated ? pool_size(g.agg) : 0;
  if (j < agg) {
    c.mode = mode_aggregated;
    c.main = decode_pool(g.agg, j);
  } else {
    j -= agg;
    c.mode = mode_disaggregated;
    const std::uint64_t dec = pool_size(g.decode);
    c.main = decode_pool(g.decode, j % dec);
    c.prefill = decode_pool(g.prefill, j / dec);
  }
  return c;
}

/// Ranking key for the objective; lower is better. Ties are broken by cost, then index.
TOKENPLAN_HD inline double objective_key(objective goal, const metrics& m) {
  if (goal == objective_gpus) return m.gpus_billed;
  if (goal == objective_tokens_per_gpu) return -m.tokens_per_s_per_gpu;
  return m.cost_usd_per_day;
}

/// The first tie-break after objective_key (lower first): for the cost goal, fewer GPUs billed
/// (at a site priced at 0 every configuration costs 0, and the smallest fleet, not the first
/// batch size, should win); for the other goals, the cost per day. Both are no larger in an
/// eval_bound evaluation than in the exact one, as the key is, so pruning stays exact.
TOKENPLAN_HD inline double tie_key(objective goal, const metrics& m) {
  return goal == objective_cost ? m.gpus_billed : m.cost_usd_per_day;
}

/// How much of an evaluation to compute.
enum eval_depth : std::uint8_t {
  eval_full = 0,     ///< every metric, whatever the verdict (reports, explain)
  eval_verdict = 1,  ///< stop at the first failed check; exact verdict and ranking keys (the search)
  /// as eval_verdict, but every pool is sized at the highest utilisation queueing allows (0.999)
  /// instead of solving for the SLO's: the same verdict, and keys no worse than the exact ones
  /// (fewer instances, lower cost). The search uses it to skip configurations that cannot beat
  /// its current N-th best without paying for the queueing solve.
  eval_bound = 2,
  /// only the cheap checks: parallelism, formats, memory and the step budget. reason_feasible
  /// here means those pass (the step is not costed). The search uses it for batches it already
  /// knows fail a later check.
  eval_checks = 3,
  /// Disaggregated configurations only: the checks that depend on the decode pool alone (its
  /// layout, formats, memory, TPOT), the prefill pool ignored; reason_feasible means they pass.
  /// Every prefill pool paired with this decode pool shares these verdicts, so the search
  /// computes them once per decode pool (the same code as the full evaluation, so the same bits).
  eval_decode_side = 4,
  /// Disaggregated only: the checks that depend on the prefill pool alone (layout, formats,
  /// memory); reason_feasible means they pass.
  eval_prefill_side = 5,
  /// eval_full plus the latency distribution at the planned load (m.latency): a few thousand
  /// exponentials per configuration, so only what is reported asks for it (ranked results,
  /// explain, validation), never a search or a test that sweeps a grid.
  eval_report = 6,
};

namespace detail {

/// The verdict of a full evaluation: the first failed check in the order of the reasons.
TOKENPLAN_HD inline std::uint8_t verdict(const workload_spec& w, bool fits, bool budget_ok, bool disagg,
                                         const metrics& r) {
  if (!fits) return reason_memory;
  if (!budget_ok) return reason_prefill_budget;
  if (r.tpot_s > w.tpot_slo_s) return reason_tpot;
  // Queueing sized every pool within what the TTFT SLO leaves (the wait is capped at that
  // budget), so a positive utilisation is the TTFT verdict; comparing the re-added sum with the
  // SLO would only test rounding.
  if (r.main.utilisation <= 0.0 || (disagg && r.prefill.utilisation <= 0.0)) return reason_ttft;
  return reason_feasible;
}

}  // namespace detail

/// Evaluates one configuration of the problem. Never produces NaN or Inf for validated inputs:
/// every divisor is a validated positive spec value or a count >= 1. Below eval_full it stops at
/// the first failed check - memory, step budget, TPOT, TTFT, the same order as the verdict - and
/// fills only what the verdict and the ranking keys need.
///
/// `decode_known` / `prefill_known` (disaggregated only, may be null): the pool's metrics as an
/// eval_decode_side / eval_prefill_side evaluation of the same pool left them, which this
/// evaluation would compute again bit for bit; given, they are copied instead (the search
/// evaluates every prefill pool with every decode pool and computes each pool once).
TOKENPLAN_HD inline evaluation evaluate_config(const problem& p, const serving_config& c,
                                               eval_depth depth = eval_full,
                                               const pool_metrics* decode_known = nullptr,
                                               const pool_metrics* prefill_known = nullptr) {
  using namespace detail;
  const bool full = depth == eval_full || depth == eval_report;
  const bool bound = depth == eval_bound;
  evaluation e{};
  e.index = no_index;
  e.cfg = c;
  const model_spec& m = p.model;
  const workload_spec& w = p.workload;
  const site_spec& site = p.sites[c.site];
  const gpu_spec& g = site.gpu;
  const bool disagg = c.mode == mode_disaggregated;
  const bool decode_side = disagg && depth == eval_decode_side;
  const bool prefill_side = disagg && depth == eval_prefill_side;

  if ((!prefill_side && !layout_valid(m, g, c.main.lay)) ||
      (disagg && !decode_side && !layout_valid(m, g, c.prefill.lay))) {
    e.reason = reason_parallelism;
    return e;
  }
  if (!precision_supported(m, g, c.wprec, c.kvprec)) {
    e.reason = reason_precision;
    return e;
  }

  metrics& r = e.m;
  const request_terms q = make_request_terms(m, w, site, c);

  // ---- memory and step budget of each pool: the cheap checks, before any step is costed -----
  pool_metrics& d = r.main;  // aggregated replicas, or the decode pool
  const pool_view dv = make_view(m, g, c.main.lay, c.wprec, c.kvprec, w.fp8_attention, w.moe_overlap_mode);
  const step_load avg = main_pool_load(w, c, dv, q, disagg, d);
  const double mb = avg.decode_seqs;
  const double rank_step_tokens = (mb * (1.0 + q.draft) + d.prefill_tokens_per_step) / dv.dp;
  const double budget = disagg ? rank_step_tokens : double(c.main.chunk);
  if (disagg && decode_known != nullptr) {
    d = *decode_known;
  } else {
    main_pool_memory(m, g, dv, max2(budget, rank_step_tokens), double(c.main.batch), q.isl, q.osl, q.tail_extra, d);
  }
  const pool_view pv = make_view(m, g, disagg ? c.prefill.lay : c.main.lay, c.wprec, c.kvprec, w.fp8_attention,
                                   w.moe_overlap_mode);
  if (disagg && prefill_known != nullptr) {
    r.prefill = *prefill_known;
  } else if (disagg) {
    prefill_pool_memory(m, g, pv, double(c.prefill.chunk), w.input_tail, r.prefill);
  }
  const bool fits = (prefill_side || kv_fits(d)) && (!disagg || decode_side || kv_fits(r.prefill));
  const bool budget_ok = disagg || (rank_step_tokens <= double(c.main.chunk) &&
                                    prefill_room(double(c.main.chunk), mb, q.draft, dv.dp) >= 1.0);
  if (!full && (!fits || !budget_ok)) {
    e.reason = fits ? reason_prefill_budget : reason_memory;
    return e;
  }
  if (depth == eval_checks) {
    e.reason = reason_feasible;
    return e;
  }

  // ---- the main pool's cycle: TPOT ------------------------------------------------------------
  if (!prefill_side && !(disagg && decode_known != nullptr)) {
    main_pool_cycle(m, g, dv, avg, double(c.main.batch), double(c.main.chunk), q, disagg, d);
  }
  if (!full && !prefill_side && d.tpot_s > w.tpot_slo_s) {
    e.reason = reason_tpot;
    return e;
  }
  if (decode_side) {
    e.reason = reason_feasible;
    return e;
  }

  // ---- TTFT, queueing and throughput ----------------------------------------------------------
  if (!disagg) {
    const double base_ttft = aggregated_ttft(m, g, dv, avg, double(c.main.chunk), q, full, d);
    if (fits && budget_ok && d.tpot_s <= w.tpot_slo_s) aggregated_queueing(w, q, base_ttft, bound, d);
    aggregated_totals(q, base_ttft, d, r);
    if (full && d.cycle_s > 0.0) {
      r.prefill_time_share = aggregated_prefill_share(m, g, dv, avg, double(c.main.batch), q, d);
    }
  } else {
    pool_metrics& f = r.prefill;
    if (prefill_known == nullptr) {
      prefill_pool_cycle(m, g, pv, double(c.prefill.chunk), avg.prefill_ctx, c.kvprec, q, f);
    }
    if (prefill_side) {
      e.reason = reason_feasible;
      return e;
    }
    const double base_ttft = disaggregated_ttft(m, g, c.kvprec, w.input_tail, f, d, r);
    if (fits && d.tpot_s <= w.tpot_slo_s) disaggregated_queueing(w, q, base_ttft, bound, f, d);
    disaggregated_totals(q, base_ttft, f, d, r);
  }

  // ---- the fleet: size, cost and power --------------------------------------------------------
  if (disagg) size_pool(r.prefill, q.peak_requests_per_s, q.gpn);
  size_pool(d, q.peak_requests_per_s, q.gpn);
  fleet_cost(g, site, w, r);
  // What the plan delivers at its planned load, as a distribution (full evaluations only: the
  // search ranks by the SLO sizing above, and the percentiles cost a few thousand exponentials).
  if (depth == eval_report) r.latency = latency_at(m, w, q, disagg, dv.dp, r, d.utilisation, r.prefill.utilisation);

  e.reason = verdict(w, fits, budget_ok, disagg, r);
  e.key = objective_key(p.goal, r);
  e.tie = tie_key(p.goal, r);
  return e;
}

/// The latency distribution of `e`, a full evaluation of a configuration of `p`, were its main
/// pool run at utilisation `u_main` and its prefill pool (disaggregated) at `u_prefill`; at the
/// planned utilisations it is e.m.latency. Validation asks it at the load a benchmark ran at.
TOKENPLAN_HD inline latency_dist latency_at_load(const problem& p, const evaluation& e, double u_main,
                                                 double u_prefill) {
  const site_spec& site = p.sites[e.cfg.site];
  const detail::request_terms q = detail::make_request_terms(p.model, p.workload, site, e.cfg);
  return detail::latency_at(p.model, p.workload, q, e.cfg.mode == mode_disaggregated, double(e.cfg.main.lay.dp), e.m,
                            u_main, u_prefill);
}

/// The TPOT mean and tails of `e`, a full evaluation of a configuration of `p` (detail::tpot_tail;
/// the TTFT fields are left 0): what latency_at_load gives for them, without the TTFT quantiles.
TOKENPLAN_HD inline latency_dist tpot_tail_of(const problem& p, const evaluation& e) {
  latency_dist out{};
  if (!(e.m.main.cycle_s > 0.0)) return out;
  const site_spec& site = p.sites[e.cfg.site];
  const detail::request_terms q = detail::make_request_terms(p.model, p.workload, site, e.cfg);
  detail::tpot_tail(p.workload, q, e.cfg.mode == mode_disaggregated, double(e.cfg.main.lay.dp), e.m, out);
  return out;
}

/// The highest main-pool utilisation at which `e` (a full evaluation of a configuration of
/// `p`) keeps the share `tail` of its TTFTs within `ttft_s` (detail::utilisation_at_ttft).
TOKENPLAN_HD inline double utilisation_at_ttft(const problem& p, const evaluation& e, double ttft_s, double tail) {
  const site_spec& site = p.sites[e.cfg.site];
  const detail::request_terms q = detail::make_request_terms(p.model, p.workload, site, e.cfg);
  return detail::utilisation_at_ttft(p.model, p.workload, q, e.cfg.mode == mode_disaggregated,
                                     double(e.cfg.main.lay.dp), e.m, ttft_s, tail,
                                     e.m.prefill.utilisation);
}

/// Evaluates grid point `index` of the problem (`depth`: as evaluate_config).
TOKENPLAN_HD inline evaluation evaluate(const problem& p, std::uint64_t index, eval_depth depth = eval_full) {
  evaluation e = evaluate_config(p, decode_index(p.grid, index), depth);
  e.index = index;
  return e;
}

}  // namespace tokenplan
