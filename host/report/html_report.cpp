// The HTML report: the plan and its fleet as one self-contained page. The page is built as a
// plain structure first (report_page: facts, tables, charts), then written as HTML, so tests can
// check each part and every string passes through one escaping function.
#include "report/html_report.hpp"
#include "report/fleet_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "fleet/fleet.hpp"
#include "search/plan.hpp"
#include "base/format.hpp"
#include "search/describe.hpp"
#include "report/svg.hpp"

#ifndef TOKENPLAN_VERSION
#define TOKENPLAN_VERSION "0.0.0-dev"
#endif

namespace tokenplan {

namespace {

std::string fmt(const char* f, double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, x);
  return buf;
}

std::string count_text(double x) { return group_digits(as_count(x)); }

std::string sha_short(const std::string& sha) { return sha.size() > 16 ? sha.substr(0, 16) + "\xe2\x80\xa6" : sha; }

report_item text_item(const std::string& t) {
  report_item i;
  i.what = report_item::kind::text;
  i.text = t;
  return i;
}

report_item note_item(const std::string& t) {
  report_item i;
  i.what = report_item::kind::note;
  i.text = t;
  return i;
}

report_item chart_item(const std::string& name, const std::string& svg, const std::string& caption) {
  report_item i;
  i.what = report_item::kind::chart;
  i.chart_name = name;
  i.svg = svg;
  i.text = caption;
  return i;
}

report_item table_item(report_table t) {
  report_item i;
  i.what = report_item::kind::table;
  i.table = std::move(t);
  return i;
}

report_item list_item(std::vector<std::string> lines) {
  report_item i;
  i.what = report_item::kind::list;
  i.lines = std::move(lines);
  return i;
}

report_item facts_item(std::vector<report_fact> facts) {
  report_item i;
  i.what = report_item::kind::facts;
  i.facts = std::move(facts);
  return i;
}

/// The configuration's columns, shared by the plan's ranking and the fleet's candidates.
struct config_cells {
  std::string mode, layout, chunk, batch, formats, drafts;
};

config_cells cells_of(const serving_config& c) {
  config_cells x;
  const bool disagg = c.mode == mode_disaggregated;
  x.mode = disagg ? "disaggregated" : "aggregated";
  x.layout = disagg ? layout_code(c.prefill.lay) + " | " + layout_code(c.main.lay) : layout_code(c.main.lay);
  x.chunk = std::to_string(disagg ? c.prefill.chunk : c.main.chunk);
  x.batch = std::to_string(c.main.batch);
  x.formats = std::string(precision_name(c.wprec)) + "/" + precision_name(c.kvprec);
  x.drafts = c.draft > 0 ? std::to_string(c.draft) : "-";
  return x;
}

std::string config_summary(const serving_config& c) {
  const config_cells x = cells_of(c);
  return x.layout + " b" + x.batch + " c" + x.chunk + " " + x.formats + (c.draft > 0 ? " +s" + x.drafts : "");
}

double tokens_per_user(const evaluation& e) { return e.m.tpot_s > 0.0 ? 1.0 / e.m.tpot_s : 0.0; }

std::uint8_t dominant_reason(const search_stats& s) {
  std::uint8_t best = reason_parallelism;
  for (std::uint8_t k = reason_parallelism; k < reason_count; ++k) {
    if (s.counts[k] > s.counts[best]) best = k;
  }
  return best;
}

std::string ruled_out_text(const search_stats& s) {
  std::string t;
  for (std::uint8_t k = reason_parallelism; k < reason_count; ++k) {
    t += std::string(k > reason_parallelism ? ", " : "") + reason_name(k) + " " + group_digits(s.counts[k]);
  }
  return t;
}

const char* const pareto_x_label = "tokens/s per user (1 / TPOT)";
const char* const pareto_y_label = "tokens/s per GPU (input + output)";

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
    std::vector<std::string> adds;
    for (std::size_t j = 0; j < m.pools.size(); ++j) {
      const pool_report& pr = r.expansion_summary.pools[j];
      if (pr.extra_gpus <= 0.0) continue;
      const fleet_pool& p = m.pools[j];
      const double per_gpu = p.held_usd_per_gpu_day() + p.energy_usd_per_gpu_hour() * 24.0;
      adds.push_back("+ " + count_text(pr.extra_gpus) + " " + p.gpu + " at " + m.sites[p.site].name + " (" +
                     short_number(pr.extra_gpus * per_gpu) + " USD/day)");
    }
    sec.items.push_back(note_item("The cluster as it is cannot meet the target. The least-cost additions:"));
    sec.items.push_back(list_item(adds));
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

void add_fleet_headline(report_page& page, const fleet_result& r) {
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

std::string fleet_footer(const std::string& backend) {
  return std::string("Made by tokenplan ") + TOKENPLAN_VERSION + " (" + backend +
         "). One self-contained file: the charts are SVG drawn by tokenplan; nothing is loaded from the network. "
         "Every figure comes from the plan; the JSON output (--format json) carries each term.";
}

}  // namespace

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

// ---- the plan of one model and workload ---------------------------------------------------------

report_page plan_report_page(const plan_result& r, const fleet_result& fleet) {
  const plan_inputs& in = r.inputs;
  const workload_spec& w = r.prob->workload;
  report_page page;
  page.title = "tokenplan plan: " + in.model.name + ", " + in.workload.name + " on " + in.cluster.name;
  page.subtitle = "objective " + std::string(objective_name(in.goal)) + "; engine " + in.engine + "; backend " +
                  r.backend_name + " (" + r.backend_device + ")";

  // Headline.
  if (!r.top.empty()) {
    const evaluation& best = r.top.front();
    const site_entry& site = in.cluster.sites[best.cfg.site];
    const double have = r.prob->sites[best.cfg.site].type_gpus_available;
    page.headline.push_back({"Rank 1", site.name + " " + config_summary(best.cfg),
                             "TPOT " + fmt("%.1f", best.m.tpot_s * 1e3) + " ms, TTFT " + fmt("%.0f", best.m.ttft_s * 1e3) +
                                 " ms; " + fmt("%.0f", best.m.tokens_per_s_per_gpu) + " tokens/s per GPU"});
    page.headline.push_back({"GPUs for the target", count_text(best.m.gpus_billed) + " " + site.gpu,
                             "if one site took them all: " + short_number(best.m.cost_usd_per_day) + " USD/day, " +
                                 fmt("%.3f", best.m.usd_per_million_tokens) + " USD per million tokens"});
    page.headline.push_back({"The cluster has", count_text(have) + " " + site.gpu,
                             best.m.gpus_billed > have ? "short by " + count_text(best.m.gpus_billed - have) + " GPUs"
                                                       : "enough, " + count_text(have - best.m.gpus_billed) + " to spare"});
  } else {
    page.headline.push_back({"Rank 1", "no feasible configuration",
                             "most are ruled out by " + std::string(reason_name(dominant_reason(r.stats)))});
  }
  add_fleet_headline(page, fleet);

  // Inputs.
  report_section inputs;
  inputs.id = "inputs";
  inputs.heading = "Inputs";
  report_table files;
  files.id = "inputs-table";
  files.head = {"Input", "Name", "File", "SHA-256"};
  files.numeric = {false, false, false, false};
  files.rows.push_back({"model", in.model.name, in.model.file.path, in.model.file.sha256});
  files.rows.push_back({"workload", in.workload.name, in.workload.file.path, in.workload.file.sha256});
  files.rows.push_back({"cluster", in.cluster.name, in.cluster.file.path, in.cluster.file.sha256});
  for (const gpu_entry& g : in.cluster.gpus) files.rows.push_back({"gpu", g.name, g.file.path, g.file.sha256});
  files.rows.push_back({"calibration", "", in.cal.file.path, in.cal.file.sha256});
  files.rows.push_back({"grid", "", in.grid.origin, in.grid.sha256.empty() ? "-" : in.grid.sha256});
  inputs.items.push_back(table_item(files));
  const double peak = w.tokens_per_day / 86400.0 * w.peak_to_average;
  inputs.items.push_back(facts_item({
      {"Target", short_number(w.tokens_per_day) + " tokens/day",
       "peak " + short_number(peak) + " tokens/s (" + fmt("%.2f", w.peak_to_average) + "x the mean), " +
           short_number(peak / (w.input_tokens + w.output_tokens)) + " requests/s"},
      {"Requests", "ISL " + fmt("%.0f", w.input_tokens) + ", OSL " + fmt("%.0f", w.output_tokens),
       "tails: input " + fmt("%.0f", w.input_tail) + ", output " + fmt("%.0f", w.output_tail) + " tokens"},
      {"SLOs", "TTFT " + fmt("%.0f", w.ttft_slo_s * 1e3) + " ms (p" + fmt("%.0f", 100.0 * (1.0 - w.slo_tail)) + ")",
       "TPOT " + fmt("%.0f", w.tpot_slo_s * 1e3) + " ms"},
      {"Search", group_digits(r.stats.grid_size) + " configurations",
       group_digits(r.stats.counts[reason_feasible]) + " feasible, in " + fmt("%.3g", r.stats.elapsed_s) + " s on " +
           r.backend_name},
  }));
  inputs.items.push_back(text_item("Ruled out: " + ruled_out_text(r.stats) + "."));

  // The Pareto chart: one point per ranked row.
  std::vector<double> xs, ys;
  for (const evaluation& e : r.top) {
    xs.push_back(tokens_per_user(e));
    ys.push_back(e.m.tokens_per_s_per_gpu);
  }
  const std::vector<bool> front = pareto_front(xs, ys);
  scatter_chart sc;
  sc.name = "pareto";
  sc.x_label = pareto_x_label;
  sc.y_label = pareto_y_label;
  sc.series = {in.model.name};
  sc.empty_note = "no feasible configuration to plot";
  for (std::size_t i = 0; i < r.top.size(); ++i) {
    const evaluation& e = r.top[i];
    scatter_point p;
    p.x = xs[i];
    p.y = ys[i];
    p.frontier = front[i];
    p.id = std::to_string(i + 1);
    p.tooltip = "rank " + p.id + ": " + in.cluster.sites[e.cfg.site].name + " " + config_summary(e.cfg) + "; " +
                fmt("%.0f", e.m.tokens_per_s_per_gpu) + " tokens/s per GPU, " + fmt("%.1f", xs[i]) +
                " tokens/s per user (TPOT " + fmt("%.1f", e.m.tpot_s * 1e3) + " ms); " + count_text(e.m.gpus_billed) +
                " GPUs, " + short_number(e.m.cost_usd_per_day) + " USD/day" + (front[i] ? "; on the frontier" : "");
    sc.points.push_back(p);
  }
  if (!r.top.empty()) {
    sc.highlight_id = "1";
    sc.highlight_label = "rank 1 (the chosen configuration)";
  }
  // With --pareto: the frontier over the whole grid, one search per TPOT bound.
  for (std::size_t k = 0; k < r.pareto.size(); ++k) {
    const evaluation& e = r.pareto[k].eval;
    scatter_point p;
    p.x = tokens_per_user(e);
    p.y = e.m.tokens_per_s_per_gpu;
    p.tooltip = "frontier point " + std::to_string(k + 1) + " (TPOT at most " + fmt("%.1f", r.pareto[k].tpot_bound_s * 1e3) +
                " ms): " + in.cluster.sites[e.cfg.site].name + " " + config_summary(e.cfg) + "; " +
                fmt("%.0f", p.y) + " tokens/s per GPU, " + fmt("%.1f", p.x) + " tokens/s per user; " +
                count_text(e.m.gpus_billed) + " GPUs, " + short_number(e.m.cost_usd_per_day) + " USD/day";
    sc.traced.push_back(p);
  }
  sc.traced_label = "frontier over the whole grid (--pareto)";
  report_section pareto;
  pareto.id = "pareto";
  pareto.heading = "Throughput per GPU against speed per user";
  if (r.top.empty()) {
    pareto.items.push_back(note_item("No configuration meets every constraint, so there is nothing to plot; the "
                                     "ranked configurations below say what ruled them out."));
  } else {
    pareto.items.push_back(text_item(
        "Each point is one row of the ranked table below (" + std::to_string(r.top.size()) +
        " rows): tokens per second per GPU, input and output, at the load the plan runs it at, against the tokens per "
        "second a user sees (1 / TPOT). Filled points are on the Pareto frontier of these rows: no other row is better "
        "on both. The ranking itself is by " + std::string(objective_name(in.goal)) + ". " +
        (r.pareto.empty() ? std::string("Run plan with --pareto to draw the frontier over the whole grid as well. ")
                          : "The squares and solid line are the frontier over the whole grid (--pareto): for each "
                            "tighter TPOT bound, the most tokens per GPU any configuration serves. ") +
        "Hover a point for its row."));
  }
  pareto.items.push_back(chart_item("pareto", render_scatter(sc),
                                    "Pareto frontier of the ranked configurations (--top sets how many)."));

  // The ranked table.
  report_section ranked;
  ranked.id = "ranked";
  ranked.heading = "Ranked configurations";
  if (r.top.empty()) {
    const std::uint8_t k = dominant_reason(r.stats);
    ranked.items.push_back(note_item("No configuration meets every constraint. Most are ruled out by " +
                                     std::string(reason_name(k)) + " (" + group_digits(r.stats.counts[k]) + " of " +
                                     group_digits(r.stats.grid_size) + "); ruled out: " + ruled_out_text(r.stats) + "."));
  } else {
    report_table t;
    t.id = "ranked-table";
    t.head = {"Rank", "Site", "GPU", "Mode", "Layout (prefill | decode)", "Chunk", "Batch", "W/KV", "Drafts", "TPOT ms",
              "TTFT ms", "Tok/s per user", "Tok/s per GPU", "GPUs", "USD/day", "USD/Mtok", "Frontier"};
    t.numeric = {true, false, false, false, false, true, true, false, true, true, true, true, true, true, true, true, false};
    for (std::size_t i = 0; i < r.top.size(); ++i) {
      const evaluation& e = r.top[i];
      const site_entry& site = in.cluster.sites[e.cfg.site];
      const config_cells x = cells_of(e.cfg);
      t.rows.push_back({std::to_string(i + 1), site.name, site.gpu, x.mode, x.layout, x.chunk, x.batch, x.formats, x.drafts,
                        fmt("%.1f", e.m.tpot_s * 1e3), fmt("%.0f", e.m.ttft_s * 1e3), fmt("%.1f", xs[i]),
                        fmt("%.0f", e.m.tokens_per_s_per_gpu), count_text(e.m.gpus_billed),
                        short_number(e.m.cost_usd_per_day), fmt("%.3f", e.m.usd_per_million_tokens),
                        front[i] ? "yes" : ""});
      t.ranks.push_back(std::to_string(i + 1));
      t.marked.push_back(front[i]);
    }
    ranked.items.push_back(table_item(t));
    ranked.items.push_back(text_item(
        "Layout: t=TP p=PP e=EP d=attention-DP; a | b: disaggregated prefill | decode pools. Chunk and batch are per "
        "attention-DP rank (disaggregated: prefill chunk, decode batch). TTFT at the SLO percentile, queueing in. GPUs and "
        "cost as if the configuration's site took the whole fleet: that is how configurations are ranked; the fleet "
        "section below places them within each site's GPUs and power cap."));
    std::vector<std::string> why = {"Why rank 1 wins: binding constraint " + r.why.binding + ": " + r.why.binding_detail};
    const evaluation& best = r.top.front();
    if (r.why.has_runner_up) {
      const evaluation& u = r.why.runner_up;
      why.push_back("Runner-up of a different structure (rank " + std::to_string(r.why.runner_up_rank) + ", " +
                    in.cluster.sites[u.cfg.site].name + " " + config_summary(u.cfg) + "): " +
                    short_number(u.m.cost_usd_per_day) + " USD/day (" +
                    fmt("%+.1f", 100.0 * (u.m.cost_usd_per_day / best.m.cost_usd_per_day - 1.0)) + "%), " +
                    count_text(u.m.gpus_billed) + " GPUs billed, TPOT " + fmt("%+.1f", (u.m.tpot_s - best.m.tpot_s) * 1e3) +
                    " ms, TTFT " + fmt("%+.0f", (u.m.ttft_s - best.m.ttft_s) * 1e3) + " ms.");
    } else {
      why.push_back("Runner-up: no configuration of a different structure is feasible.");
    }
    ranked.items.push_back(list_item(why));
  }

  page.sections.push_back(inputs);
  page.sections.push_back(pareto);
  page.sections.push_back(ranked);
  page.sections.push_back(sites_section(fleet));
  page.sections.push_back(diurnal_section(fleet));
  page.sections.push_back(capacity_section(fleet));
  page.footer = fleet_footer(r.backend_name + ", " + r.backend_device);
  return page;
}

// ---- the plan of a demand file ------------------------------------------------------------------

report_page fleet_report_page(const fleet_result& r) {
  const demand_entry& d = r.demand;
  const fleet_model& m = r.model;
  report_page page;
  page.title = "tokenplan plan: demand " + d.name + " on " + r.cluster.name;
  page.subtitle = std::to_string(d.classes.size()) + " classes, " + std::to_string(r.profiles.size()) +
                  " kinds of hardware; backend " + r.backend_name + " (" + r.backend_device + ")";
  add_fleet_headline(page, r);

  report_section inputs;
  inputs.id = "inputs";
  inputs.heading = "Inputs";
  report_table files;
  files.id = "inputs-table";
  files.head = {"Input", "Name", "File", "SHA-256"};
  files.numeric = {false, false, false, false};
  files.rows.push_back({"demand", d.name, d.file.path, d.file.sha256});
  files.rows.push_back({"cluster", r.cluster.name, r.cluster.file.path, r.cluster.file.sha256});
  for (const gpu_entry& g : r.cluster.gpus) files.rows.push_back({"gpu", g.name, g.file.path, g.file.sha256});
  files.rows.push_back({"calibration", "", r.cal.file.path, r.cal.file.sha256});
  for (const demand_class& c : d.classes) {
    files.rows.push_back({"model of " + c.name, c.model.name, c.model.file.path, c.model.file.sha256});
    files.rows.push_back({"workload of " + c.name, c.workload.name, c.workload.file.path, c.workload.file.sha256});
  }
  inputs.items.push_back(table_item(files));
  report_table classes;
  classes.id = "classes-table";
  classes.head = {"Class", "Share", "Tokens/day", "Model", "Workload", "ISL", "OSL", "TTFT SLO ms", "TPOT SLO ms", "Engine"};
  classes.numeric = {false, true, true, false, false, true, true, true, true, false};
  for (const demand_class& c : d.classes) {
    const workload_spec& w = c.workload.spec;
    classes.rows.push_back({c.name, fmt("%.0f%%", c.share * 100.0), short_number(d.tokens_per_day * c.share), c.model.name,
                            c.workload.name, fmt("%.0f", w.input_tokens), fmt("%.0f", w.output_tokens),
                            fmt("%.0f", w.ttft_slo_s * 1e3), fmt("%.0f", w.tpot_slo_s * 1e3), c.engine});
  }
  inputs.items.push_back(table_item(classes));
  std::string profile = d.hourly.empty() ? "peak " + fmt("%.2f", d.peak_to_average) + "x the mean"
                                         : "24-hour profile, busiest hour " +
                                               fmt("%.2f", *std::max_element(d.hourly.begin(), d.hourly.end()) * 24.0) +
                                               "x the mean";
  inputs.items.push_back(facts_item({
      {"Target", short_number(d.tokens_per_day) + " tokens/day", profile},
      {"Deferrable", fmt("%.0f%%", d.deferrable_share * 100.0), "of the tokens may run in any hour"},
      {"Growth", fmt("%.1f%%", d.monthly_growth * 100.0) + " a month",
       d.start_month.empty() ? "no start month" : "from " + d.start_month},
  }));

  // Searches and the configurations they offered the allocation.
  report_table searches;
  searches.id = "searches-table";
  searches.head = {"Class", "Hardware", "Configurations", "Feasible", "Most ruled out by", "Best is limited by", "Search s"};
  searches.numeric = {false, false, true, true, false, false, true};
  std::vector<std::string> none;
  for (const fleet_search& s : r.searches) {
    searches.rows.push_back({m.classes[s.cls].name, r.profiles[s.profile].label, group_digits(s.stats.grid_size),
                             group_digits(s.stats.counts[reason_feasible]), s.most_restrictive,
                             s.limit.empty() ? "-" : s.limit, fmt("%.2f", s.stats.elapsed_s)});
    if (s.stats.counts[reason_feasible] == 0) {
      none.push_back(m.classes[s.cls].name + " on " + r.profiles[s.profile].label +
                     ": no feasible configuration (most configurations fail " + s.most_restrictive + ")");
    }
  }
  inputs.items.push_back(table_item(searches));

  // GPUs each candidate holds in the chosen allocation.
  const fleet_solution& chosen = r.chosen();
  std::vector<double> held(r.candidates.size(), 0.0);
  if (chosen.solved) {
    for (std::size_t k = 0; k < m.options.size(); ++k) {
      const fleet_option& op = m.options[k];
      double gpus = chosen.units[0][k] * op.unit_gpus[0] + chosen.units[1][k] * op.unit_gpus[1];
      for (int side = 0; side < 2; ++side) {
        for (double u : chosen.od_units[side][k]) gpus = std::max(gpus, u * op.unit_gpus[side]);
      }
      if (op.tag < held.size()) held[op.tag] += gpus;
    }
  }

  // Pareto per class.
  std::vector<double> xs, ys;
  for (const fleet_candidate& c : r.candidates) {
    xs.push_back(tokens_per_user(c.eval));
    ys.push_back(c.eval.m.tokens_per_s_per_gpu);
  }
  std::vector<bool> front(r.candidates.size(), false);
  for (std::size_t cls = 0; cls < m.classes.size(); ++cls) {
    std::vector<double> cx, cy;
    std::vector<std::size_t> at;
    for (std::size_t i = 0; i < r.candidates.size(); ++i) {
      if (r.candidates[i].cls != cls) continue;
      cx.push_back(xs[i]);
      cy.push_back(ys[i]);
      at.push_back(i);
    }
    const std::vector<bool> f = pareto_front(cx, cy);
    for (std::size_t k = 0; k < at.size(); ++k) front[at[k]] = f[k];
  }
  scatter_chart sc;
  sc.name = "pareto";
  sc.x_label = pareto_x_label;
  sc.y_label = pareto_y_label;
  for (const fleet_class& c : m.classes) sc.series.push_back(c.name);
  sc.empty_note = "no feasible configuration for any class";
  report_table t;
  t.id = "ranked-table";
  t.head = {"#", "Class", "Hardware", "Mode", "Layout (prefill | decode)", "Chunk", "Batch", "W/KV", "Drafts", "TPOT ms",
            "TTFT ms", "Tok/s per user", "Tok/s per GPU", "GPUs in the fleet", "Frontier"};
  t.numeric = {true, false, false, false, false, true, true, false, true, true, true, true, true, true, false};
  for (std::size_t i = 0; i < r.candidates.size(); ++i) {
    const fleet_candidate& c = r.candidates[i];
    const evaluation& e = c.eval;
    const std::string id = std::to_string(i + 1);
    const config_cells x = cells_of(e.cfg);
    const std::string cls = m.classes[c.cls].name, hw = r.profiles[c.profile].label;
    scatter_point p;
    p.x = xs[i];
    p.y = ys[i];
    p.series = c.cls;
    p.frontier = front[i];
    p.id = id;
    p.tooltip = "#" + id + " " + cls + " on " + hw + ": " + config_summary(e.cfg) + "; " +
                fmt("%.0f", e.m.tokens_per_s_per_gpu) + " tokens/s per GPU, " + fmt("%.1f", xs[i]) +
                " tokens/s per user (TPOT " + fmt("%.1f", e.m.tpot_s * 1e3) + " ms); " + count_text(held[i]) +
                " GPUs in the fleet" + (front[i] ? "; on its class's frontier" : "");
    sc.points.push_back(p);
    t.rows.push_back({id, cls, hw, x.mode, x.layout, x.chunk, x.batch, x.formats, x.drafts, fmt("%.1f", e.m.tpot_s * 1e3),
                      fmt("%.0f", e.m.ttft_s * 1e3), fmt("%.1f", xs[i]), fmt("%.0f", e.m.tokens_per_s_per_gpu),
                      count_text(held[i]), front[i] ? "yes" : ""});
    t.ranks.push_back(id);
    t.marked.push_back(front[i]);
  }
  report_section pareto;
  pareto.id = "pareto";
  pareto.heading = "Throughput per GPU against speed per user";
  pareto.items.push_back(text_item(
      "Each point is one row of the configurations table below (" + std::to_string(r.candidates.size()) +
      " rows): the best configurations of each class on each kind of hardware, as offered to the allocation. Tokens per "
      "second per GPU at the planned load against tokens per second per user (1 / TPOT); one colour per class, filled "
      "points on their class's Pareto frontier. Hover a point for its row."));
  pareto.items.push_back(chart_item("pareto", render_scatter(sc), "Pareto frontier per class of the configurations offered."));

  report_section ranked;
  ranked.id = "ranked";
  ranked.heading = "Configurations offered to the allocation";
  if (r.candidates.empty()) {
    ranked.items.push_back(note_item("No class has a feasible configuration on any hardware of the cluster."));
  } else {
    ranked.items.push_back(table_item(t));
    ranked.items.push_back(text_item(
        "Per class and hardware, the best configurations by cost (the search's top few). GPUs in the fleet: what the "
        "least-cost allocation runs of each (peak for on-demand GPUs)."));
  }
  if (!none.empty()) {
    ranked.items.push_back(note_item("Some classes have no feasible configuration on some hardware:"));
    ranked.items.push_back(list_item(none));
  }

  page.sections.push_back(inputs);
  page.sections.push_back(pareto);
  page.sections.push_back(ranked);
  page.sections.push_back(sites_section(r));
  page.sections.push_back(diurnal_section(r));
  page.sections.push_back(capacity_section(r));
  page.footer = fleet_footer(r.backend_name + ", " + r.backend_device);
  return page;
}

// ---- HTML ---------------------------------------------------------------------------------------

namespace {

const char* const page_css = R"(
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f1f5f9; color: #0f172a;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 40px; background: #ffffff; }
header h1 { font-size: 22px; margin: 0 0 4px; overflow-wrap: anywhere; }
header p { margin: 0 0 16px; color: #475569; }
h2 { font-size: 18px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 2px solid #e2e8f0; }
.facts { display: flex; flex-wrap: wrap; gap: 10px; margin: 10px 0; }
.fact { flex: 1 1 200px; border: 1px solid #e2e8f0; border-radius: 6px; padding: 8px 12px; background: #f8fafc; }
.fact .label { font-size: 12px; color: #475569; text-transform: uppercase; letter-spacing: 0.03em; }
.fact .value { font-size: 18px; font-weight: 600; overflow-wrap: anywhere; }
.fact .detail { font-size: 12px; color: #334155; overflow-wrap: anywhere; }
.note { border-left: 4px solid #dc2626; background: #fef2f2; padding: 8px 12px; margin: 10px 0; }
figure.chart { margin: 12px 0 18px; }
figure.chart svg { display: block; }
figure.chart figcaption { color: #475569; font-size: 12px; margin-top: 4px; }
.table-wrap { overflow-x: auto; margin: 10px 0; }
table { border-collapse: collapse; font-size: 12.5px; }
th, td { padding: 4px 8px; border-bottom: 1px solid #e2e8f0; text-align: left; vertical-align: top; }
td { white-space: nowrap; }
th { background: #f1f5f9; position: sticky; top: 0; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.path { white-space: normal; overflow-wrap: anywhere; min-width: 280px; max-width: 460px; }
td.sha { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 11.5px; }
tr.frontier td { background: #eff6ff; }
tr.total td { font-weight: 600; border-top: 2px solid #94a3b8; }
tr.hl td { background: #fde68a; }
circle.point.hl { stroke: #0f172a; stroke-width: 3; }
ul { margin: 6px 0; padding-left: 22px; }
footer { margin-top: 28px; color: #64748b; font-size: 12px; }
)";

// Hovering a table row highlights its chart point and the reverse; the page reads the same
// without it.
const char* const page_script = R"(
(function () {
  var linked = document.querySelectorAll('[data-rank]');
  function mark(rank, on) {
    for (var i = 0; i < linked.length; i++) {
      if (linked[i].getAttribute('data-rank') === rank) linked[i].classList.toggle('hl', on);
    }
  }
  for (var i = 0; i < linked.length; i++) {
    linked[i].addEventListener('mouseenter', function (e) { mark(e.currentTarget.getAttribute('data-rank'), true); });
    linked[i].addEventListener('mouseleave', function (e) { mark(e.currentTarget.getAttribute('data-rank'), false); });
  }
})();
)";

void write_facts(std::ostringstream& o, const std::vector<report_fact>& facts) {
  o << "<div class=\"facts\">\n";
  for (const report_fact& f : facts) {
    o << "<div class=\"fact\"><div class=\"label\">" << html_escape(f.label) << "</div><div class=\"value\">"
      << html_escape(f.value) << "</div>";
    if (!f.detail.empty()) o << "<div class=\"detail\">" << html_escape(f.detail) << "</div>";
    o << "</div>\n";
  }
  o << "</div>\n";
}

void write_table(std::ostringstream& o, const report_table& t) {
  auto is_num = [&](std::size_t c) { return c < t.numeric.size() && t.numeric[c]; };
  o << "<div class=\"table-wrap\"><table id=\"" << html_escape(t.id) << "\">\n<thead><tr>";
  for (std::size_t c = 0; c < t.head.size(); ++c) {
    o << "<th" << (is_num(c) ? " class=\"num\"" : "") << ">" << html_escape(t.head[c]) << "</th>";
  }
  o << "</tr></thead>\n<tbody>\n";
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    const bool total = t.total_last && r + 1 == t.rows.size();
    const bool marked = r < t.marked.size() && t.marked[r];
    o << "<tr";
    if (total || marked) o << " class=\"" << (total ? "total" : "frontier") << "\"";
    if (r < t.ranks.size() && !t.ranks[r].empty()) o << " data-rank=\"" << html_escape(t.ranks[r]) << "\"";
    o << ">";
    for (std::size_t c = 0; c < t.rows[r].size(); ++c) {
      const std::string& cell = t.rows[r][c];
      const std::string& head = c < t.head.size() ? t.head[c] : std::string();
      if (head == "SHA-256" && cell.size() == 64) {
        o << "<td class=\"sha\" title=\"" << html_escape(cell) << "\">" << html_escape(sha_short(cell)) << "</td>";
      } else if (head == "File") {
        o << "<td class=\"path\">" << html_escape(cell) << "</td>";
      } else {
        o << "<td" << (is_num(c) ? " class=\"num\"" : "") << ">" << html_escape(cell) << "</td>";
      }
    }
    o << "</tr>\n";
  }
  o << "</tbody></table></div>\n";
}

}  // namespace

std::string render_report(const report_page& page) {
  std::ostringstream o;
  o << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    << "<meta name=\"generator\" content=\"tokenplan " << TOKENPLAN_VERSION << "\">\n"
    << "<title>" << html_escape(page.title) << "</title>\n<style>" << page_css << "</style>\n</head>\n<body>\n<main>\n";
  o << "<header><h1>" << html_escape(page.title) << "</h1><p>" << html_escape(page.subtitle) << "</p></header>\n";
  if (!page.headline.empty()) {
    o << "<section id=\"summary\">\n";
    write_facts(o, page.headline);
    o << "</section>\n";
  }
  for (const report_section& s : page.sections) {
    o << "<section id=\"" << html_escape(s.id) << "\">\n<h2>" << html_escape(s.heading) << "</h2>\n";
    for (const report_item& i : s.items) {
      switch (i.what) {
        case report_item::kind::text: o << "<p>" << html_escape(i.text) << "</p>\n"; break;
        case report_item::kind::note: o << "<p class=\"note\">" << html_escape(i.text) << "</p>\n"; break;
        case report_item::kind::facts: write_facts(o, i.facts); break;
        case report_item::kind::table: write_table(o, i.table); break;
        case report_item::kind::list:
          o << "<ul>\n";
          for (const std::string& l : i.lines) o << "<li>" << html_escape(l) << "</li>\n";
          o << "</ul>\n";
          break;
        case report_item::kind::chart:
          // The SVG comes from svg.cpp, which escapes every string it writes.
          o << "<figure class=\"chart\" data-chart=\"" << html_escape(i.chart_name) << "\">\n"
            << i.svg << "<figcaption>" << html_escape(i.text) << "</figcaption>\n</figure>\n";
          break;
      }
    }
    o << "</section>\n";
  }
  o << "<footer>" << html_escape(page.footer) << "</footer>\n</main>\n<script>" << page_script << "</script>\n</body>\n</html>\n";
  return o.str();
}

}  // namespace tokenplan
