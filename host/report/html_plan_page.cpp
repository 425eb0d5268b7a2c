// The HTML report of `tokenplan plan --model --workload` (plan_report_page): the inputs, the
// Pareto chart of the ranked configurations, the ranked table and why rank 1 wins, then the fleet.
#include "report/html_report.hpp"
#include "report/html_report_detail.hpp"

#include <cstdint>

#include "report/svg.hpp"

namespace tokenplan {

using namespace detail::html;
using detail::fmt;

namespace {

std::string ruled_out_text(const search_stats& s) {
  std::string t;
  for (std::uint8_t k = reason_parallelism; k < reason_count; ++k) {
    t += std::string(k > reason_parallelism ? ", " : "") + reason_name(k) + " " + group_digits(s.counts[k]);
  }
  return t;
}

}  // namespace

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
  report_table files = input_files_table();
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

  page.sections = {inputs, pareto, ranked};
  add_fleet_sections(page, fleet, r.backend_name + ", " + r.backend_device);
  return page;
}

}  // namespace tokenplan
