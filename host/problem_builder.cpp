// Problem assembly and cross-file checks.
#include "problem_builder.hpp"

#include <algorithm>
#include <cstring>

#include "errors.hpp"
#include "text.hpp"

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

std::unique_ptr<problem> build_problem(const plan_inputs& in) {
  auto p = std::make_unique<problem>();
  std::memset(p.get(), 0, sizeof(problem));
  p->model = in.model.spec;
  p->workload = in.workload.spec;
  p->goal = in.goal;

  const workload_spec& w = in.workload.spec;
  if (w.input_tokens + w.output_tokens > in.model.spec.max_context) {
    throw config_error(in.workload.file.path, "$.input_tokens_mean",
                       "input + output = " + format_number(w.input_tokens + w.output_tokens) +
                           " tokens exceeds the context of model '" + in.model.name + "' (" +
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
                         std::string("none of the workload's allowed formats is on the grid's ") + what +
                             " axis (" + gr.origin + ")");
    }
  };
  intersect(gr.weight_precisions, in.workload.weight_precisions, g.wprec, &g.n_wprec, "weights");
  intersect(gr.kv_precisions, in.workload.kv_precisions, g.kvprec, &g.n_kvprec, "kv_cache");

  auto copy_axis = [](const std::vector<std::uint32_t>& src, std::uint32_t* dst, std::uint32_t* n) {
    *n = static_cast<std::uint32_t>(src.size());
    std::copy(src.begin(), src.end(), dst);
  };
  copy_axis(gr.tp, g.tp, &g.n_tp);
  copy_axis(gr.pp, g.pp, &g.n_pp);
  copy_axis(gr.chunk, g.chunk, &g.n_chunk);
  copy_axis(gr.batch, g.batch, &g.n_batch);
  return p;
}

}  // namespace tokenplan
