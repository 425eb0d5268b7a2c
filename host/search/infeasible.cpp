// Why no configuration is feasible: a pass over the grid at the smallest batch, per GPU type the
// furthest check reached and how close the closest configuration came; then the least relaxed
// SLO and the longest prompt at which some configuration is feasible.
#include "search/infeasible.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>

#include "io/overrides.hpp"
#include "base/format.hpp"
#include "search/describe.hpp"
#include "tokenplan/model.hpp"

namespace tokenplan {

namespace {

constexpr double gib = 1024.0 * 1024.0 * 1024.0;

std::string fmt(const char* f, double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, x);
  return buf;
}

/// Memory one pool's GPU would need for the configuration: reserve, weights, workspace and the
/// KV cache at the usable share (fits exactly when this is at most the GPU's memory).
double pool_need_bytes(const pool_metrics& pm, const gpu_spec& g) {
  return g.memory_reserve_bytes + pm.weight_bytes + pm.activation_bytes + pm.kv_bytes_needed / g.memory_usable_fraction;
}

/// The worse pool's shortfall of memory, bytes.
double memory_short_bytes(const evaluation& e, const gpu_spec& g) {
  double s = pool_need_bytes(e.m.main, g) - g.hbm_bytes;
  if (e.cfg.mode == mode_disaggregated) s = std::max(s, pool_need_bytes(e.m.prefill, g) - g.hbm_bytes);
  return s;
}

/// The closest configuration per GPU type and its value; ties go to the lower index, so the
/// answer is the same with any number of threads.
struct best_of {
  std::uint8_t furthest = 0;  ///< the last check reached (a reason value); 0 = none seen
  double value = std::numeric_limits<double>::infinity();
  std::uint64_t index = ~std::uint64_t(0);
  void offer(std::uint8_t reason, double v, std::uint64_t i) {
    if (reason > furthest) {
      furthest = reason;
      value = v;
      index = i;
    } else if (reason == furthest && (v < value || (v == value && i < index))) {
      value = v;
      index = i;
    }
  }
  void merge(const best_of& o) {
    if (o.furthest != 0) offer(o.furthest, o.value, o.index);
  }
};

std::string where(const plan_inputs& in, const serving_config& c) {
  return option_code(c) + " at " + in.cluster.sites[c.site].name;
}

}  // namespace

