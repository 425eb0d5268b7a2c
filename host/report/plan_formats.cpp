// CSV and Markdown renderings. Every number goes through std::to_chars, which ignores the
// locale, so a German LC_NUMERIC cannot turn 0.186 into "0,186" and break a CSV row.
#include "report/plan_formats.hpp"
#include "report/fleet_report.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "search/pareto.hpp"
#include "base/format.hpp"
#include "search/describe.hpp"
#include "base/text.hpp"

namespace tokenplan {

namespace {

/// x with `decimals` digits after the point, locale-free.
std::string fixed(double x, int decimals) {
  // Anything that rounds to zero prints as "0.0", never "-0.0".
  if (std::fabs(x) < 0.5 * std::pow(10.0, -decimals)) x = 0.0;
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::fixed, decimals);
  return std::string(buf, res.ptr);
}

/// A Markdown table cell: control characters (line breaks too) escaped by printable(), pipes escaped.
std::string md_cell(const std::string& raw) {
  const std::string s = printable(raw);  // no control character from an input reaches the table
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '\n' || c == '\r') out += ' ';
    else out += c;
  }
  return out;
}

std::string md_row(const std::vector<std::string>& cells) {
  std::string s = "|";
  for (const std::string& c : cells) s += " " + md_cell(c) + " |";
  return s + "\n";
}

/// Header row and the alignment row; `right` marks numeric columns.
std::string md_header(const std::vector<std::string>& names, const std::vector<bool>& right) {
  std::string s = md_row(names) + "|";
  for (std::size_t i = 0; i < names.size(); ++i) s += right[i] ? "---:|" : "---|";
  return s + "\n";
}

std::string csv_line(const std::vector<std::string>& fields) {
  std::string s;
  for (std::size_t i = 0; i < fields.size(); ++i) s += (i ? "," : "") + csv_field(fields[i]);
  return s + "\r\n";  // RFC 4180 ends records with CRLF
}

std::string layout_of(const serving_config& c) {
  std::string s = c.mode == mode_disaggregated ? layout_code(c.prefill.lay) + "|" + layout_code(c.main.lay)
                                               : layout_code(c.main.lay);
  if (c.draft) s += "+s" + std::to_string(c.draft);
  return s;
}

std::string formats_of(const serving_config& c) {
  return std::string(precision_name(c.wprec)) + "/" + precision_name(c.kvprec);
}

/// GPUs an option of the allocation runs on (committed units, or the on-demand peak).
double option_gpus(const fleet_solution& s, const fleet_option& op, std::size_t k) {
  double gpus = s.units[0][k] * op.unit_gpus[0] + s.units[1][k] * op.unit_gpus[1];
  for (int side = 0; side < 2; ++side) {
    for (double u : s.od_units[side][k]) gpus = std::max(gpus, u * op.unit_gpus[side]);
  }
  return gpus;
}

std::string pool_label(const fleet_result& r, std::size_t j) {
  const fleet_pool& p = r.model.pools[j];
  return r.model.sites[p.site].name + "/" + p.gpu + (p.offer ? " (offer)" : "");
}

std::string demand_md(const fleet_result& r) {
  const demand_entry& d = r.demand;
  std::string o = "**Demand** " + md_cell(d.name) + ": " + short_number(d.tokens_per_day) + " tokens/day";
  if (!d.hourly.empty()) {
    o += ", hourly profile (peak hour " + fixed(*std::max_element(d.hourly.begin(), d.hourly.end()) * 24.0, 2) + "x the mean)";
  } else {
    o += ", peak " + fixed(d.peak_to_average, 2) + "x the mean";
  }
  if (d.deferrable_share > 0.0) o += ", " + fixed(d.deferrable_share * 100.0, 0) + "% deferrable";
  o += ".\n\n";
  o += md_header({"class", "share", "model", "workload", "ISL", "OSL", "TTFT SLO ms", "TPOT SLO ms"},
                 {false, true, false, false, true, true, true, true});
  for (const demand_class& c : d.classes) {
    const workload_spec& w = c.workload.spec;
    o += md_row({c.name, fixed(c.share * 100.0, 0) + "%", c.model.name, c.workload.name, fixed(w.input_tokens, 0),
                 fixed(w.output_tokens, 0), fixed(w.ttft_slo_s * 1e3, 0), fixed(w.tpot_slo_s * 1e3, 0)});
  }
  return o + "\n";
}

