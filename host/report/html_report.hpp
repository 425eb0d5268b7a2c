// The HTML report of a plan (tokenplan plan --html FILE): one self-contained file with the
// inputs and their digests, the ranked configurations, the Pareto chart of throughput per GPU
// against tokens per second per user, cost and power by site, and load against capacity over
// the day. Charts are inline SVG (svg.hpp); nothing is fetched when the file is opened.
#pragma once

#include <string>
#include <vector>

namespace tokenplan {

struct plan_result;
struct fleet_result;

/// A labelled value (the headline figures, the inputs); `detail` shows in smaller type.
struct report_fact {
  std::string label, value, detail;
};

/// A table. Cells are plain text (escaped when written). A row with a rank carries it as
/// data-rank, linking it to the chart point of the same rank.
struct report_table {
  std::string id;
  std::vector<std::string> head;
  std::vector<bool> numeric;  ///< right-aligned columns (per head entry)
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> ranks;  ///< per row; "" for none
  std::vector<bool> marked;        ///< per row: on the Pareto frontier (shaded)
  bool total_last = false;         ///< the last row is a total (bold)
};

/// One piece of a section, in order.
struct report_item {
  enum class kind { text, note, facts, chart, table, list };
  kind what = kind::text;
  std::string text;                  ///< text, note (a warning box), chart caption
  std::string chart_name, svg;       ///< chart: its data-chart name and the rendered <svg>
  std::vector<report_fact> facts;
  report_table table;
  std::vector<std::string> lines;    ///< list items
};

struct report_section {
  std::string id, heading;
  std::vector<report_item> items;
};

/// The whole page before it becomes HTML.
struct report_page {
  std::string title, subtitle;
  std::vector<report_fact> headline;
  std::vector<report_section> sections;
  std::string footer;
};

/// The page as one HTML document: inline CSS, the SVG charts, and a few lines of script that
/// link table rows and chart points on hover (the page reads the same without it). Every
/// piece of text is escaped.
std::string render_report(const report_page& page);

/// The report of `tokenplan plan --model --workload`: the plan's ranked list (one chart point
/// per row) and its fleet.
report_page plan_report_page(const plan_result& plan, const fleet_result& fleet);

/// The report of `tokenplan plan --demand`: the configurations each class's searches offered
/// the allocation (one chart point per row), and the fleet.
report_page fleet_report_page(const fleet_result& fleet);

/// Load and capacity of the chosen fleet per hour, tokens/s (input + output): the interactive
/// load of each hour, the deferrable load the allocation placed in it, and what the GPUs it keeps
/// in service carry at their planned utilisation (within the SLOs). Empty vectors when the
/// demand has no 24-hour profile or the fleet has no allocation.
struct hourly_load {
  std::vector<double> interactive, deferred, capacity;
};
hourly_load fleet_hourly_load(const fleet_result& fleet);

inline std::string plan_to_html(const plan_result& plan, const fleet_result& fleet) {
  return render_report(plan_report_page(plan, fleet));
}
inline std::string fleet_to_html(const fleet_result& fleet) { return render_report(fleet_report_page(fleet)); }

}  // namespace tokenplan
