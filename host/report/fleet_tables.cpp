// The fleet for people: the short fleet table, the capacity answer as text, and the lines of the
// relaxed shortfall and of the GPUs a fleet adds. The JSON documents are in fleet_report.cpp.

#include <cmath>
#include <cstdio>
#include <sstream>

#include "report/fleet_report.hpp"
#include "report/report_detail.hpp"
#include "base/format.hpp"
#include "search/describe.hpp"
#include "base/text.hpp"

namespace tokenplan {

using detail::fmt;
using detail::site_pue;

namespace {

std::string pool_name(const fleet_result& r, std::size_t j) {
  const fleet_pool& p = r.model.pools[j];
  return r.model.sites[p.site].name + "/" + p.gpu + (p.offer ? " (offer)" : "");
}

/// The solver's account of one solve, for people: which solver, objective, bound, gap, time.
std::string solver_text(const fleet_solution& s, const char* unit) {
  const bool scale = unit[0] == 'x';  // the capacity question: a multiple, shown with decimals
  auto number = [&](double x) {
    return !std::isfinite(x) ? std::string("none") : scale ? fmt("%.4f", x) : short_number(x);
  };
  std::string t = "solver " + s.library + ": " + mip_outcome_name(s.outcome);
  if (s.solved) {
    t += ", objective " + number(s.objective) + unit + ", bound " + number(s.bound) + ", gap " +
         gap_percent_text(s.gap);
  } else if (std::isfinite(s.bound)) {
    t += ", bound " + number(s.bound);
  }
  t += " in " + fmt("%.2f", s.seconds) + " s (asked: gap " + fmt("%.3g", s.mip_gap * 100.0) + "%, time limit " +
       (std::isfinite(s.time_limit_s) ? fmt("%g", s.time_limit_s) + " s" : std::string("none")) + ")";
  return t;
}

/// The relaxation as lines for people (the table and the Markdown list).
std::vector<std::string> relaxed_lines(const fleet_result& r) {
  std::vector<std::string> out;
  const fleet_solution& x = r.relaxed;
  if (!x.solved) {
    out.push_back("no relaxation of the power caps or GPU limits meets it: " + x.status);
    return out;
  }
  for (std::size_t s = 0; s < r.model.sites.size(); ++s) {
    const double kw = s < x.power_over_kw.size() ? x.power_over_kw[s] : 0.0;
    if (kw < 0.5) continue;
    // In the terms the cluster file sets the cap in (its power_cap field), the other in brackets.
    const bool it = s < r.cluster.sites.size() && r.cluster.sites[s].power_cap_field == "it_mw";
    const double pue = site_pue(r, s), cap_kw = r.model.sites[s].power_cap_it_kw;
    const std::string it_over = fmt("%.2f", kw / 1000.0) + " MW IT", fac_over = fmt("%.2f", kw * pue / 1000.0) + " MW facility";
    out.push_back("power: " + r.model.sites[s].name + " needs " + (it ? it_over + " (" + fac_over : fac_over + " (" + it_over) +
                  ") over its cap of " + format_number((it ? cap_kw : cap_kw * pue) / 1000.0) + (it ? " MW IT" : " MW facility"));
  }
  for (std::size_t p = 0; p < r.model.pools.size(); ++p) {
    const double over = p < x.gpus_over.size() ? x.gpus_over[p] : 0.0;
    if (over < 0.5) continue;
    const fleet_pool& pool = r.model.pools[p];
    out.push_back("GPUs: " + group_digits(as_count(over)) + " " + pool.gpu + " at " +
                  r.model.sites[pool.site].name + " beyond the " +
                  group_digits(as_count(pool.gpus_now + std::max(0.0, pool.expansion_max))) +
                  (pool.offer ? " on offer" : " the site allows"));
  }
  for (const std::string& add : detail::addition_lines(r, r.relaxed_summary)) out.push_back("with them: " + add);
  return out;
}

}  // namespace

std::vector<std::string> detail::addition_lines(const fleet_result& r, const fleet_summary& added) {
  std::vector<std::string> out;
  for (std::size_t p = 0; p < r.model.pools.size(); ++p) {
    const pool_report& pr = added.pools[p];
    if (pr.extra_gpus <= 0.0) continue;
    const fleet_pool& pool = r.model.pools[p];
    const double per_gpu = pool.held_usd_per_gpu_day() + pool.energy_usd_per_gpu_hour() * 24.0;
    out.push_back("+ " + group_digits(as_count(pr.extra_gpus)) + " " + pool.gpu + " at " + r.model.sites[pool.site].name +
                  " (" + short_number(pr.extra_gpus * per_gpu) + " USD/day)");
  }
  return out;
}

std::string fleet_table(const fleet_result& r) {
  std::ostringstream o;
  const fleet_model& m = r.model;
  const demand_entry& d = r.demand;
  std::string head = "fleet: demand " + d.name + ", " + short_number(d.tokens_per_day) + " tokens/day";
  if (!d.hourly.empty()) {
    head += ", hourly profile (peak hour " + fmt("%.2f", *std::max_element(d.hourly.begin(), d.hourly.end()) * 24.0) +
            "x the mean)";
  } else {
    head += ", peak " + fmt("%.2f", d.peak_to_average) + "x the mean";
  }
  if (d.deferrable_share > 0.0) head += ", " + fmt("%.0f", d.deferrable_share * 100.0) + "% deferrable";
  o << wrap(head, 0, 2);
  // With --model/--workload the plan's header already said it.
  if (!d.file.path.empty() && r.overrides.any()) o << wrap("  overrides: " + overrides_text(r.overrides), 0, 4);
  for (std::size_t c = 0; c < d.classes.size(); ++c) {
    const demand_class& dc = d.classes[c];
    o << "  " << wrap("class " + dc.name + ": " + fmt("%.0f", dc.share * 100.0) + "% on " + dc.model.name + " (" +
                          dc.workload.name + ", ISL " + fmt("%.0f", dc.workload.spec.input_tokens) + ", OSL " +
                          fmt("%.0f", dc.workload.spec.output_tokens) + ", TTFT " +
                          fmt("%.0f", dc.workload.spec.ttft_slo_s * 1e3) + " ms, TPOT " +
                          fmt("%.0f", dc.workload.spec.tpot_slo_s * 1e3) + " ms)",
                      table_width() - 2, 4);
  }
  const fleet_solution& s = r.chosen();
  const fleet_summary& f = r.chosen_summary();
  if (!s.solved) {
    o << "\nno allocation: " << s.status << "\n";
  } else {
    o << "\n" << (r.needs_expansion ? "least-cost fleet with added GPUs" : "least-cost fleet") << " (" << s.status << "):\n";
    o << "  " << wrap(solver_text(s, " USD/day"), table_width() - 2, 4);
    char line[256];
    // 80 columns: narrower name and number fields; --wide: the full ones.
    const bool wide = wide_tables();
    const int name_w = wide ? 28 : 22, cfg_w = wide ? 48 : 42;
    std::snprintf(line, sizeof line, wide ? "  %-*s %9s %9s %8s %8s %8s %11s\n" : "  %-*s %8s %8s %7s %7s %6s %8s\n",
                  name_w, "site/gpu", "have", "use", "free", "added", "MW fac", "USD/day");
    o << line;
    for (std::size_t p = 0; p < m.pools.size(); ++p) {
      const pool_report& pr = f.pools[p];
      const fleet_pool& pool = m.pools[p];
      if (pool.offer && pr.gpus_used <= 0.0) continue;
      std::snprintf(line, sizeof line,
                    wide ? "  %-*.*s %9s %9s %8s %8s %8.1f %11s\n" : "  %-*.*s %8s %8s %7s %7s %6.1f %8s\n", name_w,
                    name_w, pool_name(r, p).c_str(),
                    group_digits(as_count(pool.gpus_now)).c_str(), group_digits(as_count(pr.gpus_used)).c_str(),
                    group_digits(as_count(pr.gpus_free)).c_str(), group_digits(as_count(pr.extra_gpus)).c_str(),
                    pr.facility_kw / 1000.0, short_number(pr.cost_usd_per_day).c_str());
      o << line;
      for (std::size_t k = 0; k < m.options.size(); ++k) {
        const fleet_option& op = m.options[k];
        if (op.pool != p) continue;
        double gpus = s.units[0][k] * op.unit_gpus[0] + s.units[1][k] * op.unit_gpus[1];
        for (int side = 0; side < 2; ++side) {
          for (double u : s.od_units[side][k]) gpus = std::max(gpus, u * op.unit_gpus[side]);
        }
        if (gpus <= 0.0) continue;
        std::snprintf(line, sizeof line, "      %-14.14s %-*.*s %9s GPUs\n", printable(m.classes[op.cls].name).c_str(), cfg_w, cfg_w,
                      option_code(r.candidates[op.tag].eval.cfg).c_str(), group_digits(as_count(gpus)).c_str());
        o << line;
      }
      if (pr.spare_nodes > 0.0) {
        std::snprintf(line, sizeof line, "      %-14s %-*s %9s GPUs\n", "spares", cfg_w, "(N+k nodes)",
                      group_digits(as_count(pr.spare_nodes * pool.gpus_per_node)).c_str());
        o << line;
      }
    }
    o << "  total: " << group_digits(as_count(f.gpus_paid)) << " GPUs paid (" << group_digits(as_count(f.nodes))
      << " nodes), " << fmt("%.1f", f.it_mw) << " MW IT, " << fmt("%.1f", f.facility_mw) << " MW facility\n";
    o << "  cost: " << short_number(f.cost_usd_per_day) << " USD/day, " << short_number(f.cost_usd_per_day * 365.0 / 12.0)
      << " USD/month; " << fmt("%.3f", f.usd_per_million_tokens) << " USD per million tokens ("
      << fmt("%.3f", f.usd_per_million_input) << " input, " << fmt("%.3f", f.usd_per_million_output) << " output)\n";
    o << "  of which: lease " << short_number(f.lease_usd_per_day) << ", on-demand " << short_number(f.on_demand_usd_per_day)
      << ", owned capital " << short_number(f.capital_usd_per_day) << ", node costs " << short_number(f.node_usd_per_day)
      << ", energy " << short_number(f.energy_usd_per_day) << " USD/day\n";
    if (f.utilisation.size() > 1) {
      std::string u = "utilisation of the GPUs in service by hour (%):";
      for (double x : f.utilisation) u += " " + fmt("%.0f", x * 100.0);
      u += "; " + fmt("%.0f", f.trough_idle_share * 100.0) + "% of them idle at the trough";
      o << "  " << wrap(u, table_width() - 2, 4);
    }
    if (f.gpus_paid > f.gpus_used + 0.5) {
      o << "  " << group_digits(as_count(f.gpus_paid - f.gpus_used)) << " of the " << group_digits(as_count(f.gpus_paid))
        << " GPUs paid for are not in service (owned or committed, cheaper left idle)\n";
    }
  }
  if (r.needs_expansion && r.expansion.solved) {
    o << "\nshortfall: the cluster cannot meet the target; the least-cost additions:\n";
    for (const std::string& add : detail::addition_lines(r, r.expansion_summary)) o << "  " << add << "\n";
  }
  if (r.needs_expansion && r.relaxed_computed) {
    o << "\nshortfall: even with every GPU on offer the target does not fit; the least it takes:\n";
    for (const std::string& line : relaxed_lines(r)) o << "  " << wrap(line, table_width() - 2, 4);
  }
  o << "\ncapacity: ";
  if (r.capacity.solved) {
    o << "the cluster as it is carries " << fmt("%.2f", r.capacity.scale) << "x the target = "
      << short_number(r.capacity.scale * d.tokens_per_day) << " tokens/day\n";
    o << "  " << wrap(solver_text(r.capacity, "x"), table_width() - 2, 4);
  } else {
    o << r.capacity.status << "\n";
  }
  for (const binding_item& b : r.binding) o << "  " << wrap("binding (" + b.kind + "): " + b.detail, table_width() - 2, 4);
  if (r.runway.computed) {
    std::string g = "growth " + fmt("%.1f", d.monthly_growth * 100.0) + "%/month: ";
    g += r.runway.runs_out ? "the cluster runs out in " + r.runway.month + " (month " + std::to_string(r.runway.months) + ")"
                           : r.runway.note;
    g += "; its capacity";
    for (const auto& st : r.runway.capacity_by_month) g += " from " + st.first + " " + fmt("%.2f", st.second) + "x";
    o << wrap(g, 0, 2);
  }
  return fit_to_width(o.str());
}

std::string capacity_table(const fleet_result& r) {
  std::ostringstream o;
  o << "tokenplan capacity: cluster " << r.cluster.name << ", demand " << printable(r.demand.name) << "\n";
  if (r.overrides.any()) o << wrap("overrides: " + overrides_text(r.overrides), 0, 2);
  if (r.capacity.solved) {
    o << wrap("the cluster as it is carries " + fmt("%.3f", r.capacity.scale) + "x the target: " +
                  short_number(r.capacity.scale * r.demand.tokens_per_day) + " tokens/day within the SLOs (" +
                  r.capacity.status + ")", 0, 2);
    o << wrap(solver_text(r.capacity, "x"), 0, 2);
  } else {
    o << r.capacity.status << "\n";
  }
  for (const binding_item& b : r.binding) o << wrap("binding (" + b.kind + "): " + b.detail, 0, 2);
  for (const fleet_search& s : r.searches) {
    const std::string what = r.model.classes[s.cls].name + " on " + r.profiles[s.profile].label + ": ";
    if (s.limit.empty()) {
      o << wrap(what + "no feasible configuration (most configurations fail " + s.most_restrictive + ")" +
                    (s.no_configuration.empty() ? "" : "; " + s.no_configuration), 0, 2);
    } else {
      o << wrap(what + "the best configuration is limited by " + s.limit + " (" + s.limit_detail + ")", 0, 2);
    }
  }
  if (r.capacity.solved) {
    fleet_summary f = summarize_fleet(r, r.capacity);
    o << "at capacity: " << group_digits(as_count(f.gpus_used)) << " GPUs in use, " << fmt("%.1f", f.facility_mw)
      << " MW facility, " << short_number(f.cost_usd_per_day) << " USD/day, " << fmt("%.3f", f.usd_per_million_tokens)
      << " USD per million tokens\n";
  }
  if (r.runway.computed) {
    o << "growth " << fmt("%.1f", r.demand.monthly_growth * 100.0) << "%/month: ";
    o << (r.runway.runs_out ? "runs out in " + r.runway.month : r.runway.note) << "\n";
    for (const auto& s : r.runway.capacity_by_month) {
      o << "  from " << s.first << ": " << fmt("%.3f", s.second) << "x the target\n";
    }
  }
  return fit_to_width(o.str());
}

std::vector<std::string> fleet_relaxed_lines(const fleet_result& r) {
  return r.needs_expansion && r.relaxed_computed ? relaxed_lines(r) : std::vector<std::string>{};
}

}  // namespace tokenplan