/// The allocation, its totals, the shortfall and the capacity.
std::string fleet_md(const fleet_result& r) {
  std::string o;
  const fleet_model& m = r.model;
  const fleet_solution& s = r.chosen();
  const fleet_summary& f = r.chosen_summary();
  if (!s.solved) {
    o += "**No allocation:** " + md_cell(s.status) + "\n\n";
  } else {
    o += std::string("### ") + (r.needs_expansion ? "Least-cost fleet with added GPUs" : "Least-cost fleet") + " (" +
         md_cell(s.status) + ")\n\n";
    o += md_header({"site/GPU", "have", "use", "free", "added", "MW facility", "USD/day", "serving"},
                   {false, true, true, true, true, true, true, false});
    for (std::size_t p = 0; p < m.pools.size(); ++p) {
      const pool_report& pr = f.pools[p];
      const fleet_pool& pool = m.pools[p];
      if (pool.offer && pr.gpus_used <= 0.0) continue;
      std::string serving;
      for (std::size_t k = 0; k < m.options.size(); ++k) {
        const fleet_option& op = m.options[k];
        if (op.pool != p) continue;
        const double gpus = option_gpus(s, op, k);
        if (gpus <= 0.0) continue;
        serving += (serving.empty() ? "" : "; ") + m.classes[op.cls].name + " " + option_code(r.candidates[op.tag].eval.cfg) +
                   ": " + group_digits(as_count(gpus)) + " GPUs";
      }
      if (pr.spare_nodes > 0.0) {
        serving += (serving.empty() ? "" : "; ") + std::string("spares: ") +
                   group_digits(as_count(pr.spare_nodes * pool.gpus_per_node)) + " GPUs";
      }
      o += md_row({pool_label(r, p), group_digits(as_count(pool.gpus_now)), group_digits(as_count(pr.gpus_used)),
                   group_digits(as_count(pr.gpus_free)), group_digits(as_count(pr.extra_gpus)),
                   fixed(pr.facility_kw / 1000.0, 1), short_number(pr.cost_usd_per_day), serving});
    }
    o += "\n- **Total:** " + group_digits(as_count(f.gpus_paid)) + " GPUs paid (" + group_digits(as_count(f.nodes)) +
         " nodes), " + fixed(f.it_mw, 1) + " MW IT, " + fixed(f.facility_mw, 1) + " MW facility\n";
    o += "- **Cost:** " + short_number(f.cost_usd_per_day) + " USD/day, " + short_number(f.cost_usd_per_day * 365.0 / 12.0) +
         " USD/month; " + fixed(f.usd_per_million_tokens, 3) + " USD per million tokens (" +
         fixed(f.usd_per_million_input, 3) + " input, " + fixed(f.usd_per_million_output, 3) + " output)\n";
    o += "- **Of which:** lease " + short_number(f.lease_usd_per_day) + ", on-demand " + short_number(f.on_demand_usd_per_day) +
         ", owned capital " + short_number(f.capital_usd_per_day) + ", node costs " + short_number(f.node_usd_per_day) +
         ", energy " + short_number(f.energy_usd_per_day) + " USD/day\n";
  }
  if (r.needs_expansion && r.expansion.solved) {
    o += "- **Shortfall:** the cluster cannot meet the target; the least-cost additions:";
    for (std::size_t p = 0; p < m.pools.size(); ++p) {
      const pool_report& pr = r.expansion_summary.pools[p];
      if (pr.extra_gpus <= 0.0) continue;
      const fleet_pool& pool = m.pools[p];
      const double per_gpu = pool.held_usd_per_gpu_day() + pool.energy_usd_per_gpu_hour() * 24.0;
      o += " +" + group_digits(as_count(pr.extra_gpus)) + " " + pool.gpu + " at " + m.sites[pool.site].name + " (" +
           short_number(pr.extra_gpus * per_gpu) + " USD/day);";
    }
    o.back() = '\n';
  }
  if (!fleet_relaxed_lines(r).empty()) {
    o += "- **Shortfall:** even with every GPU on offer the target does not fit; the least it takes:";
    for (const std::string& line : fleet_relaxed_lines(r)) o += " " + md_cell(line) + ";";
    o.back() = '\n';
  }
  o += "- **Capacity:** ";
  if (r.capacity.solved) {
    o += "the cluster as it is carries " + fixed(r.capacity.scale, 2) + "x the target = " +
         short_number(r.capacity.scale * r.demand.tokens_per_day) + " tokens/day\n";
  } else {
    o += md_cell(r.capacity.status) + "\n";
  }
  for (const binding_item& b : r.binding) o += "  - binding (" + b.kind + "): " + md_cell(b.detail) + "\n";
  if (r.runway.computed) {
    o += "- **Growth** " + fixed(r.demand.monthly_growth * 100.0, 1) + "%/month: " +
         (r.runway.runs_out ? "the cluster runs out in " + r.runway.month : md_cell(r.runway.note)) + "\n";
  }
  return o;
}

}  // namespace

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string csv_number(double x) {
  if (!std::isfinite(x)) return "";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::general, 10);
  return std::string(buf, res.ptr);
}

