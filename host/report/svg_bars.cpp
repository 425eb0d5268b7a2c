// The horizontal stacked bar chart (render_bars): one row per site, its total after the bar, and
// a marker across it for a limit such as a power cap.
#include "report/svg.hpp"
#include "report/svg_detail.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace tokenplan {

using detail::char_px;
using detail::color_of;
using detail::commas;
using detail::legend_flow;
using detail::map_x;
using detail::plot_box;
using detail::px;
using detail::svg_open;
using detail::text_chars;

namespace {

/// Bar totals: 60,328 for counts, else three significant figures with k/M/G/T.
std::string value_label(double v, bool integer) {
  char buf[48];
  if (integer) {
    std::snprintf(buf, sizeof buf, "%.0f", std::round(v));
    return commas(buf);
  }
  const double a = std::fabs(v);
  if (a >= 1e12) std::snprintf(buf, sizeof buf, "%.3gT", v / 1e12);
  else if (a >= 1e9) std::snprintf(buf, sizeof buf, "%.3gG", v / 1e9);
  else if (a >= 1e6) std::snprintf(buf, sizeof buf, "%.3gM", v / 1e6);
  else if (a >= 1e3) std::snprintf(buf, sizeof buf, "%.3gk", v / 1e3);
  else std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

/// Cuts text to `max_chars` code points (UTF-8 aware), ending with an ellipsis when cut.
std::string clip_text(const std::string& s, std::size_t max_chars) {
  std::size_t chars = 0, i = 0;
  while (i < s.size()) {
    if (chars == max_chars) return s.substr(0, i) + "\xe2\x80\xa6";
    const unsigned char c = static_cast<unsigned char>(s[i]);
    i += c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
    ++chars;
  }
  return s;
}

}  // namespace

std::string render_bars(const bar_chart& c) {
  std::size_t longest = 4;
  for (const bar_row& r : c.rows) longest = std::max(longest, std::min<std::size_t>(30, text_chars(r.label)));
  const double row_h = 28.0;
  legend_flow legend(12.0, 18.0, c.width - 12.0);
  for (std::size_t s = 0; s < c.segments.size(); ++s) {
    const std::string col = color_of(c.colors, s);
    legend.add(c.segments[s], [&](std::ostream& out, double x, double y) {
      out << "<rect x=\"" << px(x) << "\" y=\"" << px(y - 6) << "\" width=\"16\" height=\"12\" fill=\"" << col << "\"/>";
    });
  }
  if (!c.marker_name.empty()) {
    legend.add(c.marker_name, [&](std::ostream& out, double x, double y) {
      out << "<line x1=\"" << px(x + 8) << "\" x2=\"" << px(x + 8) << "\" y1=\"" << px(y - 8) << "\" y2=\"" << px(y + 8)
          << "\" stroke=\"#b91c1c\" stroke-width=\"3\"/>";
    });
  }
  const double top = legend.y + 22.0;
  const plot_box b{std::min(230.0, 16.0 + longest * char_px), top, c.width - 90.0,
                   top + row_h * static_cast<double>(std::max<std::size_t>(1, c.rows.size()))};
  const int height = static_cast<int>(std::ceil(b.bottom + 48.0));

  double most = 0.0;
  for (const bar_row& r : c.rows) {
    double total = 0.0;
    for (double v : r.values) total += std::max(0.0, v);
    most = std::max({most, total, r.marker});
  }
  const axis_scale xs = nice_scale(0.0, most > 0.0 ? most : 1.0, 5);

  std::ostringstream o;
  o << svg_open(c.name, c.width, height, c.unit + " by site");
  o << legend.text();
  o << "<rect class=\"plot-area\" x=\"" << px(b.left) << "\" y=\"" << px(b.top) << "\" width=\"" << px(b.w())
    << "\" height=\"" << px(b.h()) << "\" fill=\"#f8fafc\" stroke=\"#94a3b8\"/>\n<g class=\"axis x-axis\">\n";
  for (double t : xs.ticks) {
    const double x = map_x(b, xs, t);
    o << "<line x1=\"" << px(x) << "\" x2=\"" << px(x) << "\" y1=\"" << px(b.top) << "\" y2=\"" << px(b.bottom)
      << "\" stroke=\"#e2e8f0\"/><text x=\"" << px(x) << "\" y=\"" << px(b.bottom + 16) << "\" text-anchor=\"middle\">"
      << tick_label(t, xs.step) << "</text>\n";
  }
  o << "<text class=\"axis-title\" x=\"" << px((b.left + b.right) / 2) << "\" y=\"" << px(b.bottom + 38)
    << "\" text-anchor=\"middle\" font-weight=\"600\">" << html_escape(c.unit) << "</text>\n</g>\n";
  if (c.rows.empty()) {
    o << "<text class=\"empty-note\" x=\"" << px((b.left + b.right) / 2) << "\" y=\"" << px(b.top + 18)
      << "\" text-anchor=\"middle\" fill=\"#b91c1c\">no sites</text>\n";
  }
  for (std::size_t i = 0; i < c.rows.size(); ++i) {
    const bar_row& r = c.rows[i];
    const double y = b.top + row_h * static_cast<double>(i);
    o << "<g class=\"bar-row\"><text x=\"" << px(b.left - 8) << "\" y=\"" << px(y + row_h / 2 + 4)
      << "\" text-anchor=\"end\"><title>" << html_escape(r.label) << "</title>" << html_escape(clip_text(r.label, 30))
      << "</text>\n";
    double at = 0.0;
    for (std::size_t s = 0; s < r.values.size(); ++s) {
      const double v = std::max(0.0, r.values[s]);
      if (v <= 0.0) continue;
      const double x0 = map_x(b, xs, at), x1 = map_x(b, xs, at + v);
      o << "<rect class=\"bar\" x=\"" << px(x0) << "\" y=\"" << px(y + 6) << "\" width=\"" << px(std::max(0.5, x1 - x0))
        << "\" height=\"" << px(row_h - 12) << "\" fill=\"" << color_of(c.colors, s) << "\"><title>"
        << html_escape(r.label + ": " + (s < c.segments.size() ? c.segments[s] : std::string("value")) + " " +
                       value_label(v, c.integer_values) + " " + c.unit)
        << "</title></rect>\n";
      at += v;
    }
    // The total sits after the bar, or after the marker when the marker is in its way.
    double label_x = map_x(b, xs, at) + 6;
    if (r.marker >= 0.0) {
      const double mx = map_x(b, xs, r.marker);
      if (mx > label_x - 10 && mx < label_x + 8 * char_px) label_x = std::max(label_x, mx + 6);
    }
    o << "<text class=\"bar-total\" x=\"" << px(label_x) << "\" y=\"" << px(y + row_h / 2 + 4) << "\">"
      << value_label(at, c.integer_values) << "</text>\n";
    if (r.marker >= 0.0) {
      const double x = map_x(b, xs, r.marker);
      o << "<line class=\"marker\" x1=\"" << px(x) << "\" x2=\"" << px(x) << "\" y1=\"" << px(y + 2) << "\" y2=\""
        << px(y + row_h - 2) << "\" stroke=\"#b91c1c\" stroke-width=\"3\"><title>" << html_escape(r.marker_tooltip)
        << "</title></line>\n";
    }
    o << "</g>\n";
  }
  o << "</svg>\n";
  return o.str();
}

}  // namespace tokenplan
