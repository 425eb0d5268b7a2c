// Inline SVG charts for the HTML report, drawn by tokenplan itself (no scripts, no fonts, no
// network): round-number axes, text escaping, and the three chart kinds the report needs.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace tokenplan {

/// Escapes text for HTML and SVG, in element content and in quoted attributes alike:
/// & < > " ' become entities, and control characters and bytes that are not UTF-8 become
/// printable()'s escapes ("\u001b", "\xff"; a line break is kept). Names in the report come from
/// user files.
std::string html_escape(const std::string& raw);

/// A linear axis with round tick values covering [lo, hi].
struct axis_scale {
  double lo = 0.0, hi = 1.0;  ///< the axis ends (tick values), lo < hi
  double step = 0.2;          ///< tick spacing
  std::vector<double> ticks;  ///< lo, lo + step, ..., hi
};

/// Round ticks (1, 2, 2.5 or 5 times a power of ten) around the data range [lo, hi], about
/// `target` intervals. A single value (lo == hi) gets a band around it; non-finite input gives
/// [0, 1]. Never returns lo == hi.
axis_scale nice_scale(double lo, double hi, int target = 5);

/// A tick label: 5,200 / 0.25 / 12.5M / 1.20G, with as many decimals as the step needs.
std::string tick_label(double value, double step);

/// Indices of the points no other point beats on both x and y (higher is better on both);
/// a point equal to another on both is on the front when that one is.
std::vector<bool> pareto_front(const std::vector<double>& x, const std::vector<double>& y);

/// A point of a scatter chart.
struct scatter_point {
  double x = 0.0, y = 0.0;
  std::size_t series = 0;
  bool frontier = false;  ///< drawn filled and joined by the frontier line of its series
  std::string id;         ///< written as data-rank (the table row it plots)
  std::string tooltip;    ///< <title> text
};

struct scatter_chart {
  std::string name;  ///< data-chart attribute, e.g. "pareto"
  std::string x_label, y_label;
  std::vector<std::string> series;  ///< legend names, one colour each
  std::vector<scatter_point> points;
  std::string highlight_id;         ///< a point ringed and labelled (the chosen configuration)
  std::string highlight_label;
  std::string empty_note;           ///< shown in the plot area when there are no points
  /// A frontier traced over the whole grid (plan --pareto), beside the plotted rows: squares
  /// joined by a solid line (class "traced-point"; they are not rows, so carry no data-rank).
  std::vector<scatter_point> traced;
  std::string traced_label;         ///< its legend name
  int width = 880, height = 440;
};

/// One row of a horizontal stacked bar chart.
struct bar_row {
  std::string label;
  std::vector<double> values;  ///< one per segment kind, >= 0
  double marker = -1.0;        ///< a limit drawn across the bar (e.g. a power cap); < 0 none
  std::string marker_tooltip;
};

struct bar_chart {
  std::string name;                   ///< data-chart attribute
  std::string unit;                   ///< axis label
  std::vector<std::string> segments;  ///< legend names, one colour each
  std::string marker_name;            ///< legend name of the marker ("" when none)
  std::vector<std::string> colors;    ///< per segment; empty: the default palette
  std::vector<bar_row> rows;
  bool integer_values = false;        ///< totals written as 1,234 rather than 1.23k
  int width = 880;
};

/// Hourly load and capacity: stacked bars per hour and lines (steps) over them.
struct hourly_series {
  std::string name;
  std::vector<double> values;  ///< one per hour
};

struct hourly_chart {
  std::string name;
  std::string x_label, y_label;
  std::vector<std::string> hours;      ///< x labels, one per bar
  std::vector<hourly_series> stacked;  ///< bars, bottom to top
  std::vector<hourly_series> lines;    ///< steps over the bars
  std::vector<std::string> colors;     ///< stacked then lines; empty: the default palette
  std::vector<std::string> tooltips;   ///< one per hour
  int width = 880, height = 400;
};

/// Each chart as one <svg> element with a fixed size (width x height attributes and a
/// matching viewBox), role="img" and an aria-label.
std::string render_scatter(const scatter_chart& c);
std::string render_bars(const bar_chart& c);
std::string render_hourly(const hourly_chart& c);

}  // namespace tokenplan