std::string plan_to_csv(const plan_result& r) {
  std::string o = csv_line({"rank", "site", "gpu", "mode", "weight_precision", "kv_precision", "draft_tokens", "tp", "pp",
                            "ep", "dp", "chunk_tokens", "batch_per_rank", "prefill_tp", "prefill_pp", "prefill_ep",
                            "prefill_dp", "prefill_chunk_tokens", "tpot_ms", "ttft_ms", "tokens_per_s_per_user",
                            "tokens_per_s_per_gpu", "gpus_billed", "nodes", "cost_usd_per_day", "usd_per_million_tokens",
                            "it_power_mw", "facility_power_mw", "shortfall_gpus"});
  for (std::size_t i = 0; i < r.top.size(); ++i) {
    const evaluation& e = r.top[i];
    const serving_config& c = e.cfg;
    const bool dis = c.mode == mode_disaggregated;
    const site_entry& site = r.inputs.cluster.sites[c.site];
    auto n = [](double x) { return csv_number(x); };
    o += csv_line({std::to_string(i + 1), site.name, site.gpu, dis ? "disaggregated" : "aggregated", precision_name(c.wprec),
                   precision_name(c.kvprec), std::to_string(c.draft), std::to_string(c.main.lay.tp),
                   std::to_string(c.main.lay.pp), std::to_string(c.main.lay.ep), std::to_string(c.main.lay.dp),
                   dis ? "" : std::to_string(c.main.chunk), std::to_string(c.main.batch),
                   dis ? std::to_string(c.prefill.lay.tp) : "", dis ? std::to_string(c.prefill.lay.pp) : "",
                   dis ? std::to_string(c.prefill.lay.ep) : "", dis ? std::to_string(c.prefill.lay.dp) : "",
                   dis ? std::to_string(c.prefill.chunk) : "", n(e.m.tpot_s * 1e3), n(e.m.ttft_s * 1e3),
                   n(tokens_per_s_per_user(e)), n(e.m.tokens_per_s_per_gpu), n(e.m.gpus_billed), n(e.m.nodes),
                   n(e.m.cost_usd_per_day), n(e.m.usd_per_million_tokens), n(e.m.it_power_kw / 1e3), n(e.m.facility_power_kw / 1e3),
                   n(e.m.shortfall_gpus)});
  }
  return o;
}

