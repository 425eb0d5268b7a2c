// Plan reports: JSON for scripts and dashboards, a table for people (fits 100 columns).
#include <cmath>
#include <cstdio>
#include <sstream>

#include "fleet/fleet.hpp"
#include "report/fleet_report.hpp"
#include "search/pareto.hpp"
#include "report/plan_report.hpp"
#include "base/format.hpp"
#include "search/describe.hpp"

#ifndef TOKENPLAN_VERSION
#define TOKENPLAN_VERSION "0.0.0-dev"
#endif

namespace tokenplan {

namespace {

ojson file_ref(const input_file& f) {
  ojson j;
  j["path"] = f.path;
  j["sha256"] = f.sha256;
  return j;
}

struct type_capacity {
  std::string gpu;
  std::uint64_t available = 0;
  std::vector<std::string> sites;
};

std::vector<type_capacity> capacity_by_type(const plan_inputs& in) {
  std::vector<type_capacity> out(in.cluster.gpus.size());
  for (std::size_t i = 0; i < in.cluster.gpus.size(); ++i) out[i].gpu = in.cluster.gpus[i].name;
  for (const site_entry& s : in.cluster.sites) {
    out[s.gpu_index].available += s.gpus;
    out[s.gpu_index].sites.push_back(s.name);
  }
  return out;
}

double peak_tokens_per_s(const workload_spec& w) { return w.tokens_per_day / 86400.0 * w.peak_to_average; }

std::string capacity_sentence(const plan_result& r) {
  if (r.top.empty()) return "no feasible configuration, so no capacity verdict";
  const evaluation& best = r.top.front();
  const site_entry& site = r.inputs.cluster.sites[best.cfg.site];
  const site_spec& ss = r.prob->sites[best.cfg.site];
  std::uint64_t need = as_count(best.m.gpus_billed);
  std::uint64_t have = as_count(ss.type_gpus_available);
  std::ostringstream o;
  o << "the best configuration needs " << group_digits(need) << " " << site.gpu << " GPUs; the cluster has "
    << group_digits(have);
  if (need > have) {
    o << ": short by " << group_digits(need - have) << " GPUs (the fleet section places them within each site's"
      << " GPUs and power cap)";
  } else {
    o << ": enough, with " << group_digits(have - need) << " to spare";
  }
  return o.str();
}

/// One line: layout of the configuration, "t8", or "t8|t1e32d32" for prefill|decode pools.
std::string config_code(const serving_config& c) {
  if (c.mode == mode_disaggregated) return layout_code(c.prefill.lay) + "|" + layout_code(c.main.lay);
  return layout_code(c.main.lay);
}

ojson step_delta(const step_breakdown& a, const step_breakdown& b) {
  ojson j;
  for (int c = 0; c < comp_count; ++c) {
    double d = b.time_s[c] - a.time_s[c];
    if (a.time_s[c] > 0.0 || b.time_s[c] > 0.0) j[component_name(static_cast<std::uint8_t>(c))] = d * 1e3;
  }
  j["overlap_hidden"] = (a.overlap_hidden_s - b.overlap_hidden_s) * 1e3;  // the negated difference, never -0
  j["stage"] = (b.stage_s - a.stage_s) * 1e3;
  return j;
}

ojson why_json(const plan_result& r) {
  ojson j;
  if (r.top.empty()) return j;
  const evaluation& w = r.top.front();
  j["binding_constraint"] = r.why.binding;
  j["detail"] = r.why.binding_detail;
  if (!r.why.has_runner_up) {
    j["runner_up"] = nullptr;
    return j;
  }
  const evaluation& u = r.why.runner_up;
  ojson ru;
  ru["rank"] = r.why.runner_up_rank;
  ru["config"] = config_json(r.inputs, u.cfg);
  ru["cost_usd_per_day"] = u.m.cost_usd_per_day;
  ojson d;  // runner-up minus winner
  d["cost_usd_per_day"] = u.m.cost_usd_per_day - w.m.cost_usd_per_day;
  d["cost_percent"] = cost_percent(u.m.cost_usd_per_day, w.m.cost_usd_per_day);
  d["lease_usd_per_day"] = u.m.lease_usd_per_day - w.m.lease_usd_per_day;
  d["energy_usd_per_day"] = u.m.energy_usd_per_day - w.m.energy_usd_per_day;
  d["gpus_billed"] = u.m.gpus_billed - w.m.gpus_billed;
  d["tokens_per_s_per_gpu"] = u.m.tokens_per_s_per_gpu - w.m.tokens_per_s_per_gpu;
  d["tpot_ms"] = (u.m.tpot_s - w.m.tpot_s) * 1e3;
  d["ttft_ms"] = (u.m.ttft_s - w.m.ttft_s) * 1e3;
  d["main_pool_cycle_ms"] = (u.m.main.cycle_s - w.m.main.cycle_s) * 1e3;
  d["main_pool_step_ms"] = step_delta(w.m.main.step, u.m.main.step);
  if (w.cfg.mode == mode_disaggregated && u.cfg.mode == mode_disaggregated) {
    d["prefill_pool_step_ms"] = step_delta(w.m.prefill.step, u.m.prefill.step);
  }
  ru["difference_vs_winner"] = d;
  j["runner_up"] = ru;
  return j;
}

}  // namespace

std::string plan_to_json(const plan_result& r, const fleet_result* fleet) {
  const plan_inputs& in = r.inputs;
  const workload_spec& w = r.prob->workload;
  ojson j = json_document("plan");

  ojson inputs;
  inputs["cluster"] = file_ref(in.cluster.file);
  inputs["cluster"]["name"] = in.cluster.name;
  inputs["model"] = file_ref(in.model.file);
  inputs["model"]["name"] = in.model.name;
  inputs["workload"] = file_ref(in.workload.file);
  inputs["workload"]["name"] = in.workload.name;
  inputs["grid"] = {{"path", in.grid.origin}, {"sha256", in.grid.sha256.empty() ? ojson(nullptr) : ojson(in.grid.sha256)}};
  inputs["calibration"] = file_ref(in.cal.file);
  ojson gpus = ojson::array();
  for (const gpu_entry& g : in.cluster.gpus) {
    ojson gj = file_ref(g.file);
    gj["name"] = g.name;
    gj["family"] = g.family;
    gpus.push_back(gj);
  }
  inputs["gpus"] = gpus;
  if (in.overrides.any()) inputs["overrides"] = overrides_json(in.overrides);
  j["inputs"] = inputs;

  ojson be;
  be["name"] = r.backend_name;
  be["device"] = r.backend_device;
  if (!r.backend_note.empty()) be["note"] = r.backend_note;
  j["backend"] = be;
  j["objective"] = objective_name(in.goal);
  j["engine"] = {{"name", in.engine}, {"step_time_factor", w.engine_factor}};

  ojson demand;
  demand["tokens_per_day"] = w.tokens_per_day;
  demand["mean_tokens_per_s"] = w.tokens_per_day / 86400.0;
  demand["peak_tokens_per_s"] = peak_tokens_per_s(w);
  demand["peak_requests_per_s"] = peak_tokens_per_s(w) / (w.input_tokens + w.output_tokens);
  demand["input_tokens_mean"] = w.input_tokens;
  demand["input_tokens_tail"] = w.input_tail;
  demand["output_tokens_mean"] = w.output_tokens;
  demand["output_tokens_tail"] = w.output_tail;
  demand["prefix_cache_hit"] = w.prefix_cache_hit;
  demand["peak_to_average"] = w.peak_to_average;
  demand["ttft_slo_ms"] = w.ttft_slo_s * 1e3;
  demand["tpot_slo_ms"] = w.tpot_slo_s * 1e3;
  if (w.admission_steps > 1.0) demand["admission_steps"] = static_cast<std::uint32_t>(w.admission_steps);  // only where set
  if (w.moe_overlap_mode != moe_overlap_two_batch) demand["moe_overlap"] = moe_overlap_name(w.moe_overlap_mode);
  if (w.scheduler_lag_steps > 0.0) demand["overlap_scheduler"] = true;
  j["demand"] = demand;

  ojson search;
  search["grid_size"] = r.stats.grid_size;
  search["evaluated"] = r.stats.evaluated;
  search["feasible"] = r.stats.counts[reason_feasible];
  ojson inf;
  for (std::uint8_t k = reason_parallelism; k < reason_count; ++k) inf[reason_name(k)] = r.stats.counts[k];
  search["infeasible"] = inf;
  search["search_elapsed_s"] = r.stats.elapsed_s;
  search["configs_per_s"] = r.stats.elapsed_s > 0.0 ? double(r.stats.evaluated) / r.stats.elapsed_s : 0.0;
  search["total_elapsed_s"] = r.elapsed_s;
  // How the verdicts were reached; depends on the backend and thread count (the ranking and the
  // counts above do not).
  search["work"] = {{"fully_evaluated", r.stats.fully_evaluated},
                    {"inherited_along_batch_axis", r.stats.pruned_prefix},
                    {"queueing_skipped_by_bound", r.stats.pruned_bound}};
  j["search"] = search;

  ojson cap;
  ojson types = ojson::array();
  for (const type_capacity& t : capacity_by_type(in)) {
    types.push_back({{"gpu", t.gpu}, {"available", t.available}, {"sites", t.sites}});
  }
  cap["gpus_by_type"] = types;
  if (!r.top.empty()) {
    const evaluation& best = r.top.front();
    const site_spec& ss = r.prob->sites[best.cfg.site];
    cap["best_needs_gpus"] = as_count(best.m.gpus_billed);
    cap["gpus_of_type_available"] = as_count(ss.type_gpus_available);
    cap["shortfall_gpus"] = as_count(best.m.shortfall_gpus);
    cap["enough"] = best.m.shortfall_gpus <= 0.0;
  } else {
    cap["best_needs_gpus"] = nullptr;
    cap["enough"] = false;
    cap["no_feasible_reason"] = reason_name(dominant_reason(r.stats));
  }
  cap["summary"] = capacity_sentence(r);
  j["capacity"] = cap;
  j["why_the_winner_wins"] = why_json(r);
  if (r.top.empty() && r.no_feasible.computed) j["why_no_configuration"] = infeasible_json(in, r.no_feasible);

  ojson results = ojson::array();
  for (std::size_t i = 0; i < r.top.size(); ++i) {
    ojson one;
    one["rank"] = i + 1;
    const ojson body = evaluation_json(in, *r.prob, r.top[i]);
    for (const auto& kv : body.items()) one[kv.key()] = kv.value();
    results.push_back(one);
  }
  j["results"] = results;
  if (!r.pareto.empty()) j["pareto"] = pareto_json(r);
  if (fleet != nullptr) j["fleet"] = fleet_json(*fleet);
  return j.dump(2) + "\n";
}

std::string plan_to_table(const plan_result& r) {
  const plan_inputs& in = r.inputs;
  const workload_spec& w = r.prob->workload;
  std::ostringstream o;
  char line[512];
  o << wrap("tokenplan plan: model " + in.model.name + ", workload " + in.workload.name + ", cluster " + in.cluster.name +
                ", engine " + in.engine);
  std::snprintf(line, sizeof line,
                "demand: %s tokens/day; peak %s tokens/s (%s req/s); ISL %.0f (tail %.0f), OSL %.0f; SLO TTFT %.0f ms "
                "(p%.0f), TPOT %.0f ms",
                short_number(w.tokens_per_day).c_str(), short_number(peak_tokens_per_s(w)).c_str(),
                short_number(peak_tokens_per_s(w) / (w.input_tokens + w.output_tokens)).c_str(), w.input_tokens,
                w.input_tail, w.output_tokens, w.ttft_slo_s * 1e3, 100.0 * (1.0 - w.slo_tail), w.tpot_slo_s * 1e3);
  o << wrap(line);
  if (w.admission_steps > 1.0) {
    o << wrap("engine admits new prompts once every " + std::to_string(static_cast<long>(w.admission_steps)) +
              " steps: a prompt waits up to " + std::to_string(static_cast<long>(w.admission_steps) - 1) +
              " steps beyond the next one (aggregated pools)");
  }
  if (w.moe_overlap_mode != moe_overlap_two_batch) {
    o << wrap(std::string("engine overlap under the expert all-to-all: ") + moe_overlap_name(w.moe_overlap_mode) +
              " (no two-batch overlap)");
  }
  if (w.scheduler_lag_steps > 0.0) {
    o << wrap("engine runs an overlap scheduler: a new prompt waits out the step already launched before its prefill");
  }
  if (in.overrides.any()) o << wrap("overrides: " + overrides_text(in.overrides));
  o << wrap("search: " + group_digits(r.stats.grid_size) + " configurations on " + r.backend_name + " (" +
            r.backend_device + ") in " + short_number(r.stats.elapsed_s) + " s (" +
            short_number(r.stats.elapsed_s > 0.0 ? double(r.stats.evaluated) / r.stats.elapsed_s : 0.0) +
            "/s; step costed for " + group_digits(r.stats.fully_evaluated) + "); " +
            group_digits(r.stats.counts[reason_feasible]) + " feasible");
  std::string ruled = "ruled out:";
  for (std::uint8_t k = reason_parallelism; k < reason_count; ++k) {
    ruled += " " + std::string(reason_name(k)) + " " + group_digits(r.stats.counts[k]) + (k + 1 < reason_count ? "," : "");
  }
  o << wrap(ruled) << "\n";
  if (r.top.empty()) {
    if (r.no_feasible.computed) {
      o << infeasible_text(r.no_feasible);
    } else {
      o << "No configuration meets every constraint; most are ruled out by " << reason_name(dominant_reason(r.stats))
        << ".\n";
    }
    return o.str();
  }
  // Rows that differ only in the chunk size (the same site, layout, batch, formats and drafts, the
  // same GPUs billed and cost within 0.1%) are one row here, its chunk column naming the sizes;
  // the JSON and CSV keep every row.
  auto chunk_of = [](const evaluation& e) {
    return e.cfg.mode == mode_disaggregated ? e.cfg.prefill.chunk : e.cfg.main.chunk;
  };
  auto same_but_chunk = [&](const evaluation& a, const evaluation& b) {
    return a.cfg.site == b.cfg.site && config_code(a.cfg) == config_code(b.cfg) && a.cfg.main.batch == b.cfg.main.batch &&
           a.cfg.wprec == b.cfg.wprec && a.cfg.kvprec == b.cfg.kvprec && a.cfg.draft == b.cfg.draft &&
           a.cfg.mode == b.cfg.mode && as_count(a.m.gpus_billed) == as_count(b.m.gpus_billed) &&
           std::fabs(a.m.cost_usd_per_day - b.m.cost_usd_per_day) <= 1e-3 * std::max(a.m.cost_usd_per_day, b.m.cost_usd_per_day);
  };
  auto size_text = [](std::uint32_t c) {
    return c >= 1024 && c % 1024 == 0 ? std::to_string(c / 1024) + "k" : std::to_string(c);
  };
  std::vector<bool> merged(r.top.size(), false);
  std::size_t merged_rows = 0;
  // 80 columns: formats as bits ("8/8" for fp8/fp8), no tokens/s per GPU or USD per million
  // tokens (the JSON, CSV and --wide have them).
  const bool wide = wide_tables();
  if (wide) {
    std::snprintf(line, sizeof line, "%4s %-9s %-19s %7s %5s %-8s %5s %5s %6s %8s %7s %6s\n", "rank", "site",
                  "layout (pre|dec)", "chunk", "batch", "w/kv", "tpot", "ttft", "tok/sg", "gpus", "usd/day", "$/Mtok");
  } else {
    std::snprintf(line, sizeof line, "%4s %-9s %-16s %7s %5s %-5s %5s %5s %8s %7s\n", "rank", "site", "layout (pre|dec)",
                  "chunk", "batch", "w/kv", "tpot", "ttft", "gpus", "usd/day");
  }
  o << line;
  for (std::size_t i = 0; i < r.top.size(); ++i) {
    if (merged[i]) continue;
    const evaluation& e = r.top[i];
    const site_entry& site = in.cluster.sites[e.cfg.site];
    std::string prec = std::string(precision_name(e.cfg.wprec)) + "/" + precision_name(e.cfg.kvprec);
    std::uint32_t lo = chunk_of(e), hi = chunk_of(e);
    std::size_t count = 1;
    for (std::size_t k = i + 1; k < r.top.size(); ++k) {
      if (merged[k] || !same_but_chunk(e, r.top[k])) continue;
      merged[k] = true;
      ++merged_rows;
      ++count;
      lo = std::min(lo, chunk_of(r.top[k]));
      hi = std::max(hi, chunk_of(r.top[k]));
    }
    const std::string chunk = count == 1   ? std::to_string(lo)
                              : count == 2 ? size_text(lo) + "," + size_text(hi)
                                           : size_text(lo) + "-" + size_text(hi);
    std::string code = config_code(e.cfg) + (e.cfg.draft ? "+s" + std::to_string(e.cfg.draft) : "");
    if (wide) {
      std::snprintf(line, sizeof line, "%4zu %-9.9s %-19.19s %7s %5u %-8s %5.1f %5.0f %6.0f %8s %7s %6.3f\n", i + 1,
                    site.name.c_str(), code.c_str(), chunk.c_str(), e.cfg.main.batch, prec.c_str(), e.m.tpot_s * 1e3,
                    e.m.ttft_s * 1e3, e.m.tokens_per_s_per_gpu, group_digits(as_count(e.m.gpus_billed)).c_str(),
                    short_number(e.m.cost_usd_per_day).c_str(), e.m.usd_per_million_tokens);
    } else {
      auto bits = [](std::uint8_t p) { return p == prec_bf16 ? "16" : p == prec_fp8 ? "8" : "4"; };
      const std::string short_prec = std::string(bits(e.cfg.wprec)) + "/" + bits(e.cfg.kvprec);
      std::snprintf(line, sizeof line, "%4zu %-9.9s %-16.16s %7s %5u %-5s %5.1f %5.0f %8s %7s\n", i + 1,
                    site.name.c_str(), code.c_str(), chunk.c_str(), e.cfg.main.batch, short_prec.c_str(),
                    e.m.tpot_s * 1e3, e.m.ttft_s * 1e3, group_digits(as_count(e.m.gpus_billed)).c_str(),
                    short_number(e.m.cost_usd_per_day).c_str());
    }
    o << line;
  }
  if (merged_rows > 0) {
    o << wrap(std::to_string(merged_rows) + " ranked configuration" +
              (merged_rows == 1 ? " that differs from a row above only in the chunk size (same GPUs, cost "
                                  "within 0.1%) is merged into it"
                                : "s that differ from a row above only in the chunk size (same GPUs, cost within "
                                  "0.1%) are merged into it") +
              " (chunk a,b: those two sizes; a-b: sizes from a to b); --format json or csv lists each.");
  }
  o << "\n"
    << wrap(std::string("layout: t=TP p=PP e=EP d=attention-DP; a|b: disaggregated prefill|decode pools; +sN: N "
                        "drafts. chunk and batch are per attention-DP rank (disaggregated: prefill chunk, decode "
                        "batch); ") +
                (wide ? "w/kv: weight/KV-cache formats; tok/sg: tokens/s per GPU at the planned load; "
                      : "w/kv: weight/KV-cache bits (8/8: FP8/FP8); ") +
                "tpot, ttft in ms (TTFT at the SLO percentile, queueing in)." +
                (wide ? "" : " --wide adds tokens/s per GPU and USD per million tokens."),
            0, 0);
  const evaluation& best = r.top.front();
  o << "\n" << wrap("why rank 1 wins: binding constraint " + r.why.binding + ": " + r.why.binding_detail);
  if (r.why.has_runner_up) {
    const evaluation& u = r.why.runner_up;
    std::snprintf(line, sizeof line,
                  "runner-up (rank %zu, %s %s %s/%s): %s USD/day (%+.1f%%), %s GPUs billed (%+.0f), TPOT %+.1f ms, "
                  "TTFT %+.0f ms",
                  r.why.runner_up_rank, in.cluster.sites[u.cfg.site].name.c_str(), config_code(u.cfg).c_str(),
                  precision_name(u.cfg.wprec), precision_name(u.cfg.kvprec), short_number(u.m.cost_usd_per_day).c_str(),
                  signed_rounded(cost_percent(u.m.cost_usd_per_day, best.m.cost_usd_per_day), 1),
                  group_digits(as_count(u.m.gpus_billed)).c_str(), signed_rounded(u.m.gpus_billed - best.m.gpus_billed, 0),
                  signed_rounded((u.m.tpot_s - best.m.tpot_s) * 1e3, 1), signed_rounded((u.m.ttft_s - best.m.ttft_s) * 1e3, 0));
    o << wrap(line);
    auto deltas = [&](const char* pool, const step_breakdown& a, const step_breakdown& b) {
      std::string d = std::string("  ") + pool + " step, runner-up minus winner (ms):";
      bool any = false;
      char buf[96];
      for (int c = 0; c < comp_count; ++c) {
        const double x = (b.time_s[c] - a.time_s[c]) * 1e3;
        if (std::fabs(x) < 0.005) continue;
        std::snprintf(buf, sizeof buf, " %s %+.2f,", component_name(static_cast<std::uint8_t>(c)), x);
        d += buf;
        any = true;
      }
      if (std::fabs(b.overlap_hidden_s - a.overlap_hidden_s) >= 5e-6) {
        // Two micro-batches where either side runs them; otherwise what one batch hides under the
        // all-to-all (the engine's moe_overlap).
        const bool two = a.two_batch_overlap > 0.0 || b.two_batch_overlap > 0.0;
        std::snprintf(buf, sizeof buf, " hidden by %s %+.2f,", two ? "two-batch overlap" : "overlap under the all-to-all",
                      -(b.overlap_hidden_s - a.overlap_hidden_s) * 1e3);
        d += buf;
      }
      if (any) {
        std::snprintf(buf, sizeof buf, " stage %+.2f,", signed_rounded((b.stage_s - a.stage_s) * 1e3, 2));
        d += buf;
      }
      if (!any) d += " the same";
      else d.pop_back();
      o << wrap(d, 0, 4);
    };
    const bool both_disagg = best.cfg.mode == mode_disaggregated && u.cfg.mode == mode_disaggregated;
    if (both_disagg) deltas("prefill pool", best.m.prefill.step, u.m.prefill.step);
    deltas(both_disagg ? "decode pool" : "main pool", best.m.main.step, u.m.main.step);
  } else {
    o << "runner-up: no configuration of a different structure is feasible\n";
  }
  o << "\n" << wrap("capacity: " + capacity_sentence(r));
  if (!r.pareto.empty()) o << "\n" << pareto_table(r);
  return o.str();
}

}  // namespace tokenplan