infeasible_explanation explain_infeasible(const plan_inputs& in, const problem& p, const search_stats& stats) {
  infeasible_explanation x;
  x.computed = true;
  for (std::uint8_t k = reason_parallelism; k < reason_count; ++k) {
    if (stats.counts[k] > x.most_ruled_out_count) {
      x.most_ruled_out = k;
      x.most_ruled_out_count = stats.counts[k];
    }
  }
  // The grid with each batch axis cut to its smallest value.
  auto q = std::make_unique<problem>(p);
  for (pool_axes* a : {&q->grid.agg, &q->grid.decode}) {
    if (a->n_batch == 0) continue;
    a->batch[0] = *std::min_element(a->batch, a->batch + a->n_batch);
    a->n_batch = 1;
  }
  const std::uint64_t n = grid_size(q->grid);
  x.configurations_scanned = n;
  const std::size_t types = in.cluster.gpus.size();
  std::vector<best_of> best(types);
  const problem* qp = q.get();
#pragma omp parallel
  {
    std::vector<best_of> mine(types);
#pragma omp for schedule(dynamic, 256)
    for (std::int64_t ii = 0; ii < static_cast<std::int64_t>(n); ++ii) {
      const std::uint64_t i = static_cast<std::uint64_t>(ii);
      const evaluation e = evaluate(*qp, i, eval_verdict);
      const site_spec& site = qp->sites[e.cfg.site];
      double v = 0.0;
      switch (e.reason) {
        case reason_memory: v = memory_short_bytes(e, site.gpu); break;
        case reason_tpot: v = e.m.main.tpot_s; break;
        case reason_ttft: v = e.m.ttft_s; break;
        default: break;  // parallelism, formats, step budget: no distance to report
      }
      // A feasible point cannot be here (the search found none); rank it past every check.
      const std::uint8_t reached = e.reason == reason_feasible ? std::uint8_t(reason_count) : e.reason;
      mine[site.gpu_type].offer(reached, v, i);
    }
#pragma omp critical
    for (std::size_t t = 0; t < types; ++t) best[t].merge(mine[t]);
  }

  const std::string model = in.model.name;
  for (std::size_t t = 0; t < types; ++t) {
    if (best[t].furthest == 0) continue;  // no site of this type on the grid
    infeasible_gpu gx;
    gx.gpu = in.cluster.gpus[t].name;
    gx.reason = best[t].furthest;
    const gpu_spec& g = in.cluster.gpus[t].spec;
    const bool measured = gx.reason == reason_memory || gx.reason == reason_tpot || gx.reason == reason_ttft;
    if (measured) {
      gx.has_closest = true;
      gx.closest_eval = evaluate_config(p, decode_index(q->grid, best[t].index), eval_report);
      gx.closest_eval.index = no_index;
    }
    const std::string on = " of " + model + " on " + gx.gpu;
    switch (gx.reason) {
      case reason_tpot:
        gx.limit = p.workload.tpot_slo_s * 1e3;
        gx.closest = best[t].value * 1e3;
        gx.detail = "TPOT SLO " + fmt("%g", gx.limit) + " ms: no configuration" + on + " reaches below " +
                    fmt("%.1f", gx.closest) + " ms (the fastest: " + where(in, gx.closest_eval.cfg) + ")";
        break;
      case reason_ttft:
        gx.limit = p.workload.ttft_slo_s * 1e3;
        gx.closest = best[t].value * 1e3;
        gx.detail = "TTFT SLO " + fmt("%g", gx.limit) + " ms (p" + fmt("%g", 100.0 * (1.0 - p.workload.slo_tail)) + "): ";
        if (gx.closest > gx.limit) {
          gx.detail += "no configuration" + on + " within the TPOT SLO answers its tail prompt in under " +
                       fmt("%.0f", gx.closest) + " ms, before any queueing (the fastest: " + where(in, gx.closest_eval.cfg) + ")";
        } else {
          gx.detail += "configurations" + on + " within the TPOT SLO answer the tail prompt in " + fmt("%.0f", gx.closest) +
                       " ms at best (" + where(in, gx.closest_eval.cfg) + "), and waiting for a free slot at the SLO "
                       "percentile takes more than the rest at any load";
        }
        break;
      case reason_memory: {
        gx.limit = g.hbm_bytes / gib;
        gx.closest = best[t].value / gib;
        const evaluation& e = gx.closest_eval;
        const bool prefill_worse = e.cfg.mode == mode_disaggregated &&
                                   pool_need_bytes(e.m.prefill, g) > pool_need_bytes(e.m.main, g);
        const pool_metrics& pm = prefill_worse ? e.m.prefill : e.m.main;
        gx.detail = "memory: no configuration" + on + " fits in its " + fmt("%.1f", gx.limit) +
                    " GiB; the closest, " + where(in, e.cfg) + ", needs " + fmt("%.1f", gx.closest) +
                    " GiB more per GPU" + (prefill_worse ? " in its prefill pool" : "") + " (weights " +
                    fmt("%.1f", pm.weight_bytes / gib) + " GiB, KV cache " + fmt("%.1f", pm.kv_bytes_needed / gib) +
                    " GiB at the " + fmt("%g", g.memory_usable_fraction) + " usable share, workspace " +
                    fmt("%.1f", pm.activation_bytes / gib) + " GiB, reserve " + fmt("%.1f", g.memory_reserve_bytes / gib) +
                    " GiB)";
        break;
      }
      case reason_prefill_budget:
        gx.detail = "step budget: no configuration" + on +
                    " that fits in memory carries its decodes and a prompt's worth of prefill within the grid's "
                    "step token budgets (chunk); add larger chunk_tokens values";
        break;
      case reason_precision:
        gx.detail = "formats: " + gx.gpu + " has tensor cores for none of the weight/KV formats the workload and the grid allow";
        break;
      default:
        gx.detail = "parallelism: no layout of the grid is valid for " + model + " on " + gx.gpu +
                    " (TP must divide the attention heads and fit the NVLink domain; EP the experts)";
        break;
    }
    x.by_gpu.push_back(std::move(gx));
  }
  return x;
}

namespace {

/// The least whole k in (lo, hi] with ok(k), given ok(lo) false and ok(hi) true (bisection).
template <class Ok>
std::int64_t least_ok(std::int64_t lo, std::int64_t hi, Ok ok) {
  while (hi - lo > 1) {
    const std::int64_t mid = lo + (hi - lo) / 2;
    (ok(mid) ? hi : lo) = mid;
  }
  return hi;
}

std::string slo_name(const std::string& what) { return what == "tpot_ms" ? "TPOT" : "TTFT"; }

}  // namespace

