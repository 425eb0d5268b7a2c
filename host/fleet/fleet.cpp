// Fleet planning: run_fleet takes the inputs, builds the allocation model (fleet_builder.cpp),
// solves it (the plan, the expansion, the shortfall, the capacity), finds what binds and the
// month growth runs the fleet out; summarize_fleet gives a solution's money, power and
// utilisation. Demand files: fleet_demand.cpp.
#include "fleet/fleet.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <tuple>

#include "base/errors.hpp"
#include "base/format.hpp"
#include "fleet/fleet_detail.hpp"

namespace tokenplan {

namespace {

int month_index(const std::string& m) { return std::stoi(m.substr(0, 4)) * 12 + std::stoi(m.substr(5, 2)) - 1; }

std::string month_text(int index) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d", index / 12, index % 12 + 1);
  return buf;
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

  // ---- the allocation model (fleet_builder.cpp) ---------------------------------------------
  // Periods and demand per class; hardware profiles and a pool per site; the searches, each
  // class on each profile; options, every candidate in every pool of its profile.
  detail::fleet_builder b(req, r);
  fleet_model& m = r.model;
  b.add_classes();
  b.add_sites();
  b.open_backend();
  b.search_new_profiles();
  b.add_options(0);

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
    b.add_offer_pools();
    b.search_new_profiles();
    b.add_options(first_offer_pool);
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
