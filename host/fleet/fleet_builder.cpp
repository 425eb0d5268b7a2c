// Building a fleet plan's allocation model: demand per class and period, hardware profiles, the
// pools of sites and offers, the searches of each class on each profile, and the options.
#include "fleet/fleet_detail.hpp"

#include <algorithm>
#include <cmath>

#include "base/errors.hpp"
#include "search/describe.hpp"

namespace tokenplan {
namespace detail {

namespace {

bool same_layout(const layout& a, const layout& b) { return a.tp == b.tp && a.pp == b.pp && a.ep == b.ep && a.dp == b.dp; }

bool same_structure(const serving_config& a, const serving_config& b) {
  bool same = a.mode == b.mode && a.wprec == b.wprec && same_layout(a.main.lay, b.main.lay);
  if (same && a.mode == mode_disaggregated) same = same_layout(a.prefill.lay, b.prefill.lay);
  return same;
}

/// A pool of the model as units of whole nodes (or whole instances of a node or more).
void unit_of(const pool_metrics& pm, double gpn, double* gpus, double* nodes, double* rps) {
  const double gpi = pm.gpus_per_instance;
  double per_unit = 1.0, unit_nodes = 1.0;
  if (gpi >= gpn) {
    unit_nodes = std::ceil(gpi / gpn);
  } else {
    per_unit = std::floor(gpn / gpi);
  }
  *gpus = unit_nodes * gpn;
  *nodes = unit_nodes;
  *rps = per_unit * pm.requests_per_s * pm.utilisation;
}

/// Tokens per request of a class.
double tokens_per_request(const demand_class& c) { return c.workload.spec.input_tokens + c.workload.spec.output_tokens; }

/// Peak-hour factor of the demand: the busiest hour over the mean, or the file's factor.
double peak_factor(const demand_entry& d) {
  if (d.hourly.empty()) return d.peak_to_average;
  return *std::max_element(d.hourly.begin(), d.hourly.end()) * 24.0;
}

}  // namespace

fleet_builder::fleet_builder(const fleet_request& request, fleet_result& result)
    : req(request), r(result), base(request.base), dem(result.demand), m(result.model) {}

void fleet_builder::add_classes() {
  if (dem.hourly.empty()) {
    r.period_hours = {24.0};
  } else {
    r.period_hours.assign(24, 1.0);
  }
  m.period_hours = r.period_hours;
  for (const demand_class& c : dem.classes) {
    fleet_class fc;
    fc.name = c.name;
    const double rps = dem.tokens_per_day * c.share / 86400.0 / tokens_per_request(c);
    const double interactive = rps * (1.0 - dem.deferrable_share);
    if (dem.hourly.empty()) {
      fc.interactive_rps = {interactive * dem.peak_to_average};
    } else {
      for (double h : dem.hourly) fc.interactive_rps.push_back(interactive * 24.0 * h);
    }
    fc.deferrable_rps = rps * dem.deferrable_share;
    m.classes.push_back(fc);
  }
}

// Labelled "h200-sxm x8 @ johor-my+singapore": the GPU, node size and the sites that share
// the network.
std::size_t fleet_builder::profile_of(std::uint32_t gpu_index, std::uint32_t gpn, const site_entry& site) {
  for (std::size_t k = 0; k < r.profiles.size(); ++k) {
    fleet_profile& p = r.profiles[k];
    if (p.gpu_index == gpu_index && p.gpus_per_node == gpn && p.scale_out_gb_per_s == site.scale_out_gb_per_s &&
        p.scale_out_latency_us == site.scale_out_latency_us) {
      if (p.label.find(site.name) == std::string::npos) p.label += "+" + site.name;
      return k;
    }
  }
  fleet_profile p;
  p.gpu_index = gpu_index;
  p.gpus_per_node = gpn;
  p.scale_out_gb_per_s = site.scale_out_gb_per_s;
  p.scale_out_latency_us = site.scale_out_latency_us;
  p.label = r.cluster.gpus[gpu_index].name + " x" + std::to_string(gpn) + " @ " + site.name;
  r.profiles.push_back(p);
  return r.profiles.size() - 1;
}

void fleet_builder::add_sites() {
  for (std::size_t s = 0; s < r.cluster.sites.size(); ++s) {
    const site_entry& site = r.cluster.sites[s];
    m.sites.push_back({site.name, site.power_cap_it_mw * 1000.0});
    fleet_pool p;
    p.site = s;
    p.gpu = site.gpu;
    p.gpus_now = site.gpus;
    p.expansion_max = site.expansion_max_gpus;
    p.gpus_per_node = site.gpus_per_node;
    p.kw_per_gpu = r.cluster.gpus[site.gpu_index].spec.power_w / 1000.0;
    p.pricing = site.pricing;
    p.paid_minimum = site.pricing.kind == pricing_kind::owned ? site.gpus
                     : site.pricing.kind == pricing_kind::lease ? site.pricing.committed_gpus : 0.0;
    p.usd_per_kwh = site.usd_per_kwh;
    p.pue = site.pue;
    p.spare_fraction = site.spare_fraction >= 0.0 ? site.spare_fraction : r.cluster.spare_fraction;
    m.pools.push_back(p);
    r.origins.push_back({s, false, 0, profile_of(site.gpu_index, site.gpus_per_node, site)});
  }
}

void fleet_builder::open_backend() {
  be = select_backend(base.backend, base.threads, &r.backend_note);
  r.backend_name = be->name();
  r.backend_device = be->device();
  peak = peak_factor(dem);
}

void fleet_builder::search_new_profiles() {
  for (std::size_t c = 0; c < dem.classes.size(); ++c) {
    const demand_class& dc = dem.classes[c];
    for (std::size_t k = searched; k < r.profiles.size(); ++k) {
      const fleet_profile& prof = r.profiles[k];
      plan_inputs in;
      in.cal = r.cal;
      in.cluster.name = r.cluster.name;
      in.cluster.file = r.cluster.file;
      in.cluster.gpus = r.cluster.gpus;
      site_entry rep;
      rep.name = prof.label;
      rep.gpu = r.cluster.gpus[prof.gpu_index].name;
      rep.gpu_index = prof.gpu_index;
      rep.gpus = 0;
      rep.gpus_per_node = prof.gpus_per_node;
      rep.usd_per_gpu_hour = 1.0;  // the search ranks by GPUs; prices come in the allocation
      rep.price_includes_power = true;
      rep.pue = 1.0;
      rep.scale_out_gb_per_s = prof.scale_out_gb_per_s;
      rep.scale_out_latency_us = prof.scale_out_latency_us;
      in.cluster.sites = {rep};
      in.model = dc.model;
      in.workload = dc.workload;
      in.workload.spec.tokens_per_day = dem.tokens_per_day * dc.share;
      in.workload.spec.peak_to_average = peak;
      in.grid = dc.grid;
      in.grid.sites.clear();
      in.engine = dc.engine;
      in.goal = objective_gpus;
      std::unique_ptr<problem> prob = build_problem(in);
      search_options opt;
      opt.top_n = 512;
      opt.threads = base.threads;
      opt.chunk_configs = base.chunk_configs;
      opt.progress = base.progress;
      opt.cancel = base.cancel;
      check_search_memory(*be, *prob, opt);
      search_result s = be->search(*prob, opt);
      if (s.stats.interrupted) {
        throw interrupted_error("interrupted while searching class " + dc.name + " on " + prof.label +
                                "; nothing written");
      }
      fleet_search fs_;
      fs_.cls = c;
      fs_.profile = k;
      fs_.stats = s.stats;
      fs_.most_restrictive = reason_name(dominant_reason(s.stats));
      if (s.top.empty()) {
        infeasible_explanation x = explain_infeasible(in, *prob, s.stats);
        // The SLO that would have to relax, as the single plan says it (top-1 searches, per
        // profile). A demand whose llama-3.1-405b class asks for 10 ms TPOT on bytedance-2026
        // (four profiles with the B200 offer) took 0.50 s against 0.28 s without (idle 2 cores;
        // 17 s against 3 s while another build shared them), most of it h20's TPOT-then-TTFT
        // bisection; an early-exit feasibility search would cut it.
        relax_slos(in, *prob, x, [&](const problem& q) {
          search_options o1 = opt;
          o1.top_n = 1;
          o1.progress = nullptr;
          const search_result f = be->search(q, o1);
          if (f.stats.interrupted) throw interrupted_error("interrupted while searching class " + dc.name + "; nothing written");
          return !f.top.empty();
        });
        for (const infeasible_gpu& g : x.by_gpu) {
          fs_.no_configuration += (fs_.no_configuration.empty() ? "" : "; ") + g.detail;
          if (g.relax.computed) fs_.no_configuration += "; " + relax_text(g.relax, req.demand_path.empty());
        }
      }

      // The best configuration and the next ones of a different structure.
      std::vector<std::uint64_t> chosen;
      std::vector<serving_config> chosen_cfg;
      for (const ranked& x : s.top) {
        if (chosen.size() >= req.candidates) break;
        serving_config cfg = decode_index(prob->grid, x.index);
        bool dup = false;
        for (const serving_config& y : chosen_cfg) dup = dup || same_structure(cfg, y);
        if (dup) continue;
        chosen.push_back(x.index);
        chosen_cfg.push_back(cfg);
      }
      std::vector<evaluation> evs = be->evaluate(*prob, chosen);
      if (!evs.empty()) {
        win_analysis w;
        find_binding(*prob, evs.front(), w);
        fs_.limit = w.binding;
        fs_.limit_detail = w.binding_detail;
      }
      r.searches.push_back(fs_);
      for (const evaluation& e : evs) {
        fleet_candidate fc;
        fc.cls = c;
        fc.profile = k;
        fc.eval = e;
        fc.prefill_share = e.m.prefill_time_share;
        fc.unit.cls = c;
        fc.unit.disaggregated = e.cfg.mode == mode_disaggregated;
        const double gpn = prof.gpus_per_node;
        if (fc.unit.disaggregated) {
          unit_of(e.m.prefill, gpn, &fc.unit.unit_gpus[0], &fc.unit.unit_nodes[0], &fc.unit.unit_rps[0]);
          unit_of(e.m.main, gpn, &fc.unit.unit_gpus[1], &fc.unit.unit_nodes[1], &fc.unit.unit_rps[1]);
        } else {
          unit_of(e.m.main, gpn, &fc.unit.unit_gpus[0], &fc.unit.unit_nodes[0], &fc.unit.unit_rps[0]);
        }
        if (fc.unit.unit_rps[0] <= 0.0 || (fc.unit.disaggregated && fc.unit.unit_rps[1] <= 0.0)) continue;
        r.candidates.push_back(fc);
      }
      r.problem_inputs.push_back(std::move(in));
      r.problems.push_back(std::move(prob));
    }
  }
  searched = r.profiles.size();
}

void fleet_builder::add_options(std::size_t first_pool) {
  for (std::size_t j = first_pool; j < m.pools.size(); ++j) {
    for (std::size_t k = 0; k < r.candidates.size(); ++k) {
      if (r.candidates[k].profile != r.origins[j].profile) continue;
      fleet_option o = r.candidates[k].unit;
      o.pool = j;
      o.tag = k;
      m.options.push_back(o);
    }
  }
}

void fleet_builder::add_offer_pools() {
  for (std::size_t k = 0; k < r.cluster.offers.size(); ++k) {
    const gpu_offer& of = r.cluster.offers[k];
    for (std::size_t s = 0; s < r.cluster.sites.size(); ++s) {
      const site_entry& site = r.cluster.sites[s];
      if (!of.sites.empty() && std::find(of.sites.begin(), of.sites.end(), site.name) == of.sites.end()) continue;
      if (std::find(site.blocked_gpus.begin(), site.blocked_gpus.end(), of.gpu) != site.blocked_gpus.end()) continue;
      fleet_pool p;
      p.site = s;
      p.gpu = of.gpu;
      p.offer = true;
      p.gpus_now = 0.0;
      p.expansion_max = of.max_gpus;
      p.gpus_per_node = of.gpus_per_node;
      p.kw_per_gpu = r.cluster.gpus[of.gpu_index].spec.power_w / 1000.0;
      p.pricing = of.pricing;
      p.usd_per_kwh = site.usd_per_kwh;
      p.pue = site.pue;
      p.spare_fraction = site.spare_fraction >= 0.0 ? site.spare_fraction : r.cluster.spare_fraction;
      m.pools.push_back(p);
      r.origins.push_back({s, true, k, profile_of(of.gpu_index, of.gpus_per_node, site)});
    }
  }
}

}  // namespace detail
}  // namespace tokenplan