void relax_slos(const plan_inputs& in, const problem& p, infeasible_explanation& x, const feasibility_check& feasible) {
  for (infeasible_gpu& g : x.by_gpu) {
    if (g.reason != reason_tpot && g.reason != reason_ttft) continue;
    const bool tpot = g.reason == reason_tpot;
    // The grid restricted to this GPU type's sites.
    auto q = std::make_unique<problem>(p);
    std::uint32_t n = 0;
    for (std::uint32_t k = 0; k < p.grid.n_site; ++k) {
      if (in.cluster.gpus[p.sites[p.grid.site[k]].gpu_type].name == g.gpu) q->grid.site[n++] = p.grid.site[k];
    }
    if (n == 0) continue;
    q->grid.n_site = n;
    infeasible_relax& r = g.relax;
    r.computed = true;
    r.what = tpot ? "tpot_ms" : "ttft_ms";
    r.from = g.limit;
    // Values are k / per_ms ms, divided as the command line's "31.2" parses, then times 1e-3 as
    // --tpot and --ttft apply it: the value printed, passed back, is the value checked.
    auto value_ms = [](bool is_tpot, std::int64_t k) { return static_cast<double>(k) / (is_tpot ? 10.0 : 1.0); };
    auto set = [&](bool is_tpot, std::int64_t k) {
      (is_tpot ? q->workload.tpot_slo_s : q->workload.ttft_slo_s) = value_ms(is_tpot, k) * 1e-3;
    };
    // The least k from `start` (rounded down from a value below which nothing passes) up to 8x
    // at which the problem is feasible; -1 when none is.
    auto least = [&](bool is_tpot, double start_ms) -> std::int64_t {
      auto ok = [&](std::int64_t k) {
        set(is_tpot, k);
        ++r.searches;
        return feasible(*q);
      };
      std::int64_t lo = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::floor(start_ms * (is_tpot ? 10.0 : 1.0))));
      if (ok(lo)) return lo;
      std::int64_t hi = lo;
      for (int doubling = 0; doubling < 3; ++doubling) {
        lo = hi;
        hi *= 2;
        if (ok(hi)) return least_ok(lo, hi, ok);
      }
      return -1;
    };
    const std::int64_t k = least(tpot, g.closest);
    if (k > 0) {
      r.found = true;
      r.to = value_ms(tpot, k);
      continue;
    }
    r.tried = value_ms(tpot, 8 * std::max<std::int64_t>(1, static_cast<std::int64_t>(std::floor(g.closest * (tpot ? 10.0 : 1.0)))));
    if (!tpot) continue;
    // TPOT alone does not help: TTFT binds next. TPOT to where the fastest configuration passes
    // it (rounded up to the step), then the least TTFT from the SLO.
    std::int64_t kt = static_cast<std::int64_t>(std::ceil(g.closest * 10.0));
    if (value_ms(true, kt) < g.closest) ++kt;
    set(true, kt);
    const std::int64_t kf = least(false, p.workload.ttft_slo_s * 1e3);
    if (kf > 0) {
      r.found = r.also = true;
      r.to = value_ms(true, kt);
      r.also_from = p.workload.ttft_slo_s * 1e3;
      r.also_to = value_ms(false, kf);
    }
  }
  // Overall: the relaxation smallest against its SLO (a single SLO before two).
  auto size_of = [](const infeasible_relax& r) { return (r.also ? 1e6 : 0.0) + r.to / r.from; };
  for (const infeasible_gpu& g : x.by_gpu) {
    const infeasible_relax& r = g.relax;
    if (r.found && (!x.relax.found || size_of(r) < size_of(x.relax))) x.relax = r;
  }
  if (!x.relax.found) {
    for (const infeasible_gpu& g : x.by_gpu) {
      if (g.relax.computed && !x.relax.computed) x.relax = g.relax;
    }
  }
}

void longest_prompt(const plan_inputs& in, infeasible_explanation& x, const feasibility_check& feasible) {
  bool prompt_bound = false;
  for (const infeasible_gpu& g : x.by_gpu) {
    prompt_bound = prompt_bound || g.reason == reason_memory || g.reason == reason_prefill_budget || g.reason == reason_ttft;
  }
  if (!prompt_bound) return;
  infeasible_relax& r = x.longest;
  r.computed = true;
  r.what = "isl_tokens";
  r.from = in.workload.spec.input_tail;
  auto ok = [&](std::int64_t tokens) {
    plan_inputs c = in;
    input_overrides o;
    o.input_tokens = static_cast<double>(tokens);
    apply_workload_overrides(c.workload, o);
    ++r.searches;
    return feasible(*build_problem(c));
  };
  // Every prompt below the tail (and within the model's context with the tail answer).
  const double room = static_cast<double>(in.model.spec.max_context) - in.workload.spec.output_tail;
  const auto top = static_cast<std::int64_t>(std::ceil(std::min(r.from, room)));
  if (top < 2 || !ok(1)) {
    r.tried = 1.0;
    return;
  }
  // ok(1) holds; the bisection wants the false end on the left: search "not ok" instead.
  const std::int64_t first_bad = least_ok(1, top, [&](std::int64_t t) { return !ok(t); });
  r.found = true;
  r.to = static_cast<double>(first_bad - 1);
}

