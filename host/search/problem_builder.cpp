// Problem assembly and cross-file checks.
#include "search/problem_builder.hpp"

#include <algorithm>
#include <cstring>

#include "base/errors.hpp"
#include "base/text.hpp"

namespace tokenplan {

const char* objective_name(objective goal) {
  switch (goal) {
    case objective_gpus: return "gpus";
    case objective_tokens_per_gpu: return "tokens-per-gpu";
    default: return "cost";
  }
}

bool parse_objective(const std::string& s, objective* out) {
  if (s == "cost") *out = objective_cost;
  else if (s == "gpus") *out = objective_gpus;
  else if (s == "tokens-per-gpu") *out = objective_tokens_per_gpu;
  else return false;
  return true;
}

std::string resolve_engine(const calibration& cal, const workload_entry& w, const std::string& requested) {
  std::vector<std::string> names;
  for (const auto& kv : cal.engines) names.push_back(kv.first);
  if (!requested.empty()) {
    if (!cal.engines.count(requested)) {
      throw usage_error("--engine: unknown engine \"" + requested + "\"" + did_you_mean(requested, names) +
                        "; " + cal.file.path + " knows " + quoted_list(names));
    }
    return requested;
  }
  if (!w.engine.empty()) {
    if (!cal.engines.count(w.engine)) {
      throw config_error(w.file.path, "$.engine", "unknown engine \"" + w.engine + "\"" + did_you_mean(w.engine, names) +
                                                      "; " + cal.file.path + " knows " + quoted_list(names));
    }
    return w.engine;
  }
  return cal.reference_engine;
}

namespace {

void fill_pool(const grid_request& gr, const pool_request& req, const char* name, pool_axes& out) {
  std::vector<layout> lays = make_layouts(req);
  const std::string where = gr.origin + " (" + name + " pool)";
  if (lays.empty()) {
    throw config_error(gr.origin, std::string("$.") + name,
                       "no valid parallel layout: EP must divide TP x DP, and DP > 1 needs EP > 1");
  }
  if (lays.size() > static_cast<std::size_t>(max_layouts)) {
    throw config_error(gr.origin, std::string("$.") + name,
                       "the tp x pp x ep x dp axes make " + std::to_string(lays.size()) + " layouts; at most " +
                           std::to_string(max_layouts) + " are supported");
  }
  out.n_layout = static_cast<std::uint32_t>(lays.size());
  std::copy(lays.begin(), lays.end(), out.layouts);
  out.n_chunk = static_cast<std::uint32_t>(req.chunk.size());
  std::copy(req.chunk.begin(), req.chunk.end(), out.chunk);
  out.n_batch = static_cast<std::uint32_t>(req.batch.size());
  std::copy(req.batch.begin(), req.batch.end(), out.batch);
  (void)where;
}

}  // namespace

std::unique_ptr<problem> build_problem(const plan_inputs& in) {
  auto p = std::make_unique<problem>();
  std::memset(p.get(), 0, sizeof(problem));
  p->model = in.model.spec;
  p->workload = in.workload.spec;
  p->goal = in.goal;
  const std::string engine = in.engine.empty() ? in.cal.reference_engine : in.engine;
  auto ef = in.cal.engines.find(engine);
  p->workload.engine_factor = ef == in.cal.engines.end() ? 1.0 : ef->second;

  const workload_spec& w = in.workload.spec;
  if (w.input_tail + w.output_tail > in.model.spec.max_context) {
    throw config_error(in.workload.file.path, "$.input_tokens",
                       "the tail request, " + format_number(w.input_tail) + " input + " + format_number(w.output_tail) +
                           " output tokens, exceeds the context of model '" + in.model.name + "' (" +
                           std::to_string(in.model.spec.max_context) + " tokens, " + in.model.file.path + ")");
  }

  const auto& sites = in.cluster.sites;
  p->n_sites = static_cast<std::uint32_t>(sites.size());
  for (std::size_t i = 0; i < sites.size(); ++i) {
    site_spec& s = p->sites[i];
    s.gpu = in.cluster.gpus[sites[i].gpu_index].spec;
    if (sites[i].scale_out_gb_per_s > 0.0) s.gpu.scale_out_bytes_per_s = sites[i].scale_out_gb_per_s * 1e9;
    if (sites[i].scale_out_latency_us >= 0.0) s.gpu.scale_out_latency_s = sites[i].scale_out_latency_us * 1e-6;
    s.gpu_type = sites[i].gpu_index;
    s.gpus_available = sites[i].gpus;
    s.type_gpus_available = 0.0;
    for (const site_entry& other : sites) {
      if (other.gpu_index == sites[i].gpu_index) s.type_gpus_available += other.gpus;
    }
    s.gpus_per_node = sites[i].gpus_per_node;
    s.usd_per_gpu_hour = sites[i].usd_per_gpu_hour;
    s.price_includes_power = sites[i].price_includes_power;
    s.usd_per_kwh = sites[i].usd_per_kwh;
    s.pue = sites[i].pue;
  }

  grid_axes& g = p->grid;
  const grid_request& gr = in.grid;
  if (gr.sites.empty()) {
    g.n_site = p->n_sites;
    for (std::uint32_t i = 0; i < p->n_sites; ++i) g.site[i] = static_cast<std::uint8_t>(i);
  } else {
    std::vector<std::string> names;
    for (const site_entry& s : sites) names.push_back(s.name);
    for (std::size_t k = 0; k < gr.sites.size(); ++k) {
      auto it = std::find(names.begin(), names.end(), gr.sites[k]);
      if (it == names.end()) {
        throw config_error(gr.origin, "$.sites[" + std::to_string(k) + "]",
                           "site \"" + gr.sites[k] + "\" is not in cluster " + in.cluster.file.path +
                               did_you_mean(gr.sites[k], names) + "; sites: " + quoted_list(names));
      }
      auto idx = static_cast<std::uint8_t>(it - names.begin());
      bool dup = false;
      for (std::uint32_t j = 0; j < g.n_site; ++j) dup = dup || g.site[j] == idx;
      if (!dup) g.site[g.n_site++] = idx;
    }
  }

  auto intersect = [&](const std::vector<std::uint8_t>& grid_list, const std::vector<std::uint8_t>& allowed,
                       std::uint8_t* dst, std::uint32_t* n, const char* what) {
    *n = 0;
    for (std::uint8_t x : grid_list) {
      if (std::find(allowed.begin(), allowed.end(), x) != allowed.end()) dst[(*n)++] = x;
    }
    if (*n == 0) {
      throw config_error(in.workload.file.path, std::string("$.precisions.") + what,
                         std::string("none of the workload's allowed formats is on the grid's ") + what + " axis (" +
                             gr.origin + ")");
    }
  };
  intersect(gr.weight_precisions, in.workload.weight_precisions, g.wprec, &g.n_wprec, "weights");
  intersect(gr.kv_precisions, in.workload.kv_precisions, g.kvprec, &g.n_kvprec, "kv_cache");

  const std::vector<std::uint32_t>& drafts = gr.draft_tokens.empty() ? in.workload.draft_tokens : gr.draft_tokens;
  g.n_draft = static_cast<std::uint32_t>(drafts.size());
  std::copy(drafts.begin(), drafts.end(), g.draft);

  g.aggregated = gr.aggregated;
  g.disaggregated = gr.disaggregated;
  if (!g.aggregated && !g.disaggregated) throw config_error(gr.origin, "$.modes", "no serving mode to search");
  fill_pool(gr, gr.agg, "aggregated", g.agg);
  fill_pool(gr, gr.prefill, "prefill", g.prefill);
  fill_pool(gr, gr.decode, "decode", g.decode);
  return p;
}

}  // namespace tokenplan
