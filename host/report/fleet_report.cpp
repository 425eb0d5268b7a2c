// The fleet as JSON: the plan's "fleet" section, the demand-file plan document and the capacity
// answer. The tables for people are in fleet_tables.cpp.

#include <cmath>

#include "report/fleet_report.hpp"
#include "report/report_detail.hpp"
#include "base/format.hpp"
#include "search/describe.hpp"

namespace tokenplan {

using detail::site_pue;

namespace {

ojson solver_json(const fleet_solution& s) {
  ojson j;
  // JSON has no infinity: an unknown bound or gap, or no time limit, is null.
  auto finite = [](double x) { return std::isfinite(x) ? ojson(x) : ojson(nullptr); };
  j["library"] = s.library;
  j["name"] = s.solver;
  j["status"] = s.status;
  j["outcome"] = mip_outcome_name(s.outcome);
  j["solved"] = s.solved;
  j["proven_optimal"] = s.proven_optimal;
  j["objective"] = s.solved ? finite(s.objective) : ojson(nullptr);
  j["bound"] = finite(s.bound);
  j["gap"] = s.solved ? finite(s.gap) : ojson(nullptr);
  j["mip_gap"] = s.mip_gap;
  j["time_limit_s"] = finite(s.time_limit_s);
  j["rows"] = s.rows;
  j["columns"] = s.columns;
  j["integer_columns"] = s.integers;
  j["seconds"] = s.seconds;
  return j;
}

ojson allocation_json(const fleet_result& r, const fleet_solution& s, const fleet_summary& f) {
  const fleet_model& m = r.model;
  ojson j;
  j["solver"] = solver_json(s);
  if (!s.solved) return j;
  ojson pools = ojson::array();
  for (std::size_t p = 0; p < m.pools.size(); ++p) {
    const fleet_pool& pool = m.pools[p];
    const pool_report& pr = f.pools[p];
    bool runs = pr.gpus_used > 0.0 || pr.gpus_paid > 0.0;
    if (!runs && pool.offer) continue;
    ojson o;
    o["site"] = m.sites[pool.site].name;
    o["gpu"] = pool.gpu;
    o["offer"] = pool.offer;
    o["pricing"] = pricing_kind_name(pool.pricing.kind);
    o["gpus_available"] = as_count(pool.gpus_now);
    o["gpus_used"] = as_count(pr.gpus_used);
    o["gpus_paid"] = as_count(pr.gpus_paid);
    o["gpus_free"] = as_count(pr.gpus_free);
    o["gpus_added"] = as_count(pr.extra_gpus);
    o["nodes"] = as_count(pr.nodes);
    o["spare_nodes"] = as_count(pr.spare_nodes);
    if (pool.on_demand()) o["on_demand_gpu_hours_per_day"] = pr.od_gpu_hours;
    o["it_mw"] = pr.it_kw / 1000.0;
    o["facility_mw"] = pr.facility_kw / 1000.0;
    o["held_usd_per_day"] = pr.held_usd_per_day;
    o["energy_usd_per_day"] = pr.energy_usd_per_day;
    o["cost_usd_per_day"] = pr.cost_usd_per_day;
    ojson runs_there = ojson::array();
    for (std::size_t k = 0; k < m.options.size(); ++k) {
      const fleet_option& op = m.options[k];
      if (op.pool != p) continue;
      double units = s.units[0][k] + s.units[1][k], od = 0.0;
      for (int side = 0; side < 2; ++side) {
        for (double u : s.od_units[side][k]) od = std::max(od, u);
      }
      if (units <= 0.0 && od <= 0.0) continue;
      const fleet_candidate& c = r.candidates[op.tag];
      ojson x;
      x["class"] = m.classes[op.cls].name;
      x["config"] = option_code(c.eval.cfg);
      x["mode"] = op.disaggregated ? "disaggregated" : "aggregated";
      if (op.disaggregated) {
        x["prefill_units"] = s.units[0][k];
        x["decode_units"] = s.units[1][k];
      } else {
        x["units"] = s.units[0][k];
      }
      if (pool.on_demand()) x["peak_on_demand_units"] = od;
      x["unit_gpus"] = {op.unit_gpus[0], op.unit_gpus[1]};
      x["unit_requests_per_s"] = {op.unit_rps[0], op.unit_rps[1]};
      x["gpus"] = s.units[0][k] * op.unit_gpus[0] + s.units[1][k] * op.unit_gpus[1];
      runs_there.push_back(x);
    }
    o["runs"] = runs_there;
    pools.push_back(o);
  }
  j["pools"] = pools;
  ojson money;
  money["cost_usd_per_day"] = f.cost_usd_per_day;
  money["cost_usd_per_month"] = f.cost_usd_per_day * 365.0 / 12.0;
  money["usd_per_million_tokens"] = f.usd_per_million_tokens;
  money["usd_per_million_input_tokens"] = f.usd_per_million_input;
  money["usd_per_million_output_tokens"] = f.usd_per_million_output;
  money["lease_usd_per_day"] = f.lease_usd_per_day;
  money["on_demand_usd_per_day"] = f.on_demand_usd_per_day;
  money["capital_usd_per_day"] = f.capital_usd_per_day;
  money["node_costs_usd_per_day"] = f.node_usd_per_day;
  money["energy_usd_per_day"] = f.energy_usd_per_day;
  ojson per_class = ojson::array();
  for (std::size_t c = 0; c < m.classes.size(); ++c) {
    per_class.push_back({{"class", m.classes[c].name},
                         {"cost_usd_per_day", f.class_usd_per_day[c]},
                         {"usd_per_million_input_tokens", f.class_usd_per_million_input[c]},
                         {"usd_per_million_output_tokens", f.class_usd_per_million_output[c]}});
  }
  money["by_class"] = per_class;
  j["money"] = money;
  j["power"] = {{"it_mw", f.it_mw}, {"facility_mw", f.facility_mw}};
  j["gpus_paid"] = as_count(f.gpus_paid);
  j["gpus_used"] = as_count(f.gpus_used);
  j["gpus_paid_not_in_service"] = as_count(std::max(0.0, f.gpus_paid - f.gpus_used));
  j["nodes"] = as_count(f.nodes);
  j["utilisation_by_period"] = f.utilisation;
  j["trough_idle_share"] = f.trough_idle_share;
  return j;
}

ojson capacity_json(const fleet_result& r) {
  ojson j;
  j["solver"] = solver_json(r.capacity);
  j["multiple_of_target"] = r.capacity.solved ? r.capacity.scale : 0.0;
  j["max_tokens_per_day"] = r.capacity.solved ? r.capacity.scale * r.demand.tokens_per_day : 0.0;
  ojson b = ojson::array();
  for (const binding_item& x : r.binding) b.push_back({{"kind", x.kind}, {"where", x.where}, {"detail", x.detail}});
  j["binding"] = b;
  ojson limits = ojson::array();
  for (const fleet_search& s : r.searches) {
    limits.push_back({{"class", r.model.classes[s.cls].name},
                      {"hardware", r.profiles[s.profile].label},
                      {"feasible_configurations", s.stats.counts[reason_feasible]},
                      {"best_configuration_limited_by", s.limit.empty() ? ojson(nullptr) : ojson(s.limit)},
                      {"detail", s.limit_detail.empty() ? ojson(nullptr) : ojson(s.limit_detail)},
                      {"most_restrictive_check", s.most_restrictive},
                      {"no_configuration", s.no_configuration.empty() ? ojson(nullptr) : ojson(s.no_configuration)}});
  }
  j["per_class_and_hardware"] = limits;
  return j;
}

ojson runway_json(const fleet_result& r) {
  ojson j;
  const runway_result& w = r.runway;
  j["computed"] = w.computed;
  if (!w.computed) return j;
  j["monthly_growth"] = r.demand.monthly_growth;
  j["runs_out"] = w.runs_out;
  j["month"] = w.runs_out ? ojson(w.month) : ojson(nullptr);
  j["months_from_start"] = w.runs_out ? ojson(w.months) : ojson(nullptr);
  ojson steps = ojson::array();
  for (const auto& s : w.capacity_by_month) steps.push_back({{"from", s.first}, {"multiple_of_target", s.second}});
  j["capacity_after_deliveries"] = steps;
  if (!w.note.empty()) j["note"] = w.note;
  return j;
}

ojson demand_json(const fleet_result& r) {
  const demand_entry& d = r.demand;
  ojson j;
  j["name"] = d.name;
  if (!d.file.path.empty()) j["file"] = {{"path", d.file.path}, {"sha256", d.file.sha256}};
  j["tokens_per_day"] = d.tokens_per_day;
  if (d.hourly.empty()) {
    j["profile"] = {{"peak_to_average", d.peak_to_average}};
  } else {
    j["profile"] = {{"hourly_shares", d.hourly}, {"timezone", d.profile_timezone}};
  }
  j["deferrable_share"] = d.deferrable_share;
  j["monthly_growth"] = d.monthly_growth;
  j["start_month"] = d.start_month.empty() ? ojson(nullptr) : ojson(d.start_month);
  ojson cls = ojson::array();
  for (std::size_t c = 0; c < d.classes.size(); ++c) {
    const demand_class& dc = d.classes[c];
    const fleet_class& fc = r.model.classes[c];
    ojson x;
    x["name"] = dc.name;
    x["share"] = dc.share;
    x["model"] = {{"name", dc.model.name}, {"path", dc.model.file.path}, {"sha256", dc.model.file.sha256}};
    x["workload"] = {{"name", dc.workload.name}, {"path", dc.workload.file.path}, {"sha256", dc.workload.file.sha256}};
    x["engine"] = dc.engine;
    x["tokens_per_day"] = d.tokens_per_day * dc.share;
    x["input_tokens_mean"] = dc.workload.spec.input_tokens;
    x["output_tokens_mean"] = dc.workload.spec.output_tokens;
    x["slo"] = {{"ttft_ms", dc.workload.spec.ttft_slo_s * 1e3}, {"tpot_ms", dc.workload.spec.tpot_slo_s * 1e3}};
    x["interactive_requests_per_s_by_period"] = fc.interactive_rps;
    x["deferrable_requests_per_s_average"] = fc.deferrable_rps;
    cls.push_back(x);
  }
  j["classes"] = cls;
  return j;
}

ojson candidates_json(const fleet_result& r) {
  ojson arr = ojson::array();
  for (std::size_t s = 0; s < r.searches.size(); ++s) {
    const fleet_search& fs = r.searches[s];
    ojson x;
    x["class"] = r.model.classes[fs.cls].name;
    x["hardware"] = r.profiles[fs.profile].label;
    x["grid_size"] = fs.stats.grid_size;
    x["feasible"] = fs.stats.counts[reason_feasible];
    x["most_restrictive_check"] = fs.most_restrictive;
    x["search_s"] = fs.stats.elapsed_s;
    ojson opts = ojson::array();
    for (const fleet_candidate& c : r.candidates) {
      if (c.cls != fs.cls || c.profile != fs.profile) continue;
      ojson o;
      o["config"] = option_code(c.eval.cfg);
      o["tpot_ms"] = c.eval.m.tpot_s * 1e3;
      o["ttft_ms"] = c.eval.m.ttft_s * 1e3;
      o["tokens_per_s_per_gpu"] = c.eval.m.tokens_per_s_per_gpu;
      o["unit_gpus"] = {c.unit.unit_gpus[0], c.unit.unit_gpus[1]};
      o["unit_requests_per_s"] = {c.unit.unit_rps[0], c.unit.unit_rps[1]};
      o["prefill_time_share"] = c.prefill_share;
      o["evaluation"] = evaluation_json(r.problem_inputs[s], *r.problems[s], c.eval);
      opts.push_back(o);
    }
    x["configurations"] = opts;
    arr.push_back(x);
  }
  return arr;
}

/// What binds when even the expansion is infeasible, and by how much (r.relaxed): per capped
/// site the IT MW over its cap, per pool the GPUs beyond its limit.
ojson relaxed_json(const fleet_result& r) {
  const fleet_solution& x = r.relaxed;
  ojson j;
  j["solved"] = x.solved;
  j["status"] = x.status;
  if (!x.solved) return j;
  ojson power = ojson::array();
  for (std::size_t s = 0; s < r.model.sites.size(); ++s) {
    const double kw = s < x.power_over_kw.size() ? x.power_over_kw[s] : 0.0;
    if (kw < 0.5) continue;  // below half a kW: a solver tolerance, not a shortfall
    power.push_back({{"site", r.model.sites[s].name},
                     {"cap_it_mw", r.model.sites[s].power_cap_it_kw / 1000.0},
                     {"cap_facility_mw", r.model.sites[s].power_cap_it_kw * site_pue(r, s) / 1000.0},
                     {"it_mw_over", kw / 1000.0},
                     {"facility_mw_over", kw * site_pue(r, s) / 1000.0}});
  }
  j["power_over_cap"] = power;
  ojson gpus = ojson::array();
  for (std::size_t p = 0; p < r.model.pools.size(); ++p) {
    const double over = p < x.gpus_over.size() ? x.gpus_over[p] : 0.0;
    if (over < 0.5) continue;
    const fleet_pool& pool = r.model.pools[p];
    gpus.push_back({{"site", r.model.sites[pool.site].name},
                    {"gpu", pool.gpu},
                    {"offer", pool.offer},
                    {"limit_gpus", as_count(pool.gpus_now + std::max(0.0, pool.expansion_max))},
                    {"gpus_over", as_count(over)}});
  }
  j["gpus_over_limit"] = gpus;
  ojson add = ojson::array();
  for (std::size_t p = 0; p < r.model.pools.size(); ++p) {
    const pool_report& pr = r.relaxed_summary.pools[p];
    if (pr.extra_gpus <= 0.0) continue;
    const fleet_pool& pool = r.model.pools[p];
    add.push_back({{"site", r.model.sites[pool.site].name},
                   {"gpu", pool.gpu},
                   {"offer", pool.offer},
                   {"gpus", as_count(pr.extra_gpus)},
                   {"usd_per_day", pr.extra_gpus * (pool.held_usd_per_gpu_day() + pool.energy_usd_per_gpu_hour() * 24.0)}});
  }
  j["add"] = add;
  j["cost_usd_per_day"] = r.relaxed_summary.cost_usd_per_day;
  return j;
}

ojson shortfall_json(const fleet_result& r) {
  ojson j;
  j["target_fits"] = !r.needs_expansion;
  if (!r.needs_expansion) return j;
  j["solved"] = r.expansion.solved;
  if (!r.expansion.solved) {
    j["status"] = r.expansion.status;
    if (r.relaxed_computed) j["relaxed"] = relaxed_json(r);
    return j;
  }
  ojson add = ojson::array();
  double gpus = 0.0, usd = 0.0;
  for (std::size_t p = 0; p < r.model.pools.size(); ++p) {
    const pool_report& pr = r.expansion_summary.pools[p];
    if (pr.extra_gpus <= 0.0) continue;
    const fleet_pool& pool = r.model.pools[p];
    const double per_gpu = pool.held_usd_per_gpu_day() + pool.energy_usd_per_gpu_hour() * 24.0;
    add.push_back({{"site", r.model.sites[pool.site].name},
                   {"gpu", pool.gpu},
                   {"offer", pool.offer},
                   {"gpus", as_count(pr.extra_gpus)},
                   {"usd_per_day", pr.extra_gpus * per_gpu}});
    gpus += pr.extra_gpus;
    usd += pr.extra_gpus * per_gpu;
  }
  j["add"] = add;
  j["gpus"] = as_count(gpus);
  j["usd_per_day"] = usd;
  return j;
}

/// The head every fleet document starts with: schema version, tool, command and input files.
ojson document_head(const fleet_result& r, const char* command) {
  ojson j = json_document(command);
  j["inputs"] = {{"cluster", {{"path", r.cluster.file.path}, {"sha256", r.cluster.file.sha256}}},
                 {"calibration", {{"path", r.cal.file.path}, {"sha256", r.cal.file.sha256}}}};
  if (r.overrides.any()) j["inputs"]["overrides"] = overrides_json(r.overrides);
  return j;
}

}  // namespace

ojson fleet_json(const fleet_result& r) {
  ojson j;
  j["demand"] = demand_json(r);
  j["periods_hours"] = r.period_hours;
  j["plan"] = r.needs_expansion ? allocation_json(r, r.expansion, r.expansion_summary)
                                : allocation_json(r, r.plan, r.plan_summary);
  j["plan"]["with_added_gpus"] = r.needs_expansion;
  j["shortfall"] = shortfall_json(r);
  j["capacity"] = capacity_json(r);
  j["runway"] = runway_json(r);
  return j;
}

std::string fleet_plan_json_text(const fleet_result& r) {
  ojson j = document_head(r, "plan");
  j["backend"] = {{"name", r.backend_name}, {"device", r.backend_device}};
  if (!r.backend_note.empty()) j["backend"]["note"] = r.backend_note;
  j["configurations"] = candidates_json(r);
  j["fleet"] = fleet_json(r);
  j["elapsed_s"] = r.elapsed_s;
  return j.dump(2) + "\n";
}

std::string capacity_json_text(const fleet_result& r) {
  ojson j = document_head(r, "capacity");
  j["demand"] = demand_json(r);
  j["capacity"] = capacity_json(r);
  if (r.capacity.solved) {
    fleet_summary f = summarize_fleet(r, r.capacity);
    j["allocation_at_capacity"] = allocation_json(r, r.capacity, f);
  }
  j["runway"] = runway_json(r);
  j["elapsed_s"] = r.elapsed_s;
  return j.dump(2) + "\n";
}

}  // namespace tokenplan