namespace {

nlohmann::ordered_json relax_json(const infeasible_relax& r) {
  nlohmann::ordered_json j;
  j["slo"] = r.what;
  j["from"] = r.from;
  j["to"] = r.found ? nlohmann::ordered_json(r.to) : nlohmann::ordered_json(nullptr);
  if (!r.found || r.also) j["tried_up_to"] = r.tried;
  if (r.also) j["also"] = {{"slo", "ttft_ms"}, {"from", r.also_from}, {"to", r.also_to}};
  j["searches"] = r.searches;
  return j;
}

}  // namespace

std::string relax_text(const infeasible_relax& r, bool options) {
  if (!r.computed) return "";
  const bool tpot = r.what == "tpot_ms";
  const char* f = tpot ? "%.1f" : "%.0f";
  if (!r.found) {
    return "relaxing the " + slo_name(r.what) + " SLO alone, up to " + fmt(f, r.tried) + " ms, makes no configuration feasible";
  }
  if (r.also) {
    return "relax the TPOT SLO from " + fmt("%g", r.from) + " ms to " + fmt(f, r.to) + " ms and the TTFT SLO from " +
           fmt("%g", r.also_from) + " ms to " + fmt("%.0f", r.also_to) + " ms (" +
           (options ? "--tpot " + fmt(f, r.to) + " --ttft " + fmt("%.0f", r.also_to) + "; " : "") + "TPOT alone, up to " +
           fmt(f, r.tried) + " ms, is not enough)";
  }
  return "relax the " + slo_name(r.what) + " SLO from " + fmt("%g", r.from) + " ms to " + fmt(f, r.to) + " ms" +
         (options ? std::string(" (") + (tpot ? "--tpot " : "--ttft ") + fmt(f, r.to) + ")" : "");
}

std::string longest_prompt_text(const infeasible_relax& r) {
  if (!r.computed) return "";
  if (!r.found) return "no prompt length makes a configuration feasible, not even 1 token";
  return "the longest prompt that fits is " + group_digits(static_cast<std::uint64_t>(r.to)) + " tokens (--isl " +
         fmt("%.0f", r.to) + "), against a tail prompt of " + group_digits(static_cast<std::uint64_t>(r.from)) + " tokens";
}

nlohmann::ordered_json infeasible_json(const plan_inputs& in, const infeasible_explanation& x) {
  nlohmann::ordered_json j;
  j["most_ruled_out_by"] = {{"check", reason_name(x.most_ruled_out)}, {"configurations", x.most_ruled_out_count}};
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  for (const infeasible_gpu& g : x.by_gpu) {
    nlohmann::ordered_json o;
    o["gpu"] = g.gpu;
    o["binding_check"] = reason_name(g.reason);
    if (g.reason == reason_tpot || g.reason == reason_ttft) {
      o["slo_ms"] = g.limit;
      o["closest_ms"] = g.closest;
    } else if (g.reason == reason_memory) {
      o["gpu_memory_gib"] = g.limit;
      o["closest_short_gib"] = g.closest;
    }
    o["closest_config"] = g.has_closest ? config_json(in, g.closest_eval.cfg) : nlohmann::ordered_json(nullptr);
    o["detail"] = g.detail;
    if (g.relax.computed) o["relax"] = relax_json(g.relax);
    arr.push_back(o);
  }
  j["by_gpu"] = arr;
  j["configurations_scanned"] = x.configurations_scanned;
  if (x.relax.computed) j["relax"] = relax_json(x.relax);
  if (x.longest.computed) {
    j["longest_prompt"] = {{"isl_tokens", x.longest.found ? nlohmann::ordered_json(static_cast<std::int64_t>(x.longest.to)) : nlohmann::ordered_json(nullptr)},
                           {"tail_isl_tokens", x.longest.from},
                           {"searches", x.longest.searches}};
  }
  return j;
}

std::string infeasible_text(const infeasible_explanation& x) {
  std::string s = "No configuration meets every constraint.\n";
  for (const infeasible_gpu& g : x.by_gpu) {
    s += "  " + wrap(g.detail, table_width() - 2, 4);
    if (g.relax.computed) s += "    " + wrap(relax_text(g.relax) + " on " + g.gpu, table_width() - 4, 6);
  }
  if (x.relax.computed) s += wrap("To make a configuration feasible: " + relax_text(x.relax) + ".");
  if (x.longest.computed) s += wrap("Shorter prompts: " + longest_prompt_text(x.longest) + ".");
  s += wrap("Most configurations were ruled out by " + std::string(reason_name(x.most_ruled_out)) + " (" +
            group_digits(x.most_ruled_out_count) + "); the counts by check are above.");
  return s;
}

}  // namespace tokenplan
