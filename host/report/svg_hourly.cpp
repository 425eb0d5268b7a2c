// The hourly chart (render_hourly): stacked bars per hour (load) and step lines over them
// (capacity), on a y axis with round ticks.
#include "report/svg.hpp"
#include "report/svg_detail.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace tokenplan {

using detail::axes;
using detail::color_of;
using detail::legend_flow;
using detail::map_y;
using detail::plot_box;
using detail::px;
using detail::svg_open;

std::string render_hourly(const hourly_chart& c) {
  const std::size_t n = c.hours.size();
  std::ostringstream o;
  o << svg_open(c.name, c.width, c.height, c.y_label + " by " + c.x_label);
  legend_flow legend(78.0, 18.0, c.width - 24.0);
  for (std::size_t s = 0; s < c.stacked.size(); ++s) {
    const std::string col = color_of(c.colors, s);
    legend.add(c.stacked[s].name, [&](std::ostream& out, double x, double y) {
      out << "<rect x=\"" << px(x) << "\" y=\"" << px(y - 6) << "\" width=\"16\" height=\"12\" fill=\"" << col << "\"/>";
    });
  }
  for (std::size_t l = 0; l < c.lines.size(); ++l) {
    const std::string col = color_of(c.colors, c.stacked.size() + l);
    legend.add(c.lines[l].name, [&](std::ostream& out, double x, double y) {
      out << "<line x1=\"" << px(x) << "\" x2=\"" << px(x + 16) << "\" y1=\"" << px(y) << "\" y2=\"" << px(y)
          << "\" stroke=\"" << col << "\" stroke-width=\"2.5\"/>";
    });
  }
  o << legend.text();
  const plot_box b{78.0, legend.y + 22.0, c.width - 24.0, c.height - 56.0};
  auto at = [](const std::vector<double>& v, std::size_t i) { return i < v.size() && std::isfinite(v[i]) ? std::max(0.0, v[i]) : 0.0; };
  double most = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    double sum = 0.0;
    for (const hourly_series& s : c.stacked) sum += at(s.values, i);
    most = std::max(most, sum);
    for (const hourly_series& s : c.lines) most = std::max(most, at(s.values, i));
  }
  const axis_scale ys = nice_scale(0.0, most > 0.0 ? most * 1.02 : 1.0, 6);
  o << axes(b, nullptr, ys, c.x_label, c.y_label);
  const double band = n > 0 ? b.w() / static_cast<double>(n) : b.w();
  o << "<g class=\"axis x-axis\">\n";
  for (std::size_t i = 0; i < n; ++i) {
    const double x = b.left + band * (static_cast<double>(i) + 0.5);
    o << "<text x=\"" << px(x) << "\" y=\"" << px(b.bottom + 18) << "\" text-anchor=\"middle\">" << html_escape(c.hours[i])
      << "</text>\n";
  }
  o << "</g>\n<g class=\"bars\">\n";
  for (std::size_t i = 0; i < n; ++i) {
    o << "<g class=\"hour\" data-hour=\"" << i << "\">";
    if (i < c.tooltips.size()) o << "<title>" << html_escape(c.tooltips[i]) << "</title>";
    double base = 0.0;
    for (std::size_t s = 0; s < c.stacked.size(); ++s) {
      const double v = at(c.stacked[s].values, i);
      if (v <= 0.0) continue;
      const double y0 = map_y(b, ys, base), y1 = map_y(b, ys, base + v);
      o << "<rect class=\"bar\" x=\"" << px(b.left + band * static_cast<double>(i) + band * 0.1) << "\" y=\"" << px(y1)
        << "\" width=\"" << px(band * 0.8) << "\" height=\"" << px(std::max(0.5, y0 - y1)) << "\" fill=\""
        << color_of(c.colors, s) << "\"/>";
      base += v;
    }
    o << "</g>\n";
  }
  o << "</g>\n";
  for (std::size_t l = 0; l < c.lines.size(); ++l) {
    if (n == 0) break;
    o << "<path class=\"line\" fill=\"none\" stroke=\"" << color_of(c.colors, c.stacked.size() + l)
      << "\" stroke-width=\"2.5\" d=\"";
    for (std::size_t i = 0; i < n; ++i) {
      const double y = map_y(b, ys, at(c.lines[l].values, i));
      o << (i == 0 ? "M" : "L") << px(b.left + band * static_cast<double>(i)) << ' ' << px(y) << " H"
        << px(b.left + band * static_cast<double>(i + 1)) << ' ';
    }
    o << "\"><title>" << html_escape(c.lines[l].name) << "</title></path>\n";
  }
  o << "</svg>\n";
  return o.str();
}

}  // namespace tokenplan
