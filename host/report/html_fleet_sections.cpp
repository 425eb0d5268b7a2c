// The fleet's part of both HTML pages: its headline figures, cost and power by site, load and
// capacity over the day (fleet_hourly_load), what the cluster as it is can carry, and the footer.
#include "report/html_report.hpp"
#include "report/html_report_detail.hpp"
#include "report/fleet_report.hpp"

#include <algorithm>
#include <cmath>

#include "report/svg.hpp"

namespace tokenplan {

using namespace detail::html;
using detail::fmt;

namespace {

// ---- the fleet: cost and power by site, load over the day, capacity ----------------------------

struct site_totals {
  std::string name;
  double used_there = 0, added = 0, free = 0;
  double it_mw = 0, facility_mw = 0, cap_facility_mw = -1, cap_it_mw = 0, pue = 1;
  double lease = 0, on_demand = 0, capital = 0, nodes = 0, energy = 0, cost = 0;
  std::vector<std::string> gpu_types;
};

std::vector<site_totals> totals_by_site(const fleet_result& r, const fleet_summary& f) {
  const fleet_model& m = r.model;
  std::vector<site_totals> out(m.sites.size());
  for (std::size_t i = 0; i < m.sites.size(); ++i) {
    out[i].name = m.sites[i].name;
    out[i].cap_it_mw = m.sites[i].power_cap_it_kw / 1000.0;
  }
  for (std::size_t j = 0; j < m.pools.size() && j < f.pools.size(); ++j) {
    const fleet_pool& p = m.pools[j];
    const pool_report& pr = f.pools[j];
    site_totals& s = out[p.site];
    s.pue = p.pue;
    if (std::find(s.gpu_types.begin(), s.gpu_types.end(), p.gpu) == s.gpu_types.end() && (!p.offer || pr.gpus_used > 0)) {
      s.gpu_types.push_back(p.gpu);
    }
    s.used_there += pr.gpus_used - pr.extra_gpus;
    s.added += pr.extra_gpus;
    s.free += pr.gpus_free;
    s.it_mw += pr.it_kw / 1000.0;
    s.facility_mw += pr.facility_kw / 1000.0;
    const double held = pr.held_usd_per_day;
    switch (p.pricing.kind) {
      case pricing_kind::lease: s.lease += held - pr.node_usd_per_day; break;
      case pricing_kind::on_demand: s.on_demand += held; break;
      case pricing_kind::owned: s.capital += pr.capital_usd_per_day; break;
    }
    if (p.pricing.kind != pricing_kind::on_demand) s.nodes += pr.node_usd_per_day;
    s.energy += pr.energy_usd_per_day;
    s.cost += pr.cost_usd_per_day;
  }
  for (site_totals& s : out) {
    if (s.cap_it_mw > 0.0) s.cap_facility_mw = s.cap_it_mw * s.pue;
  }
  return out;
}

std::string joined(const std::vector<std::string>& v, const char* sep) {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + v[i];
  return s;
}

report_section sites_section(const fleet_result& r) {
  report_section sec;
  sec.id = "sites";
  sec.heading = "Cost and power by site";
  const fleet_solution& s = r.chosen();
  const fleet_summary& f = r.chosen_summary();
  if (!s.solved) {
    sec.items.push_back(note_item("No allocation of the fleet: " + s.status +
                                  ". No site carries any load, so there is nothing to break down."));
    if (!fleet_relaxed_lines(r).empty()) {
      sec.items.push_back(note_item("Even with every GPU on offer the target does not fit. The least it takes:"));
      sec.items.push_back(list_item(fleet_relaxed_lines(r)));
    }
    return sec;
  }
  sec.items.push_back(text_item(std::string(r.needs_expansion ? "The least-cost fleet with added GPUs" : "The least-cost fleet") +
                                " that meets every hour's demand within each site's GPUs and power cap (" + s.library + ": " + s.status +
                                ", " + fmt("%.2f", s.seconds) + " s). Hover a bar for its figure."));
  const std::vector<site_totals> sites = totals_by_site(r, f);

  bar_chart gpus;
  gpus.name = "site-gpus";
  gpus.unit = "GPUs";
  gpus.integer_values = true;
  gpus.segments = {"in service, there now", "added (bought, leased or on offer)", "there, not in service"};
  gpus.colors = {"#2563eb", "#dc2626", "#a8b4c4"};
  bar_chart power;
  power.name = "site-power";
  power.unit = "MW";
  power.segments = {"IT load", "facility overhead (PUE)"};
  power.colors = {"#ea580c", "#fdba74"};
  power.marker_name = "power cap (at the facility)";
  bar_chart cost;
  cost.name = "site-cost";
  cost.unit = "USD/day";
  cost.segments = {"lease", "on-demand", "owned capital", "node costs", "energy"};
  cost.colors = {"#2563eb", "#0891b2", "#9333ea", "#94a3b8", "#f59e0b"};
  // GPUs: one bar per site and GPU type (a site's own GPUs and those of the same type on offer
  // there share it), so GPUs of different kinds are never added up in one bar.
  {
    const fleet_model& m = r.model;
    std::vector<std::pair<std::size_t, std::string>> keys;
    std::vector<bar_row> rows;
    for (std::size_t j = 0; j < m.pools.size() && j < f.pools.size(); ++j) {
      const fleet_pool& p = m.pools[j];
      const pool_report& pr = f.pools[j];
      if (p.offer && pr.gpus_used <= 0.0) continue;
      const std::pair<std::size_t, std::string> key{p.site, p.gpu};
      auto it = std::find(keys.begin(), keys.end(), key);
      if (it == keys.end()) {
        keys.push_back(key);
        rows.push_back({m.sites[p.site].name + " · " + p.gpu, {0.0, 0.0, 0.0}, -1.0, ""});
        it = keys.end() - 1;
      }
      bar_row& row = rows[static_cast<std::size_t>(it - keys.begin())];
      row.values[0] += pr.gpus_used - pr.extra_gpus;
      row.values[1] += pr.extra_gpus;
      row.values[2] += pr.gpus_free;
    }
    gpus.rows = rows;
  }
  for (const site_totals& x : sites) {
    const std::string label = x.name + (x.gpu_types.empty() ? "" : " (" + joined(x.gpu_types, ", ") + ")");
    bar_row pw{label, {x.it_mw, x.facility_mw - x.it_mw}, x.cap_facility_mw, ""};
    if (x.cap_facility_mw >= 0.0) {
      pw.marker_tooltip = x.name + ": power cap " + fmt("%.1f", x.cap_it_mw) + " MW IT = " + fmt("%.1f", x.cap_facility_mw) +
                          " MW at the facility (PUE " + fmt("%.2f", x.pue) + ")";
    }
    power.rows.push_back(pw);
    cost.rows.push_back({label, {x.lease, x.on_demand, x.capital, x.nodes, x.energy}, -1.0, ""});
  }
  sec.items.push_back(chart_item("site-gpus", render_bars(gpus),
                                 "GPUs by site and GPU type: in service from those there now, added, and left free."));
  sec.items.push_back(chart_item("site-power", render_bars(power),
                                 "Power by site, MW at full load of the GPUs in service: IT load and the facility's "
                                 "overhead (PUE); the red mark is the site's power cap."));
  sec.items.push_back(chart_item("site-cost", render_bars(cost), "Cost by site, USD per day, by kind."));

  report_table t;
  t.id = "site-table";
  t.head = {"Site", "GPU", "Pricing", "GPUs there", "In service", "Free", "Added", "Paid", "IT MW", "Facility MW",
            "Cap MW (facility)", "USD/day"};
  t.numeric = {false, false, false, true, true, true, true, true, true, true, true, true};
  const fleet_model& m = r.model;
  for (std::size_t j = 0; j < m.pools.size(); ++j) {
    const fleet_pool& p = m.pools[j];
    const pool_report& pr = f.pools[j];
    if (p.offer && pr.gpus_used <= 0.0) continue;
    const double cap = m.sites[p.site].power_cap_it_kw / 1000.0;
    t.rows.push_back({m.sites[p.site].name, p.gpu + (p.offer ? " (offer)" : ""), pricing_kind_name(p.pricing.kind),
                      count_text(p.gpus_now), count_text(pr.gpus_used), count_text(pr.gpus_free),
                      count_text(pr.extra_gpus), count_text(pr.gpus_paid), fmt("%.1f", pr.it_kw / 1000.0),
                      fmt("%.1f", pr.facility_kw / 1000.0), cap > 0.0 ? fmt("%.1f", cap * p.pue) : "none",
                      short_number(pr.cost_usd_per_day)});
  }
  t.rows.push_back({"total", "", "", "", count_text(f.gpus_used), "", "", count_text(f.gpus_paid), fmt("%.1f", f.it_mw),
                    fmt("%.1f", f.facility_mw), "", short_number(f.cost_usd_per_day)});
  t.total_last = true;
  sec.items.push_back(table_item(t));
  sec.items.push_back(text_item(
      "Cost " + short_number(f.cost_usd_per_day) + " USD/day (" + short_number(f.cost_usd_per_day * 365.0 / 12.0) +
      " USD/month), " + fmt("%.3f", f.usd_per_million_tokens) + " USD per million tokens (" +
      fmt("%.3f", f.usd_per_million_input) + " input, " + fmt("%.3f", f.usd_per_million_output) + " output); of which lease " +
      short_number(f.lease_usd_per_day) + ", on-demand " + short_number(f.on_demand_usd_per_day) + ", owned capital " +
      short_number(f.capital_usd_per_day) + ", node costs " + short_number(f.node_usd_per_day) + ", energy " +
      short_number(f.energy_usd_per_day) + " USD/day. " + count_text(f.gpus_paid) + " GPUs paid (" + count_text(f.nodes) +
      " nodes), " + fmt("%.1f", f.it_mw) + " MW IT, " + fmt("%.1f", f.facility_mw) + " MW at the facilities."));
  if (f.gpus_paid > f.gpus_used + 0.5) {
    sec.items.push_back(text_item(count_text(f.gpus_paid - f.gpus_used) + " of the " + count_text(f.gpus_paid) +
                                  " GPUs paid for are not in service (owned or committed, cheaper left idle)."));
  }
  if (r.needs_expansion && r.expansion.solved) {
    sec.items.push_back(note_item("The cluster as it is cannot meet the target. The least-cost additions:"));
    sec.items.push_back(list_item(detail::addition_lines(r, r.expansion_summary)));
  }
  return sec;
}

report_section diurnal_section(const fleet_result& r) {
  report_section sec;
  sec.id = "diurnal";
  sec.heading = "Load and capacity over the day";
  const demand_entry& d = r.demand;
  const fleet_solution& s = r.chosen();
  if (d.hourly.empty() || r.period_hours.size() != 24) {
    sec.items.push_back(text_item("No diurnal chart: the demand " + d.name + " gives a peak-to-average factor (" +
                                  fmt("%.2f", d.peak_to_average) +
                                  ") rather than a 24-hour profile, so the fleet is sized for the peak as one period. "
                                  "A demand file with a \"profile\": {\"hourly\": [...]} gives this chart (plan --demand)."));
    return sec;
  }
  if (!s.solved) {
    sec.items.push_back(note_item("No diurnal chart: the fleet has no allocation (" + s.status + ")."));
    return sec;
  }
  const hourly_load load = fleet_hourly_load(r);
  const std::vector<double>& interactive = load.interactive;
  const std::vector<double>& deferred = load.deferred;
  const std::vector<double>& capacity = load.capacity;
  const std::size_t P = interactive.size();
  hourly_chart c;
  c.name = "diurnal";
  c.x_label = "hour of the day (" + (d.profile_timezone.empty() ? std::string("as the demand file gives it") : d.profile_timezone) + ")";
  c.y_label = "tokens/s (input + output)";
  const fleet_summary& f = r.chosen_summary();
  for (std::size_t t = 0; t < P; ++t) {
    c.hours.push_back(fmt("%02.0f", static_cast<double>(t)));
    std::string tip = fmt("%02.0f:00", static_cast<double>(t)) + ": load " + short_number(interactive[t] + deferred[t]) +
                      " tokens/s (interactive " + short_number(interactive[t]) + ", deferrable " + short_number(deferred[t]) +
                      "); capacity in service " + short_number(capacity[t]) + " tokens/s";
    if (t < f.utilisation.size()) tip += "; GPUs busy " + fmt("%.0f", f.utilisation[t] * 100.0) + "%";
    c.tooltips.push_back(tip);
  }
  c.stacked = {{"interactive load (served in its hour)", interactive}, {"deferrable load (placed by the plan)", deferred}};
  c.lines = {{"capacity of the GPUs in service, within the SLOs", capacity}};
  c.colors = {"#2563eb", "#93c5fd", "#dc2626"};
  sec.items.push_back(text_item("Demand " + d.name + ", " + short_number(d.tokens_per_day) + " tokens/day; busiest hour " +
                                fmt("%.2f", *std::max_element(d.hourly.begin(), d.hourly.end()) * 24.0) +
                                "x the mean; " + fmt("%.0f", d.deferrable_share * 100.0) +
                                "% deferrable, run in the hours the plan chose. Hover an hour for its figures."));
  sec.items.push_back(chart_item("diurnal", render_hourly(c),
                                 "Load per hour (tokens/s) against what the GPUs the plan keeps in service can carry "
                                 "within the SLOs."));
  if (!f.utilisation.empty()) {
    sec.items.push_back(text_item(fmt("%.0f", f.trough_idle_share * 100.0) +
                                  "% of the GPUs in service are idle at the quietest hour."));
  }
  return sec;
}

report_section capacity_section(const fleet_result& r) {
  report_section sec;
  sec.id = "capacity";
  sec.heading = "What the cluster as it is can carry";
  if (r.capacity.solved) {
    sec.items.push_back(text_item("The cluster as it is carries " + fmt("%.2f", r.capacity.scale) + "x the target = " +
                                  short_number(r.capacity.scale * r.demand.tokens_per_day) + " tokens/day (" +
                                  r.capacity.status + ")."));
  } else {
    sec.items.push_back(note_item("Capacity: " + r.capacity.status));
  }
  std::vector<std::string> lines;
  for (const binding_item& b : r.binding) lines.push_back("binding (" + b.kind + "): " + b.detail);
  if (!lines.empty()) sec.items.push_back(list_item(lines));
  if (r.runway.computed) {
    std::string g = "Growth " + fmt("%.1f", r.demand.monthly_growth * 100.0) + "%/month: ";
    g += r.runway.runs_out ? "the cluster runs out in " + r.runway.month + " (month " + std::to_string(r.runway.months) + ")"
                           : r.runway.note;
    for (const auto& st : r.runway.capacity_by_month) g += "; from " + st.first + " " + fmt("%.2f", st.second) + "x";
    sec.items.push_back(text_item(g + "."));
  }
  return sec;
}

std::string fleet_footer(const std::string& backend) {
  return std::string("Made by tokenplan ") + TOKENPLAN_VERSION + " (" + backend +
         "). One self-contained file: the charts are SVG drawn by tokenplan; nothing is loaded from the network. "
         "Every figure comes from the plan; the JSON output (--format json) carries each term.";
}

}  // namespace

void detail::html::add_fleet_headline(report_page& page, const fleet_result& r) {
  const fleet_solution& s = r.chosen();
  const fleet_summary& f = r.chosen_summary();
  if (s.solved) {
    page.headline.push_back({"Fleet cost", short_number(f.cost_usd_per_day) + " USD/day",
                             fmt("%.3f", f.usd_per_million_tokens) + " USD per million tokens; " +
                                 short_number(f.cost_usd_per_day * 365.0 / 12.0) + " USD/month"});
    page.headline.push_back({"Fleet GPUs", count_text(f.gpus_paid) + " paid",
                             count_text(f.gpus_used) + " in service" +
                                 (r.needs_expansion ? ", with GPUs added beyond the cluster" : ", within the cluster")});
    page.headline.push_back({"Power", fmt("%.1f", f.facility_mw) + " MW", fmt("%.1f", f.it_mw) + " MW IT, at the facilities"});
  } else {
    page.headline.push_back({"Fleet", "no allocation", s.status});
  }
  if (r.capacity.solved) {
    page.headline.push_back({"The cluster as it is carries", fmt("%.2f", r.capacity.scale) + "x the target",
                             short_number(r.capacity.scale * r.demand.tokens_per_day) + " tokens/day"});
  }
  if (r.runway.computed && r.runway.runs_out) {
    page.headline.push_back({"Runs out", r.runway.month,
                             "at " + fmt("%.0f", r.demand.monthly_growth * 100.0) + "% growth a month, deliveries counted"});
  }
}

void detail::html::add_fleet_sections(report_page& page, const fleet_result& r, const std::string& backend) {
  page.sections.push_back(sites_section(r));
  page.sections.push_back(diurnal_section(r));
  page.sections.push_back(capacity_section(r));
  page.footer = fleet_footer(backend);
}

hourly_load fleet_hourly_load(const fleet_result& r) {
  hourly_load h;
  const demand_entry& d = r.demand;
  const fleet_solution& s = r.chosen();
  const fleet_model& m = r.model;
  const std::size_t P = r.period_hours.size();
  if (d.hourly.empty() || P != 24 || !s.solved) return h;
  auto tokens_per_request = [&](std::size_t c) {
    return d.classes[c].workload.spec.input_tokens + d.classes[c].workload.spec.output_tokens;
  };
  h.interactive.assign(P, 0.0);
  h.deferred.assign(P, 0.0);
  h.capacity.assign(P, 0.0);
  for (std::size_t c = 0; c < m.classes.size(); ++c) {
    for (std::size_t t = 0; t < P; ++t) {
      h.interactive[t] += m.classes[c].interactive_rps[t] * s.scale * tokens_per_request(c);
      if (c < s.deferred.size()) h.deferred[t] += s.deferred[c][t] * tokens_per_request(c);
    }
  }
  // What the GPUs in service can carry within the SLOs: each option's units at their planned
  // utilisation (a disaggregated option carries what the smaller of its two pools allows).
  for (std::size_t o = 0; o < m.options.size(); ++o) {
    const fleet_option& op = m.options[o];
    for (std::size_t t = 0; t < P; ++t) {
      double rps = INFINITY;
      for (int side = 0; side < (op.disaggregated ? 2 : 1); ++side) {
        rps = std::min(rps, (s.units[side][o] + s.od_units[side][o][t]) * op.unit_rps[side]);
      }
      h.capacity[t] += rps * tokens_per_request(op.cls);
    }
  }
  return h;
}

}  // namespace tokenplan