std::string fleet_to_csv(const fleet_result& r) {
  // One row per entity, so that every numeric column sums to the fleet's total: a row per
  // assignment (a class served by a configuration in a pool) carries its serving GPUs and, in
  // proportion to them, its pool's spare GPUs, power and cost; a pool that pays for GPUs it does
  // not use has one more row, "idle", with those GPUs and what they cost.
  std::string o = csv_line({"site", "gpu", "offer", "pricing", "class", "model", "mode", "config", "gpus", "spare_gpus",
                            "idle_paid_gpus", "it_power_mw", "facility_power_mw", "cost_usd_per_day"});
  const fleet_solution& s = r.chosen();
  if (!s.solved) return o;
  const fleet_summary& f = r.chosen_summary();
  const fleet_model& m = r.model;
  for (std::size_t p = 0; p < m.pools.size(); ++p) {
    const fleet_pool& pool = m.pools[p];
    const pool_report& pr = f.pools[p];
    const std::vector<std::string> where = {m.sites[pool.site].name, pool.gpu, pool.offer ? "true" : "false",
                                            pricing_kind_name(pool.pricing.kind)};
    // What the pool pays for GPUs it holds but does not use: their held cost, no energy.
    const double idle = pool.on_demand() ? 0.0 : std::max(0.0, pr.gpus_paid - pr.gpus_used);
    const double idle_cost = idle * pool.held_usd_per_gpu_day();
    double serving = 0.0;
    for (std::size_t k = 0; k < m.options.size(); ++k) {
      if (m.options[k].pool == p) serving += option_gpus(s, m.options[k], k);
    }
    const double spare = pr.spare_nodes * pool.gpus_per_node;
    for (std::size_t k = 0; k < m.options.size() && serving > 0.0; ++k) {
      const fleet_option& op = m.options[k];
      if (op.pool != p) continue;
      const double gpus = option_gpus(s, op, k);
      if (gpus <= 0.0) continue;
      const double share = gpus / serving;
      std::vector<std::string> row = where;
      for (const std::string& x :
           {m.classes[op.cls].name, r.demand.classes[op.cls].model.name,
            std::string(op.disaggregated ? "disaggregated" : "aggregated"), option_code(r.candidates[op.tag].eval.cfg),
            csv_number(gpus), csv_number(spare * share), csv_number(0.0), csv_number(pr.it_kw / 1000.0 * share),
            csv_number(pr.facility_kw / 1000.0 * share), csv_number((pr.cost_usd_per_day - idle_cost) * share)}) {
        row.push_back(x);
      }
      o += csv_line(row);
    }
    if (idle > 0.0 || (serving <= 0.0 && pr.cost_usd_per_day > 0.0)) {
      std::vector<std::string> row = where;
      for (const std::string& x : {std::string(), std::string(), std::string(), std::string("idle"), csv_number(0.0),
                                   csv_number(serving > 0.0 ? 0.0 : spare), csv_number(idle),
                                   csv_number(serving > 0.0 ? 0.0 : pr.it_kw / 1000.0),
                                   csv_number(serving > 0.0 ? 0.0 : pr.facility_kw / 1000.0),
                                   csv_number(serving > 0.0 ? idle_cost : pr.cost_usd_per_day)}) {
        row.push_back(x);
      }
      o += csv_line(row);
    }
  }
  return o;
}

