// Fleet planning: demand files, the per-class and per-hardware searches, the allocation model,
// and the figures of its solutions.
#include "fleet/fleet.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <tuple>

#include "base/errors.hpp"
#include "io/json_reader.hpp"
#include "base/format.hpp"
#include "base/text.hpp"

namespace tokenplan {

namespace fs = std::filesystem;

namespace {

json load_demand_json(const std::string& path, input_file* file) {
  *file = read_input_file(path);
  return parse_json(*file);
}

bool valid_month_text(const std::string& m) {
  if (m.size() != 7 || m[4] != '-') return false;
  for (int i : {0, 1, 2, 3, 5, 6}) {
    if (m[i] < '0' || m[i] > '9') return false;
  }
  const int month = (m[5] - '0') * 10 + (m[6] - '0');
  return month >= 1 && month <= 12;
}

int month_index(const std::string& m) { return std::stoi(m.substr(0, 4)) * 12 + std::stoi(m.substr(5, 2)) - 1; }

std::string month_text(int index) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d", index / 12, index % 12 + 1);
  return buf;
}

/// A class's model, workload or grid: a path (relative to the demand file) or a shipped name.
std::string resolve_ref(field_reader& r, const std::string& key, const std::string& kind, const fs::path& base,
                        const config_roots& roots) {
  const std::string arg = r.string(key);
  const bool is_path = arg.find('/') != std::string::npos || (arg.size() > 5 && arg.compare(arg.size() - 5, 5, ".json") == 0);
  if (is_path) {
    fs::path p = fs::path(arg).is_absolute() ? fs::path(arg) : base / arg;
    std::error_code ec;
    if (!fs::is_regular_file(p, ec)) r.fail(key, "file \"" + p.string() + "\" does not exist");
    return p.string();
  }
  std::string found = roots.find(kind, arg);
  if (found.empty()) {
    std::vector<std::string> known = catalog_names(roots.dirs(kind));
    r.fail(key, "unknown " + kind.substr(0, kind.size() - 1) + " \"" + arg + "\"" + did_you_mean(arg, known) +
                    (known.empty() ? "" : "; shipped: " + quoted_list(known)));
  }
  return found;
}

std::uint8_t most_restrictive_reason(const search_stats& s) {
  std::uint8_t best = reason_parallelism;
  for (std::uint8_t k = reason_parallelism; k < reason_count; ++k) {
    if (s.counts[k] > s.counts[best]) best = k;
  }
  return best;
}

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

/// The capacity question: the largest multiple lambda of the demand the GPUs carry. The MIP is
/// linear in the demand, but its objective also carries a 1e-9 nudge per deferred request and
/// GLPK works to absolute tolerances, so with a target far above what the GPUs carry (lambda near
/// 1e-5 at 1e17 tokens/day) the optimum came back as lambda = -0, and far below it lambda is huge.
/// The demand is therefore scaled by an estimate k of lambda (GPUs x the best requests/s per GPU
/// of their options, over the demand's busiest period) before solving, and lambda scaled back.
fleet_solution solve_capacity(const fleet_model& m, const fleet_solve_options& o) {
  double supply = 0.0, demand = 0.0;
  for (std::size_t j = 0; j < m.pools.size(); ++j) {
    double best = 0.0;  // requests/s per GPU of the pool's best option
    for (const fleet_option& op : m.options) {
      if (op.pool != j || op.unit_gpus[0] <= 0.0 || op.unit_rps[0] <= 0.0) continue;
      double gpu_s = op.unit_gpus[0] / op.unit_rps[0];
      if (op.disaggregated) gpu_s = op.unit_gpus[1] > 0.0 && op.unit_rps[1] > 0.0 ? gpu_s + op.unit_gpus[1] / op.unit_rps[1] : 0.0;
      if (gpu_s > 0.0) best = std::max(best, 1.0 / gpu_s);
    }
    supply += (o.gpus_override.empty() ? m.pools[j].gpus_now : o.gpus_override[j]) * best;
  }
  for (const fleet_class& c : m.classes) {
    double peak = 0.0;
    for (double x : c.interactive_rps) peak = std::max(peak, x);
    demand += peak + c.deferrable_rps;
  }
  double k = supply > 0.0 && demand > 0.0 ? supply / demand : 1.0;
  // Near 1 the problem is well scaled as it is: solve it unchanged, so ordinary answers keep their bits.
  if (!(std::isfinite(k) && k > 0.0) || (k > 1e-2 && k < 1e2)) k = 1.0;
  fleet_solution s;
  if (k == 1.0) {
    s = solve_fleet(m, o);
  } else {
    fleet_model scaled = m;
    for (fleet_class& c : scaled.classes) {
      for (double& x : c.interactive_rps) x *= k;
      c.deferrable_rps *= k;
    }
    s = solve_fleet(scaled, o);
    s.scale *= k;
    s.objective *= k;
  }
  if (!(s.scale > 0.0)) s.scale = 0.0;  // never -0 (or NaN) as a multiple of the target
  return s;
}

}  // namespace

