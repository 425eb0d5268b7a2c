// Plan orchestration: files -> problem -> backend search -> full evaluation of the winners, and
// why the winner wins.
#include "search/plan.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "base/errors.hpp"
#include "io/loaders.hpp"
#include "search/pareto.hpp"
#include "base/format.hpp"

#ifndef TOKENPLAN_VERSION
#define TOKENPLAN_VERSION "0.0.0-dev"
#endif

namespace tokenplan {

namespace {

/// A grid file whose every TP value of a pool exceeds the scale-up (NVLink) domain of every GPU
/// in the cluster could only rule out every configuration of that pool: that is a mistake in the
/// grid file, refused with its path, not a search that finds nothing.
void check_grid_tp_fits(const grid_request& g, const cluster_entry& c) {
  if (g.origin.empty() || g.origin == "built-in" || c.gpus.empty()) return;
  std::uint32_t widest = 0;
  std::string widest_gpu;
  for (const gpu_entry& gpu : c.gpus) {
    if (gpu.spec.scale_up_domain_gpus > widest) {
      widest = gpu.spec.scale_up_domain_gpus;
      widest_gpu = gpu.name;
    }
  }
  auto check = [&](const pool_request& p) {
    if (p.tp.empty() || p.tp_path.empty()) return;
    const std::uint32_t smallest = *std::min_element(p.tp.begin(), p.tp.end());
    if (smallest <= widest) return;
    throw config_error(g.origin, p.tp_path,
                       "TP " + std::to_string(smallest) + " is larger than the scale-up (NVLink) domain of every GPU " +
                           "in the cluster (at most " + std::to_string(widest) + ", " + widest_gpu +
                           "): no configuration could run; give a TP of at most " + std::to_string(widest));
  };
  if (g.aggregated) check(g.agg);
  if (g.disaggregated) {
    check(g.prefill);
    check(g.decode);
  }
}

}  // namespace

plan_inputs load_plan_inputs(const plan_request& req) {
  plan_inputs in;
  in.cal = load_calibration(req.calibration_path);
  in.model = load_model(req.model_path);
  in.workload = load_workload(req.workload_path);
  in.cluster = load_cluster(req.cluster_path, req.gpu_dirs, in.cal);
  in.grid = req.grid_path.empty() ? default_grid(in.model.spec) : load_grid(req.grid_path, in.model.spec);
  check_grid_tp_fits(in.grid, in.cluster);
  check_draft_axis(in.grid, in.workload);
  in.overrides = req.overrides;
  apply_workload_overrides(in.workload, in.overrides);
  pin_precisions(in.workload, in.grid, in.overrides);
  check_context(in.workload, in.model, in.overrides);
  if (!in.overrides.gpu.empty()) {
    in.overrides.gpu_type = restrict_cluster_to_gpu(in.cluster, in.overrides.gpu, catalog_names(req.gpu_dirs));
    restrict_grid_sites(in.grid, in.cluster, in.overrides);
  }
  in.engine = resolve_engine(in.cal, in.workload, req.engine);
  in.goal = req.goal;
  return in;
}

namespace {

bool same_layout(const layout& a, const layout& b) { return a.tp == b.tp && a.pp == b.pp && a.ep == b.ep && a.dp == b.dp; }

/// Same site, mode, weight format and layouts: what a person would call the same deployment
/// (batch, chunk, KV format and draft length are its tuning).
bool same_structure(const serving_config& a, const serving_config& b) {
  bool same = a.site == b.site && a.mode == b.mode && a.wprec == b.wprec && same_layout(a.main.lay, b.main.lay);
  if (same && a.mode == mode_disaggregated) same = same_layout(a.prefill.lay, b.prefill.lay);
  return same;
}

std::string fmt(const char* f, double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, x);
  return buf;
}

}  // namespace

/// What stops the winner from running a larger batch.
void find_binding(const problem& p, const evaluation& best, win_analysis& w) {
  const pool_axes& axis = best.cfg.mode == mode_disaggregated ? p.grid.decode : p.grid.agg;
  std::uint32_t next = 0;
  for (std::uint32_t i = 0; i < axis.n_batch; ++i) {
    if (axis.batch[i] > best.cfg.main.batch) {
      next = axis.batch[i];
      break;
    }
  }
  if (next == 0) {
    w.binding = "batch_axis_end";
    w.binding_detail = "the grid's largest batch (" + std::to_string(best.cfg.main.batch) + " per rank) is feasible; extend the batch axis";
    return;
  }
  serving_config c = best.cfg;
  c.main.batch = next;
  evaluation e = evaluate_config(p, c, eval_report);
  const std::string at = "at batch " + std::to_string(next) + " per rank ";
  switch (e.reason) {
    case reason_tpot:
      w.binding = "tpot_slo";
      w.binding_detail = at + "TPOT would be " + fmt("%.1f", e.m.tpot_s * 1e3) + " ms > the " +
                         fmt("%.0f", p.workload.tpot_slo_s * 1e3) + " ms SLO";
      break;
    case reason_ttft:
      w.binding = "ttft_slo";
      w.binding_detail = at + "TTFT would be " + fmt("%.0f", e.m.ttft_s * 1e3) + " ms > the " +
                         fmt("%.0f", p.workload.ttft_slo_s * 1e3) + " ms SLO";
      break;
    case reason_memory: {
      const pool_metrics& pm = e.m.main;
      w.binding = "memory";
      w.binding_detail = at + "the KV cache would need " + fmt("%.1f", pm.kv_bytes_needed / 1073741824.0) +
                         " GiB per GPU with " + fmt("%.1f", pm.kv_bytes_available / 1073741824.0) + " GiB left";
      break;
    }
    case reason_prefill_budget:
      w.binding = "prefill_budget";
      w.binding_detail = at + "decode plus prefill would exceed the " + std::to_string(c.main.chunk) + "-token step budget";
      break;
    default: {
      // Feasible: the larger batch loses on the objective, or ties and loses the tie-break.
      const bool tie = e.key == best.key && e.tie == best.tie;
      w.binding = tie ? "tie" : "objective";
      const std::string figures = group_digits(static_cast<std::uint64_t>(e.m.gpus_billed)) + " GPUs billed, " + short_number(e.m.cost_usd_per_day) +
                                  " USD/day against " + group_digits(static_cast<std::uint64_t>(best.m.gpus_billed)) + " and " +
                                  short_number(best.m.cost_usd_per_day);
      w.binding_detail = tie ? at + "the configuration is feasible and ties (" + figures +
                                   ": the fleet rounds to the same whole nodes); ties go to the smaller batch"
                             : at + "the configuration is feasible but ranks lower on the objective (" + figures + ")";
    }
  }
}