std::string plan_to_markdown(const plan_result& r, const fleet_result& f) {
  const plan_inputs& in = r.inputs;
  const workload_spec& w = r.prob->workload;
  std::string o = "## tokenplan plan: " + md_cell(in.model.name) + ", " + md_cell(in.workload.name) + " on " +
                  md_cell(in.cluster.name) + "\n\n";
  const double peak = w.tokens_per_day / 86400.0 * w.peak_to_average;
  o += "- **Demand:** " + short_number(w.tokens_per_day) + " tokens/day; peak " + short_number(peak) + " tokens/s; ISL " +
       fixed(w.input_tokens, 0) + " (tail " + fixed(w.input_tail, 0) + "), OSL " + fixed(w.output_tokens, 0) +
       "; SLO TTFT " + fixed(w.ttft_slo_s * 1e3, 0) + " ms (p" + fixed(100.0 * (1.0 - w.slo_tail), 0) + "), TPOT " +
       fixed(w.tpot_slo_s * 1e3, 0) + " ms\n";
  if (in.overrides.any()) o += "- **Overrides:** `" + overrides_text(in.overrides) + "`\n";
  o += "- **Search:** " + group_digits(r.stats.grid_size) + " configurations on " + r.backend_name + ", " +
       group_digits(r.stats.counts[reason_feasible]) + " feasible; ruled out:";
  for (std::uint8_t k = reason_parallelism; k < reason_count; ++k) {
    o += std::string(" ") + reason_name(k) + " " + group_digits(r.stats.counts[k]) + (k + 1 < reason_count ? "," : "");
  }
  o += "\n- **Engine:** " + md_cell(in.engine) + ", objective " + objective_name(in.goal) + "\n\n";
  if (r.top.empty()) {
    o += "### No feasible configuration\n\n";
    for (const infeasible_gpu& g : r.no_feasible.by_gpu) {
      o += "- " + md_cell(g.detail) + "\n";
      if (g.relax.computed) o += "  - " + md_cell(relax_text(g.relax) + " on " + g.gpu) + "\n";
    }
    if (r.no_feasible.relax.computed) o += "- **To make a configuration feasible:** " + md_cell(relax_text(r.no_feasible.relax)) + "\n";
    if (r.no_feasible.longest.computed) o += "- **Shorter prompts:** " + md_cell(longest_prompt_text(r.no_feasible.longest)) + "\n";
    o += "- Most configurations were ruled out by " + std::string(reason_name(r.no_feasible.most_ruled_out)) + " (" +
         group_digits(r.no_feasible.most_ruled_out_count) + ")\n\n";
  } else {
    o += "### Ranked configurations\n\n";
    o += md_header({"rank", "site", "GPU", "layout (pre|dec)", "chunk", "batch", "w/kv", "TPOT ms", "TTFT ms",
                    "tok/s/GPU", "GPUs", "USD/day", "USD/Mtok"},
                   {true, false, false, false, true, true, false, true, true, true, true, true, true});
    for (std::size_t i = 0; i < r.top.size(); ++i) {
      const evaluation& e = r.top[i];
      const site_entry& site = in.cluster.sites[e.cfg.site];
      const std::uint32_t chunk = e.cfg.mode == mode_disaggregated ? e.cfg.prefill.chunk : e.cfg.main.chunk;
      o += md_row({std::to_string(i + 1), site.name, site.gpu, layout_of(e.cfg), std::to_string(chunk),
                   std::to_string(e.cfg.main.batch), formats_of(e.cfg), fixed(e.m.tpot_s * 1e3, 1),
                   fixed(e.m.ttft_s * 1e3, 0), fixed(e.m.tokens_per_s_per_gpu, 0), group_digits(as_count(e.m.gpus_billed)),
                   short_number(e.m.cost_usd_per_day), fixed(e.m.usd_per_million_tokens, 3)});
    }
    o += "\nLayout: t=TP p=PP e=EP d=attention-DP; a\\|b: disaggregated prefill\\|decode pools; +sN: N drafts. "
         "Chunk and batch are per attention-DP rank. tok/s/GPU at the planned load; TTFT at the SLO percentile.\n\n";
    o += "**Why rank 1 wins:** binding constraint " + r.why.binding + ": " + md_cell(r.why.binding_detail) + ".";
    if (r.why.has_runner_up) {
      const evaluation& u = r.why.runner_up;
      const evaluation& b = r.top.front();
      o += " Runner-up (rank " + std::to_string(r.why.runner_up_rank) + ", " + in.cluster.sites[u.cfg.site].name + " " +
           md_cell(layout_of(u.cfg)) + " " + formats_of(u.cfg) + "): " + short_number(u.m.cost_usd_per_day) + " USD/day (" +
           (u.m.cost_usd_per_day >= b.m.cost_usd_per_day ? "+" : "") +
           fixed(cost_percent(u.m.cost_usd_per_day, b.m.cost_usd_per_day), 1) + "%), " +
           group_digits(as_count(u.m.gpus_billed)) + " GPUs billed.";
    }
    o += "\n\n";
    if (!r.pareto.empty()) {
      o += "### Pareto frontier: tokens/s per GPU vs tokens/s per user\n\n";
      o += md_header({"tok/s/user", "TPOT ms", "tok/s/GPU", "layout", "batch", "w/kv", "GPU", "GPUs", "USD/day"},
                     {true, true, true, false, true, false, false, true, true});
      for (const pareto_point& p : r.pareto) {
        const evaluation& e = p.eval;
        o += md_row({fixed(tokens_per_s_per_user(e), 1), fixed(e.m.tpot_s * 1e3, 1), fixed(e.m.tokens_per_s_per_gpu, 0),
                     layout_of(e.cfg), std::to_string(e.cfg.main.batch), formats_of(e.cfg), in.cluster.sites[e.cfg.site].gpu,
                     group_digits(as_count(e.m.gpus_billed)), short_number(e.m.cost_usd_per_day)});
      }
      o += "\n";
    }
  }
  return o + fleet_md(f);
}

