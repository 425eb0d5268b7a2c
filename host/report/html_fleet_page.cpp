// The HTML report of `tokenplan plan --demand` (fleet_report_page): the inputs and classes, the
// searches, the configurations they offered the allocation and their Pareto chart, then the fleet.
#include "report/html_report.hpp"
#include "report/html_report_detail.hpp"

#include <algorithm>

#include "report/svg.hpp"

namespace tokenplan {

using namespace detail::html;
using detail::fmt;

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
  report_table files = input_files_table();
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

  page.sections = {inputs, pareto, ranked};
  add_fleet_sections(page, r, r.backend_name + ", " + r.backend_device);
  return page;
}

}  // namespace tokenplan