demand_entry load_demand(const std::string& path, const config_roots& roots, const calibration& cal) {
  demand_entry d;
  json j = load_demand_json(path, &d.file);
  field_reader r(j, path, "$");
  d.name = r.string("name");
  d.description = r.string_or("description", "");
  d.tokens_per_day = r.number("tokens_per_day", at_least(min_tokens_per_day, max_tokens_per_day));
  const fs::path base = fs::path(path).parent_path();
  double shares = 0.0;
  std::vector<field_reader> classes = r.objects("classes");
  for (std::size_t i = 0; i < classes.size(); ++i) {
    field_reader& c = classes[i];
    demand_class dc;
    dc.name = c.string("name");
    for (const demand_class& other : d.classes) {
      if (other.name == dc.name) c.fail("name", "duplicate class name \"" + dc.name + "\"");
    }
    dc.share = c.number("share", {0.0, 1.0, true});
    shares += dc.share;
    const std::string model_path = resolve_ref(c, "model", "models", base, roots);
    const std::string workload_path = resolve_ref(c, "workload", "workloads", base, roots);
    std::string grid_path;
    c.allow("grid");
    if (c.has("grid")) grid_path = resolve_ref(c, "grid", "grids", base, roots);
    const std::string engine = c.string_or("engine", "");
    c.finish();
    dc.model = load_model(model_path);
    dc.workload = load_workload(workload_path);
    dc.grid = grid_path.empty() ? default_grid(dc.model.spec) : load_grid(grid_path, dc.model.spec);
    check_draft_axis(dc.grid, dc.workload);
    if (!engine.empty() && !cal.engines.count(engine)) {
      std::vector<std::string> names;
      for (const auto& kv : cal.engines) names.push_back(kv.first);
      c.fail("engine", "unknown engine \"" + engine + "\"" + did_you_mean(engine, names) + "; " + cal.file.path +
                           " knows " + quoted_list(names));
    }
    dc.engine = resolve_engine(cal, dc.workload, engine.empty() ? "" : engine);
    d.classes.push_back(std::move(dc));
  }
  if (std::fabs(shares - 1.0) > 1e-6) {
    r.fail("classes", "the class shares add up to " + format_number(shares) + ", not 1");
  }
  field_reader prof = r.object("profile");
  d.profile_timezone = prof.string_or("timezone", "");
  const bool hourly = prof.has("hourly"), ptoa = prof.has("peak_to_average");
  if (hourly == ptoa) prof.fail_here("give exactly one of \"hourly\" (24 shares of the day) or \"peak_to_average\"");
  if (hourly) {
    const json& h = prof.raw("hourly");
    if (!h.is_array() || h.size() != 24) {
      prof.fail("hourly", "expected 24 numbers, one per hour, found " + std::string(h.is_array() ? std::to_string(h.size()) + " values" : h.type_name()));
    }
    double total = 0.0;
    for (std::size_t k = 0; k < 24; ++k) {
      if (!h[k].is_number() || !(h[k].get<double>() >= 0.0) || !std::isfinite(h[k].get<double>())) {
        throw config_error(path, prof.child_path("hourly") + "[" + std::to_string(k) + "]",
                           "expected a share >= 0, found " + h[k].dump());
      }
      d.hourly.push_back(h[k].get<double>());
      total += h[k].get<double>();
    }
    if (!(total > 0.0)) prof.fail("hourly", "the hourly shares add up to 0");
    for (double& x : d.hourly) x /= total;  // relative weights per hour, normalised
  } else {
    d.peak_to_average = prof.number("peak_to_average", at_least(1.0, 100.0));
  }
  prof.finish();
  d.deferrable_share = r.number_or("deferrable_share", 0.0, at_least(0.0, 0.95));
  d.monthly_growth = r.number_or("monthly_growth", 0.0, at_least(0.0, 10.0));
  d.start_month = r.string_or("start_month", "");
  if (!d.start_month.empty() && !valid_month_text(d.start_month)) {
    r.fail("start_month", "expected \"YYYY-MM\", found \"" + d.start_month + "\"");
  }
  r.finish();
  return d;
}