std::string fleet_to_markdown(const fleet_result& r) {
  std::string o = "## tokenplan plan: demand " + md_cell(r.demand.name) + " on " + md_cell(r.cluster.name) + "\n\n";
  if (r.overrides.any()) o += "Overrides: `" + overrides_text(r.overrides) + "`\n\n";
  return o + demand_md(r) + fleet_md(r);
}

std::string capacity_to_markdown(const fleet_result& r) {
  std::string o = "## tokenplan capacity: " + md_cell(r.cluster.name) + ", demand " + md_cell(r.demand.name) + "\n\n";
  if (r.overrides.any()) o += "Overrides: `" + overrides_text(r.overrides) + "`\n\n";
  o += demand_md(r);
  if (r.capacity.solved) {
    o += "**The cluster as it is carries " + fixed(r.capacity.scale, 3) + "x the target:** " +
         short_number(r.capacity.scale * r.demand.tokens_per_day) + " tokens/day within the SLOs (" +
         md_cell(r.capacity.status) + ").\n\n";
  } else {
    o += "**No capacity:** " + md_cell(r.capacity.status) + "\n\n";
  }
  for (const binding_item& b : r.binding) o += "- binding (" + b.kind + "): " + md_cell(b.detail) + "\n";
  if (!r.binding.empty()) o += "\n";
  o += md_header({"class", "hardware", "feasible", "best limited by"}, {false, false, true, false});
  for (const fleet_search& s : r.searches) {
    const std::string limit = s.limit.empty() ? "no feasible configuration: " +
                                                    (s.no_configuration.empty() ? "most fail " + s.most_restrictive : s.no_configuration)
                                              : s.limit + " (" + s.limit_detail + ")";
    o += md_row({r.model.classes[s.cls].name, r.profiles[s.profile].label, group_digits(s.stats.counts[reason_feasible]), limit});
  }
  if (r.capacity.solved) {
    fleet_summary f = summarize_fleet(r, r.capacity);
    o += "\nAt capacity: " + group_digits(as_count(f.gpus_used)) + " GPUs in use, " + fixed(f.facility_mw, 1) +
         " MW facility, " + short_number(f.cost_usd_per_day) + " USD/day, " + fixed(f.usd_per_million_tokens, 3) +
         " USD per million tokens.\n";
  }
  if (r.runway.computed) {
    o += "\nGrowth " + fixed(r.demand.monthly_growth * 100.0, 1) + "%/month: " +
         (r.runway.runs_out ? "runs out in " + r.runway.month : md_cell(r.runway.note)) + ".\n";
  }
  return o;
}

}  // namespace tokenplan
