// Private helpers of the HTML report's page builders (html_plan_page.cpp, html_fleet_page.cpp,
// html_fleet_sections.cpp): the items of a section, a configuration's cells, the fleet's sections.
// Those files take them all with `using namespace detail::html;`.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/format.hpp"
#include "fleet/fleet.hpp"
#include "report/html_report.hpp"
#include "report/report_detail.hpp"
#include "search/describe.hpp"
#include "search/plan.hpp"

namespace tokenplan::detail::html {

inline std::string count_text(double x) { return group_digits(as_count(x)); }

inline report_item text_item(const std::string& t) {
  report_item i;
  i.what = report_item::kind::text;
  i.text = t;
  return i;
}

inline report_item note_item(const std::string& t) {
  report_item i;
  i.what = report_item::kind::note;
  i.text = t;
  return i;
}

inline report_item chart_item(const std::string& name, const std::string& svg, const std::string& caption) {
  report_item i;
  i.what = report_item::kind::chart;
  i.chart_name = name;
  i.svg = svg;
  i.text = caption;
  return i;
}

inline report_item table_item(report_table t) {
  report_item i;
  i.what = report_item::kind::table;
  i.table = std::move(t);
  return i;
}

inline report_item list_item(std::vector<std::string> lines) {
  report_item i;
  i.what = report_item::kind::list;
  i.lines = std::move(lines);
  return i;
}

inline report_item facts_item(std::vector<report_fact> facts) {
  report_item i;
  i.what = report_item::kind::facts;
  i.facts = std::move(facts);
  return i;
}

/// The configuration's columns, shared by the plan's ranking and the fleet's candidates.
struct config_cells {
  std::string mode, layout, chunk, batch, formats, drafts;
};

inline config_cells cells_of(const serving_config& c) {
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

inline std::string config_summary(const serving_config& c) {
  const config_cells x = cells_of(c);
  return x.layout + " b" + x.batch + " c" + x.chunk + " " + x.formats + (c.draft > 0 ? " +s" + x.drafts : "");
}

inline double tokens_per_user(const evaluation& e) { return e.m.tpot_s > 0.0 ? 1.0 / e.m.tpot_s : 0.0; }

/// The table of a page's input files (what, name, path, digest), its rows to be added.
inline report_table input_files_table() {
  report_table files;
  files.id = "inputs-table";
  files.head = {"Input", "Name", "File", "SHA-256"};
  files.numeric = {false, false, false, false};
  return files;
}

inline const char* const pareto_x_label = "tokens/s per user (1 / TPOT)";
inline const char* const pareto_y_label = "tokens/s per GPU (input + output)";

/// The fleet's figures at the head of a page (cost, GPUs, power, capacity, runway), after the page's own.
void add_fleet_headline(report_page& page, const fleet_result& r);

/// The fleet's sections after a page's own (cost and power by site, load and capacity over the day,
/// what the cluster as it is can carry) and the footer, which names `backend`.
void add_fleet_sections(report_page& page, const fleet_result& r, const std::string& backend);

}  // namespace tokenplan::detail::html