demand_entry single_demand(const plan_inputs& in) {
  demand_entry d;
  d.name = in.workload.name;
  d.description = in.workload.description;
  d.tokens_per_day = in.workload.spec.tokens_per_day;
  d.peak_to_average = in.workload.spec.peak_to_average;
  demand_class c;
  c.name = in.model.name;
  c.share = 1.0;
  c.model = in.model;
  c.workload = in.workload;
  c.grid = in.grid;
  c.engine = in.engine;
  d.classes.push_back(std::move(c));
  return d;
}

namespace {

/// Tokens per request of a class.
double tokens_per_request(const demand_class& c) { return c.workload.spec.input_tokens + c.workload.spec.output_tokens; }

/// Peak-hour factor of the demand: the busiest hour over the mean, or the file's factor.
double peak_factor(const demand_entry& d) {
  if (d.hourly.empty()) return d.peak_to_average;
  return *std::max_element(d.hourly.begin(), d.hourly.end()) * 24.0;
}

}  // namespace

fleet_result run_fleet(const fleet_request& req) {
  const auto start = std::chrono::steady_clock::now();
  fleet_result r;
  const plan_request& base = req.base;
  r.cal = load_calibration(base.calibration_path);
  r.cluster = load_cluster(base.cluster_path, base.gpu_dirs, r.cal);
  r.overrides = base.overrides;
  if (!r.overrides.gpu.empty()) {
    r.overrides.gpu_type = restrict_cluster_to_gpu(r.cluster, r.overrides.gpu, catalog_names(base.gpu_dirs));
  }
  if (req.demand_path.empty()) {
    plan_inputs in = load_plan_inputs(base);
    r.demand = single_demand(in);
  } else {
    r.demand = load_demand(req.demand_path, req.roots, r.cal);
    // --target sets the demand's total; the classes keep their shares.
    if (r.overrides.tokens_per_day > 0.0) r.demand.tokens_per_day = r.overrides.tokens_per_day;
    for (demand_class& c : r.demand.classes) pin_precisions(c.workload, c.grid, r.overrides);
  }
  const demand_entry& dem = r.demand;
  bool any_delivery = false;
  for (const site_entry& s : r.cluster.sites) any_delivery = any_delivery || !s.deliveries.empty();
  if (any_delivery && dem.monthly_growth > 0.0 && dem.start_month.empty() && !dem.file.path.empty()) {
    throw config_error(dem.file.path, "$.start_month",
                       "needed to place the GPU deliveries of " + r.cluster.file.path + " against the growth");
  }

  // ---- periods and demand per class -------------------------------------------------------
  if (dem.hourly.empty()) {
    r.period_hours = {24.0};
  } else {
    r.period_hours.assign(24, 1.0);
  }
  fleet_model& m = r.model;
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

  // ---- hardware profiles: sites and offers ---------------------------------------------
  // Labelled "h200-sxm x8 @ johor-my+singapore": the GPU, node size and the sites that share
  // the network.
  auto profile_of = [&](std::uint32_t gpu_index, std::uint32_t gpn, const site_entry& site) {
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
  };
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
  // ---- the searches: each class on each profile ---------------------------------------------
  std::unique_ptr<backend> be = select_backend(base.backend, base.threads, &r.backend_note);
  r.backend_name = be->name();
  r.backend_device = be->device();
  const double peak = peak_factor(dem);
  std::size_t searched = 0;  // profiles [0, searched) are done
  auto search_new_profiles = [&]() {
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
      fs_.most_restrictive = reason_name(most_restrictive_reason(s.stats));
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
  };
  search_new_profiles();

  // ---- options: every candidate in every pool of its profile -------------------------------
  auto add_options = [&](std::size_t first_pool) {
    for (std::size_t j = first_pool; j < m.pools.size(); ++j) {
      for (std::size_t k = 0; k < r.candidates.size(); ++k) {
        if (r.candidates[k].profile != r.origins[j].profile) continue;
        fleet_option o = r.candidates[k].unit;
        o.pool = j;
        o.tag = k;
        m.options.push_back(o);
      }
    }
  };
  add_options(0);

  // ---- solve --------------------------------------------------------------------------------
  fleet_solve_options so;
  so.solver = req.solver;
  so.time_limit_s = req.time_limit_s;
  so.mip_gap = req.mip_gap;
  so.cancel = base.cancel;
  r.plan = solve_fleet(m, so);
  if (r.plan.solved) {
    r.plan_summary = summarize_fleet(r, r.plan);
  } else {
    r.needs_expansion = true;
    // GPUs on offer come in only now: their hardware is searched, their pools added.
    const std::size_t first_offer_pool = m.pools.size();
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
    search_new_profiles();
    add_options(first_offer_pool);
    fleet_solve_options grow = so;
    grow.allow_expansion = true;
    r.expansion = solve_fleet(m, grow);
    if (r.expansion.solved) r.expansion_summary = summarize_fleet(r, r.expansion);
    if (r.expansion.outcome == mip_outcome::infeasible) {
      // Two or three more solves: llama-3.1-70b at 120T/day on bytedance-2026 (the power caps
      // bind) took 5.1 s in all against 0.3 s without them, on an idle 2-core machine.
      r.relaxed_computed = true;
      r.relaxed = solve_fleet_shortfall(m, grow);
      if (r.relaxed.solved) r.relaxed_summary = summarize_fleet(r, r.relaxed);
    }
  }
  fleet_solve_options cap = so;
  cap.goal = fleet_goal::max_scale;
  r.capacity = solve_capacity(m, cap);

  // ---- what binds the capacity --------------------------------------------------------------
  for (std::size_t c = 0; c < m.classes.size(); ++c) {
    bool any = false;
    for (const fleet_option& o : m.options) any = any || o.cls == c;
    if (!any) {
      std::string why;
      for (const fleet_search& s : r.searches) {
        if (s.cls != c) continue;
        why += (why.empty() ? "" : "; ") + r.profiles[s.profile].label + ": " +
               (s.no_configuration.empty() ? "most configurations fail " + s.most_restrictive : s.no_configuration);
      }
      r.binding.push_back({"no_configuration", m.classes[c].name,
                           "no configuration of " + dem.classes[c].model.name + " meets the SLOs on any GPU of the cluster (" + why + ")"});
    }
  }
  if (r.capacity.solved) {
    for (std::size_t j = 0; j < m.pools.size(); ++j) {
      const fleet_pool& p = m.pools[j];
      if (p.on_demand() || p.gpus_now <= 0.0) continue;
      double biggest = p.gpus_per_node;
      for (const fleet_option& o : m.options) {
        if (o.pool == j) biggest = std::max({biggest, o.unit_gpus[0], o.unit_gpus[1]});
      }
      if (r.capacity.gpus_used[j] > p.gpus_now - biggest) {
        r.binding.push_back({"gpus", m.sites[p.site].name + "/" + p.gpu,
                             "all usable " + p.gpu + " at " + m.sites[p.site].name + " are in use (" +
                                 group_digits(as_count(r.capacity.gpus_used[j])) + " of " + group_digits(as_count(p.gpus_now)) +
                                 ", whole nodes and spares included)"});
      }
    }
    for (std::size_t s = 0; s < m.sites.size(); ++s) {
      const double cap_kw = m.sites[s].power_cap_it_kw;
      if (cap_kw <= 0.0) continue;
      double kw = 0.0, biggest = 0.0;
      for (std::size_t j = 0; j < m.pools.size(); ++j) {
        if (m.pools[j].site != s || m.pools[j].on_demand()) continue;
        kw += r.capacity.gpus_used[j] * m.pools[j].kw_per_gpu;
        biggest = std::max(biggest, m.pools[j].gpus_per_node * m.pools[j].kw_per_gpu * 2.0);
      }
      if (kw > cap_kw - biggest) {
        r.binding.push_back({"power", m.sites[s].name,
                             "the power cap of " + m.sites[s].name + " binds: " + format_number(std::round(kw / 10.0) / 100.0) +
                                 " MW of IT load against a cap of " + format_number(cap_kw / 1000.0) + " MW"});
      }
    }
  }

  // ---- the month the fleet runs out -----------------------------------------------------
  if (dem.monthly_growth > 0.0 && r.capacity.solved) {
    runway_result& rw = r.runway;
    rw.computed = true;
    const double g = dem.monthly_growth;
    const int start_idx = dem.start_month.empty() ? 0 : month_index(dem.start_month);
    auto label = [&](int months) { return dem.start_month.empty() ? "month " + std::to_string(months) : month_text(start_idx + months); };
    // Capacity states: now, and after each delivery month (relative to the start; deliveries
    // dated at or before the start count from month 0).
    std::vector<std::tuple<int, std::size_t, double>> arrivals;
    for (std::size_t j = 0; j < m.pools.size(); ++j) {
      if (r.origins[j].offer) continue;
      for (const delivery& dv : r.cluster.sites[r.origins[j].site].deliveries) {
        const int at = dem.start_month.empty() ? 0 : std::max(0, month_index(dv.month) - start_idx);
        arrivals.emplace_back(at, j, dv.gpus);
      }
    }
    std::vector<int> months = {0};
    for (const auto& a : arrivals) months.push_back(std::get<0>(a));
    std::sort(months.begin(), months.end());
    months.erase(std::unique(months.begin(), months.end()), months.end());
    std::vector<std::pair<int, double>> lambda;
    for (int at : months) {
      std::vector<double> gpus(m.pools.size(), 0.0);
      bool changed = false;
      for (std::size_t j = 0; j < m.pools.size(); ++j) gpus[j] = m.pools[j].gpus_now;
      for (const auto& a : arrivals) {
        if (std::get<0>(a) <= at) {
          gpus[std::get<1>(a)] += std::get<2>(a);
          changed = true;
        }
      }
      double l = r.capacity.scale;
      if (changed) {
        fleet_solve_options o = cap;
        o.gpus_override = gpus;
        fleet_solution cs = solve_capacity(m, o);
        l = cs.solved ? cs.scale : 0.0;
      }
      lambda.emplace_back(at, l);
      rw.capacity_by_month.emplace_back(label(at), l);
    }
    for (std::size_t i = 0; i < lambda.size() && !rw.runs_out; ++i) {
      const int from = lambda[i].first;
      const int until = i + 1 < lambda.size() ? lambda[i + 1].first : 1200;
      const double l = lambda[i].second;
      // First month m >= from with (1 + g)^m > l, in double: for a tiny g the quotient is far
      // beyond an int (1e-12/month gives ~1e11 months), and anything past the 1,200-month (100
      // year) horizon counts as never.
      const double first_m = l < 1.0 ? 0.0 : std::floor(std::log(l) / std::log1p(g)) + 1.0;
      const int first = first_m < double(until) ? std::max(static_cast<int>(first_m), from) : until;
      if (first < until) {
        rw.runs_out = true;
        rw.months = first;
        rw.month = label(first);
      }
    }
    if (!rw.runs_out) rw.note = "capacity keeps up for 100 years of growth at this rate";
  }
  r.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

fleet_summary summarize_fleet(const fleet_result& r, const fleet_solution& s) {
  const fleet_model& m = r.model;
  fleet_summary f;
  const std::size_t P = m.period_hours.size();
  f.pools.resize(m.pools.size());
  std::vector<double> pool_gpu_hours(m.pools.size(), 0.0);
  std::vector<double> option_gpu_hours(m.options.size(), 0.0);
  for (std::size_t o = 0; o < m.options.size(); ++o) {
    const fleet_option& op = m.options[o];
    for (int side = 0; side < (op.disaggregated ? 2 : 1); ++side) {
      option_gpu_hours[o] += s.units[side][o] * op.unit_gpus[side] * 24.0;
      for (std::size_t t = 0; t < P; ++t) option_gpu_hours[o] += s.od_units[side][o][t] * op.unit_gpus[side] * m.period_hours[t];
    }
    pool_gpu_hours[op.pool] += option_gpu_hours[o];
  }
  for (std::size_t j = 0; j < m.pools.size(); ++j) {
    const fleet_pool& p = m.pools[j];
    pool_report& pr = f.pools[j];
    pr.gpus_now = p.gpus_now;
    if (p.on_demand()) {
      double peak = 0.0;
      for (std::size_t t = 0; t < P; ++t) {
        pr.od_gpu_hours += s.od_gpus[j][t] * m.period_hours[t];
        peak = std::max(peak, s.od_gpus[j][t]);
      }
      pr.gpus_used = peak;
      pr.gpus_paid = peak;
      pr.held_usd_per_day = pr.od_gpu_hours * p.held_usd_per_gpu_day() / 24.0;
      pr.energy_usd_per_day = pr.od_gpu_hours * p.energy_usd_per_gpu_hour();
      f.on_demand_usd_per_day += pr.held_usd_per_day;
    } else {
      pr.gpus_used = s.gpus_used[j];
      pr.gpus_paid = s.paid_gpus[j];
      pr.spare_nodes = s.spare_nodes[j];
      pr.held_usd_per_day = pr.gpus_paid * p.held_usd_per_gpu_day();
      pr.capital_usd_per_day = pr.gpus_paid * p.pricing.capex_usd_per_node_year() / p.gpus_per_node / 365.0;
      pr.energy_usd_per_day = pr.gpus_used * p.energy_usd_per_gpu_hour() * 24.0;
      const double node_cost = pr.gpus_paid * p.pricing.node_usd_per_month * 12.0 / 365.0 / p.gpus_per_node;
      pr.node_usd_per_day = node_cost;
      f.node_usd_per_day += node_cost;
      f.capital_usd_per_day += pr.capital_usd_per_day;
      if (p.pricing.kind == pricing_kind::lease) f.lease_usd_per_day += pr.held_usd_per_day - node_cost;
    }
    pr.nodes = std::ceil(pr.gpus_paid / p.gpus_per_node - 1e-9);
    pr.gpus_free = std::max(0.0, p.gpus_now - pr.gpus_used);
    pr.extra_gpus = std::max(0.0, pr.gpus_used - p.gpus_now);
    pr.it_kw = pr.gpus_used * p.kw_per_gpu;
    pr.facility_kw = pr.it_kw * p.pue;
    pr.cost_usd_per_day = pr.held_usd_per_day + pr.energy_usd_per_day;
    f.energy_usd_per_day += pr.energy_usd_per_day;
    f.cost_usd_per_day += pr.cost_usd_per_day;
    f.it_mw += pr.it_kw / 1000.0;
    f.facility_mw += pr.facility_kw / 1000.0;
    f.gpus_paid += pr.gpus_paid;
    f.gpus_used += pr.gpus_used;
    f.nodes += pr.nodes;
  }
  // Cost per class and per input/output token: each pool's cost shared by GPU-hours, each
  // option's share split by the prefill share of its serving time.
  const std::size_t C = m.classes.size();
  f.class_usd_per_day.assign(C, 0.0);
  std::vector<double> class_input_usd(C, 0.0), class_output_usd(C, 0.0);
  for (std::size_t o = 0; o < m.options.size(); ++o) {
    const fleet_option& op = m.options[o];
    if (pool_gpu_hours[op.pool] <= 0.0) continue;
    const double usd = f.pools[op.pool].cost_usd_per_day * option_gpu_hours[o] / pool_gpu_hours[op.pool];
    const double in_share = r.candidates[op.tag].prefill_share;
    f.class_usd_per_day[op.cls] += usd;
    class_input_usd[op.cls] += usd * in_share;
    class_output_usd[op.cls] += usd * (1.0 - in_share);
  }
  // Pools paid for but idle (a committed lease, owned GPUs left unused) still cost: their cost
  // goes to the classes in proportion to what each already carries, keeping its input/output split.
  double attributed = 0.0;
  for (std::size_t c = 0; c < C; ++c) attributed += f.class_usd_per_day[c];
  const double idle = f.cost_usd_per_day - attributed;
  if (attributed > 0.0 && idle > 0.0) {
    for (std::size_t c = 0; c < C; ++c) {
      const double k = 1.0 + idle / attributed;
      f.class_usd_per_day[c] *= k;
      class_input_usd[c] *= k;
      class_output_usd[c] *= k;
    }
  }
  double in_tok = 0.0, out_tok = 0.0, in_usd = 0.0, out_usd = 0.0;
  f.class_usd_per_million_input.assign(C, 0.0);
  f.class_usd_per_million_output.assign(C, 0.0);
  for (std::size_t c = 0; c < C; ++c) {
    const demand_class& dc = r.demand.classes[c];
    const double tokens = r.demand.tokens_per_day * dc.share * s.scale;
    const double isl = dc.workload.spec.input_tokens, osl = dc.workload.spec.output_tokens;
    const double ti = tokens * isl / (isl + osl), to = tokens * osl / (isl + osl);
    f.class_usd_per_million_input[c] = ti > 0.0 ? class_input_usd[c] / (ti / 1e6) : 0.0;
    f.class_usd_per_million_output[c] = to > 0.0 ? class_output_usd[c] / (to / 1e6) : 0.0;
    in_tok += ti;
    out_tok += to;
    in_usd += class_input_usd[c];
    out_usd += class_output_usd[c];
  }
  const double tokens = r.demand.tokens_per_day * s.scale;
  f.usd_per_million_tokens = tokens > 0.0 ? f.cost_usd_per_day / (tokens / 1e6) : 0.0;
  f.usd_per_million_input = in_tok > 0.0 ? in_usd / (in_tok / 1e6) : 0.0;
  f.usd_per_million_output = out_tok > 0.0 ? out_usd / (out_tok / 1e6) : 0.0;
  // Utilisation per period: GPUs busy (flow over unit capacity) over GPUs held.
  f.utilisation.assign(P, 0.0);
  double lowest = 1.0;
  for (std::size_t t = 0; t < P; ++t) {
    double busy = 0.0, held = 0.0;
    for (std::size_t o = 0; o < m.options.size(); ++o) {
      const fleet_option& op = m.options[o];
      for (int side = 0; side < (op.disaggregated ? 2 : 1); ++side) busy += s.flow[o][t] / op.unit_rps[side] * op.unit_gpus[side];
    }
    for (std::size_t j = 0; j < m.pools.size(); ++j) held += m.pools[j].on_demand() ? s.od_gpus[j][t] : s.gpus_used[j];
    f.utilisation[t] = held > 0.0 ? std::min(1.0, busy / held) : 0.0;
    lowest = std::min(lowest, f.utilisation[t]);
  }
  f.trough_idle_share = P > 0 ? 1.0 - lowest : 0.0;
  return f;
}

}  // namespace tokenplan
