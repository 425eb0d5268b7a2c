// Running scenarios: sweep_runner loads every file of a matrix once, then plans one scenario at a
// time into a row (its best configuration, or why there is none).
#include "sweep/sweep.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>

#include "base/errors.hpp"
#include "base/format.hpp"
#include "base/sha256.hpp"
#include "base/text.hpp"
#include "search/describe.hpp"

namespace tokenplan {

struct sweep_runner::loaded {
  calibration cal;
  std::vector<cluster_entry> clusters;
  std::vector<gpu_entry> gpus;
  std::vector<model_entry> models;
  std::vector<grid_request> grids;  ///< per model
  std::vector<workload_entry> workloads;
  std::vector<std::string> engines;  ///< per workload
};

sweep_runner::sweep_runner(const sweep_matrix& m, const sweep_settings& s) : m_(m), s_(s), in_(std::make_unique<loaded>()) {
  loaded& in = *in_;
  in.cal = load_calibration(s.calibration_path);
  for (const matrix_ref& c : m.clusters) {
    std::vector<std::string> dirs = s.gpu_dirs.empty() ? default_roots(c.path).dirs("gpus") : s.gpu_dirs;
    in.clusters.push_back(load_cluster(c.path, dirs, in.cal));
  }
  for (const matrix_gpu& g : m.gpus) in.gpus.push_back(load_gpu(g.path, in.cal));
  for (const matrix_ref& x : m.models) {
    in.models.push_back(load_model(x.path));
    in.grids.push_back(m.grid_path.empty() ? default_grid(in.models.back().spec) : load_grid(m.grid_path, in.models.back().spec));
  }
  if (!m.engine.empty() && !in.cal.engines.count(m.engine)) {
    std::vector<std::string> names;
    for (const auto& kv : in.cal.engines) names.push_back(kv.first);
    throw config_error(m.file.path, "$.engine", "unknown engine \"" + m.engine + "\"" + did_you_mean(m.engine, names) +
                                                    "; " + in.cal.file.path + " knows " + quoted_list(names));
  }
  for (const matrix_ref& x : m.workloads) {
    in.workloads.push_back(load_workload(x.path));
    in.engines.push_back(resolve_engine(in.cal, in.workloads.back(), m.engine));
    for (const grid_request& g : in.grids) check_draft_axis(g, in.workloads.back());
  }
  // A per-site price must name a site of some cluster of the matrix (a typo would silently price nothing).
  std::vector<std::string> site_names;
  for (const cluster_entry& c : in.clusters) {
    for (const site_entry& site : c.sites) site_names.push_back(site.name);
  }
  for (std::size_t i = 0; i < m.prices.size(); ++i) {
    for (const auto& kv : m.prices[i].per_site_usd_per_gpu_hour) {
      if (std::find(site_names.begin(), site_names.end(), kv.first) == site_names.end()) {
        bool plain = !kv.first.empty();
        for (char ch : kv.first) plain = plain && (std::isalnum(static_cast<unsigned char>(ch)) || ch == '_');
        const std::string key = plain ? "." + kv.first : "[\"" + kv.first + "\"]";
        throw config_error(m.file.path, "$.prices[" + std::to_string(i) + "].usd_per_gpu_hour" + key,
                           "site \"" + kv.first + "\" is in none of the matrix's clusters" +
                               did_you_mean(kv.first, site_names) + "; sites: " + quoted_list(site_names));
      }
    }
  }
}

sweep_runner::~sweep_runner() = default;

namespace {

/// The configuration's layouts: "t1p2", or "t1e16d16|t1e8d16" for prefill|decode pools, "+sN"
/// with N speculative draft tokens.
std::string layout_text(const serving_config& c) {
  std::string s = c.mode == mode_disaggregated ? layout_code(c.prefill.lay) + "|" + layout_code(c.main.lay)
                                               : layout_code(c.main.lay);
  if (c.draft > 0) s += "+s" + std::to_string(c.draft);
  return s;
}

}  // namespace

ojson sweep_runner::run(const sweep_scenario& sc) {
  const auto start = std::chrono::steady_clock::now();
  const loaded& L = *in_;
  ojson row;
  for (const std::string& c : sweep_columns()) row[c] = nullptr;
  row["schema_version"] = sweep_schema_version;
  row["scenario"] = sc.key;
  row["index"] = sc.index;
  row["cluster"] = m_.clusters[sc.cluster].label;
  if (sc.gpu != sweep_scenario::none) row["gpu_override"] = m_.gpus[sc.gpu].label;
  if (sc.price != sweep_scenario::none) row["price"] = m_.prices[sc.price].label;
  row["model"] = m_.models[sc.model].label;
  row["workload"] = m_.workloads[sc.workload].label;
  row["matrix_sha256"] = m_.file.sha256;

  plan_inputs in;
  in.cal = L.cal;
  in.cluster = L.clusters[sc.cluster];
  if (sc.gpu != sweep_scenario::none) {
    // Every site gets the GPU type (same counts, node size and network); offers only matter to
    // the fleet allocation, which a sweep row does not run.
    const matrix_gpu& g = m_.gpus[sc.gpu];
    in.cluster.gpus = {L.gpus[sc.gpu]};
    in.cluster.offers.clear();
    for (site_entry& site : in.cluster.sites) {
      site.gpu_index = 0;
      site.gpu = in.cluster.gpus[0].name;
      if (g.has_price) site.usd_per_gpu_hour = g.usd_per_gpu_hour;
    }
  }
  if (sc.price != sweep_scenario::none) {
    const matrix_price& p = m_.prices[sc.price];
    for (site_entry& site : in.cluster.sites) {
      if (p.has_all) site.usd_per_gpu_hour = p.all_usd_per_gpu_hour;
      auto it = p.per_site_usd_per_gpu_hour.find(site.name);
      if (it != p.per_site_usd_per_gpu_hour.end()) site.usd_per_gpu_hour = it->second;
      site.usd_per_gpu_hour *= p.scale;
    }
  }
  in.model = L.models[sc.model];
  in.grid = L.grids[sc.model];
  in.workload = L.workloads[sc.workload];
  if (sc.target != sweep_scenario::none) in.workload.spec.tokens_per_day = m_.tokens_per_day[sc.target];
  in.engine = L.engines[sc.workload];
  in.goal = m_.goal;
  row["tokens_per_day"] = in.workload.spec.tokens_per_day;

  // What the row was computed from: every input file's digest, in a fixed order.
  std::string digests = in.cal.file.sha256 + in.cluster.file.sha256;
  for (const site_entry& site : in.cluster.sites) digests += in.cluster.gpus[site.gpu_index].file.sha256;
  digests += in.model.file.sha256 + in.workload.file.sha256 + in.grid.sha256;
  row["inputs_sha256"] = sha256_hex(digests);

  plan_request req;
  req.top_n = 1;
  req.backend = s_.backend;
  req.threads = s_.threads;
  req.chunk_configs = s_.chunk_configs;
  req.cancel = s_.cancel;
  plan_result r;
  try {
    r = run_plan(std::move(in), req);
  } catch (const config_error& e) {
    // The files load on their own but do not fit together in this scenario.
    row["status"] = "error";
    row["why_not"] = e.what();
    row["elapsed_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return row;
  }
  row["grid_size"] = r.stats.grid_size;
  row["feasible_configurations"] = r.stats.counts[reason_feasible];
  if (r.top.empty()) {
    const std::uint8_t why = dominant_reason(r.stats);
    row["status"] = "infeasible";
    row["why_not"] = "no configuration meets every constraint; most are ruled out by " + std::string(reason_name(why)) +
                     " (" + group_digits(r.stats.counts[why]) + " of " + group_digits(r.stats.grid_size) + ")";
  } else {
    const evaluation& e = r.top.front();
    const metrics& mt = e.m;
    const site_entry& site = r.inputs.cluster.sites[e.cfg.site];
    const site_spec& ss = r.prob->sites[e.cfg.site];
    row["status"] = "feasible";
    row["site"] = site.name;
    row["gpu"] = site.gpu;
    row["mode"] = e.cfg.mode == mode_disaggregated ? "disaggregated" : "aggregated";
    row["layout"] = layout_text(e.cfg);
    // The parallelism as numbers too: of the decode pool when disaggregated (the prefill pool's
    // in prefill_*), of the one pool otherwise (prefill_* null).
    row["tp"] = e.cfg.main.lay.tp;
    row["pp"] = e.cfg.main.lay.pp;
    row["ep"] = e.cfg.main.lay.ep;
    row["dp"] = e.cfg.main.lay.dp;
    if (e.cfg.mode == mode_disaggregated) {
      row["prefill_tp"] = e.cfg.prefill.lay.tp;
      row["prefill_pp"] = e.cfg.prefill.lay.pp;
      row["prefill_ep"] = e.cfg.prefill.lay.ep;
      row["prefill_dp"] = e.cfg.prefill.lay.dp;
    }
    row["weight_precision"] = precision_name(e.cfg.wprec);
    row["kv_precision"] = precision_name(e.cfg.kvprec);
    row["draft_tokens"] = e.cfg.draft;
    row["chunk_tokens_per_rank"] = e.cfg.mode == mode_disaggregated ? e.cfg.prefill.chunk : e.cfg.main.chunk;
    row["batch_per_rank"] = e.cfg.main.batch;
    row["tpot_ms"] = mt.tpot_s * 1e3;
    row["ttft_ms"] = mt.ttft_s * 1e3;
    row["tokens_per_s_per_gpu"] = mt.tokens_per_s_per_gpu;
    row["gpus"] = as_count(mt.gpus);
    row["gpus_billed"] = as_count(mt.gpus_billed);
    row["nodes"] = as_count(mt.nodes);
    row["cost_usd_per_day"] = mt.cost_usd_per_day;
    row["usd_per_million_tokens"] = mt.usd_per_million_tokens;
    row["it_power_mw"] = mt.it_power_kw / 1e3;
    row["facility_power_mw"] = mt.facility_power_kw / 1e3;
    row["gpus_of_type_in_cluster"] = as_count(ss.type_gpus_available);
    row["shortfall_gpus"] = as_count(mt.shortfall_gpus);
    row["enough"] = mt.shortfall_gpus <= 0.0;
    row["binding_constraint"] = r.why.binding;
  }
  row["elapsed_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return row;
}

}  // namespace tokenplan