namespace {

}  // namespace

plan_result run_plan(const plan_request& req) {
  const auto start = std::chrono::steady_clock::now();
  plan_result r = run_plan(load_plan_inputs(req), req);
  r.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

plan_result run_plan(plan_inputs inputs, const plan_request& req) {
  const auto start = std::chrono::steady_clock::now();
  plan_result r;
  r.inputs = std::move(inputs);
  r.prob = build_problem(r.inputs);
  std::unique_ptr<backend> be = select_backend(req.backend, req.threads, &r.backend_note);
  r.backend_name = be->name();
  r.backend_device = be->device();
  search_options opt;
  // A deeper ranking than shown, so the runner-up of a different structure is in it.
  constexpr std::uint64_t runner_up_depth = 512;
  opt.top_n = std::max<std::uint64_t>(req.top_n, runner_up_depth);
  opt.threads = req.threads;
  opt.chunk_configs = req.chunk_configs;
  opt.progress = req.progress;
  opt.cancel = req.cancel;
  check_search_memory(*be, *r.prob, opt);
  search_result s = be->search(*r.prob, opt);
  if (s.stats.interrupted) {
    throw interrupted_error("interrupted after " + std::to_string(s.stats.evaluated) + " of " +
                            std::to_string(s.stats.grid_size) + " configurations; nothing written");
  }
  r.stats = s.stats;
  if (s.top.empty()) {
    r.no_feasible = explain_infeasible(r.inputs, *r.prob, r.stats);
    // What would make a configuration feasible: top-1 searches of changed problems, each about
    // as long as the first. Measured on an idle 2-core machine: llama-3.1-405b on h20 with
    // --tpot 20 takes 19 searches (TPOT, then TPOT and TTFT) here and 19 in the fleet's own
    // explanation, 0.23 s in all against 0.08 s without; with --isl 60000 the longest prompt
    // takes 17 and the TTFT attempt 4, 0.20 s against 0.12 s.
    const feasibility_check feasible = [&](const problem& q) {
      search_options o;
      o.top_n = 1;
      o.threads = req.threads;
      o.chunk_configs = req.chunk_configs;
      o.cancel = req.cancel;
      const search_result f = be->search(q, o);
      if (f.stats.interrupted) throw interrupted_error("interrupted while looking for what would make a configuration feasible; nothing written");
      return !f.top.empty();
    };
    relax_slos(r.inputs, *r.prob, r.no_feasible, feasible);
    longest_prompt(r.inputs, r.no_feasible, feasible);
  }
  if (!s.top.empty()) {
    std::vector<std::uint64_t> idx;
    for (std::size_t i = 0; i < s.top.size() && i < req.top_n; ++i) idx.push_back(s.top[i].index);
    r.top = be->evaluate(*r.prob, idx);
    const evaluation& best = r.top.front();
    find_binding(*r.prob, best, r.why);
    for (std::size_t i = 1; i < s.top.size(); ++i) {
      serving_config c = decode_index(r.prob->grid, s.top[i].index);
      if (!same_structure(c, best.cfg)) {
        r.why.has_runner_up = true;
        r.why.runner_up_rank = i + 1;
        r.why.runner_up = be->evaluate(*r.prob, {s.top[i].index}).front();
        break;
      }
    }
  }
  if (req.pareto_points > 0 && !s.top.empty()) {
    const auto t0 = std::chrono::steady_clock::now();
    r.pareto = trace_pareto(*r.prob, *be, opt, req.pareto_points);
    r.pareto_elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  r.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

nlohmann::ordered_json json_document(const char* command) {
  nlohmann::ordered_json j;
  j["schema_version"] = plan_schema_version;
  j["tool"] = {{"name", "tokenplan"}, {"version", TOKENPLAN_VERSION}};
  j["command"] = command;
  return j;
}

}  // namespace tokenplan
