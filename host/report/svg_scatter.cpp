// The scatter chart (render_scatter): points per series with their Pareto frontier lines, the
// frontier traced over the whole grid, and one ringed, labelled point.
#include "report/svg.hpp"
#include "report/svg_detail.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace tokenplan {

using detail::axes;
using detail::legend_flow;
using detail::map_x;
using detail::map_y;
using detail::palette;
using detail::palette_size;
using detail::plot_box;
using detail::px;
using detail::svg_open;

namespace {

/// The data range padded by a few per cent, so no point sits on the frame; data that is never
/// negative keeps an axis that is not.
axis_scale padded_scale(double lo, double hi) {
  const double pad = (hi - lo) * 0.04;
  return nice_scale(lo >= 0.0 ? std::max(0.0, lo - pad) : lo - pad, hi + pad, 6);
}


}  // namespace

std::string render_scatter(const scatter_chart& c) {
  std::ostringstream o;
  o << svg_open(c.name, c.width, c.height, c.y_label + " against " + c.x_label);
  legend_flow legend(78.0, 18.0, c.width - 24.0);
  const bool many = c.series.size() > 1;
  for (std::size_t s = 0; s < c.series.size(); ++s) {
    const std::string col = palette[s % palette_size];
    legend.add(many ? c.series[s] : c.series[s] + ": on the Pareto frontier", [&](std::ostream& out, double x, double y) {
      out << "<circle cx=\"" << px(x + 8) << "\" cy=\"" << px(y) << "\" r=\"5\" fill=\"" << col
          << "\" stroke=\"#0f172a\" stroke-width=\"1\"/>";
    });
  }
  legend.add(many ? "hollow: dominated within its class" : "dominated (a row beats it on both axes)",
             [&](std::ostream& out, double x, double y) {
               out << "<circle cx=\"" << px(x + 8) << "\" cy=\"" << px(y) << "\" r=\"4.5\" fill=\"#ffffff\" stroke=\""
                   << palette[0] << "\" stroke-width=\"1.5\"/>";
             });
  legend.add("Pareto frontier", [&](std::ostream& out, double x, double y) {
    out << "<line x1=\"" << px(x) << "\" x2=\"" << px(x + 16) << "\" y1=\"" << px(y) << "\" y2=\"" << px(y)
        << "\" stroke=\"#0f172a\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/>";
  });
  if (!c.traced.empty()) {
    legend.add(c.traced_label, [&](std::ostream& out, double x, double y) {
      out << "<line x1=\"" << px(x) << "\" x2=\"" << px(x + 16) << "\" y1=\"" << px(y) << "\" y2=\"" << px(y)
          << "\" stroke=\"#b45309\" stroke-width=\"2\"/><rect x=\"" << px(x + 4) << "\" y=\"" << px(y - 4)
          << "\" width=\"8\" height=\"8\" fill=\"#f59e0b\" stroke=\"#78350f\"/>";
    });
  }
  if (!c.highlight_id.empty()) {
    legend.add(c.highlight_label, [&](std::ostream& out, double x, double y) {
      out << "<circle cx=\"" << px(x + 8) << "\" cy=\"" << px(y) << "\" r=\"7\" fill=\"none\" stroke=\"#0f172a\""
          << " stroke-width=\"2\"/>";
    });
  }
  o << legend.text();
  const plot_box b{78.0, legend.y + 22.0, c.width - 24.0, c.height - 56.0};

  double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
  std::vector<const scatter_point*> all;
  for (const scatter_point& p : c.points) all.push_back(&p);
  for (const scatter_point& p : c.traced) all.push_back(&p);
  for (const scatter_point* q : all) {
    const scatter_point& p = *q;
    if (!std::isfinite(p.x) || !std::isfinite(p.y)) continue;
    xlo = std::min(xlo, p.x);
    xhi = std::max(xhi, p.x);
    ylo = std::min(ylo, p.y);
    yhi = std::max(yhi, p.y);
  }
  const bool any = xlo <= xhi;
  const axis_scale xs = any ? padded_scale(xlo, xhi) : nice_scale(0.0, 1.0);
  const axis_scale ys = any ? padded_scale(ylo, yhi) : nice_scale(0.0, 1.0);
  o << axes(b, &xs, ys, c.x_label, c.y_label);
  if (!any) {
    o << "<text class=\"empty-note\" x=\"" << px((b.left + b.right) / 2) << "\" y=\"" << px((b.top + b.bottom) / 2)
      << "\" text-anchor=\"middle\" font-size=\"14\" fill=\"#b91c1c\">" << html_escape(c.empty_note) << "</text>\n";
  }

  // Frontier lines, one per series, in x order.
  for (std::size_t s = 0; s < std::max<std::size_t>(1, c.series.size()); ++s) {
    std::vector<const scatter_point*> f;
    for (const scatter_point& p : c.points) {
      if (p.frontier && p.series == s && std::isfinite(p.x) && std::isfinite(p.y)) f.push_back(&p);
    }
    if (f.size() < 2) continue;
    std::sort(f.begin(), f.end(), [](const scatter_point* a, const scatter_point* b2) {
      return a->x != b2->x ? a->x < b2->x : a->y > b2->y;
    });
    o << "<polyline class=\"frontier-line\" fill=\"none\" stroke=\"" << (many ? palette[s % palette_size] : "#0f172a")
      << "\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\" points=\"";
    for (const scatter_point* p : f) o << px(map_x(b, xs, p->x)) << ',' << px(map_y(b, ys, p->y)) << ' ';
    o << "\"/>\n";
  }
  // The traced frontier: a solid line through its points in x order, squares on it.
  {
    std::vector<const scatter_point*> f;
    for (const scatter_point& p : c.traced) {
      if (std::isfinite(p.x) && std::isfinite(p.y)) f.push_back(&p);
    }
    std::sort(f.begin(), f.end(), [](const scatter_point* a, const scatter_point* b2) { return a->x < b2->x; });
    if (f.size() >= 2) {
      o << "<polyline class=\"traced-line\" fill=\"none\" stroke=\"#b45309\" stroke-width=\"2\" points=\"";
      for (const scatter_point* p : f) o << px(map_x(b, xs, p->x)) << ',' << px(map_y(b, ys, p->y)) << ' ';
      o << "\"/>\n";
    }
    for (const scatter_point* p : f) {
      o << "<rect class=\"traced-point\" x=\"" << px(map_x(b, xs, p->x) - 4.5) << "\" y=\"" << px(map_y(b, ys, p->y) - 4.5)
        << "\" width=\"9\" height=\"9\" fill=\"#f59e0b\" stroke=\"#78350f\" stroke-width=\"1\"><title>"
        << html_escape(p->tooltip) << "</title></rect>\n";
    }
  }
  // Dominated points first, the frontier on top of them.
  o << "<g class=\"points\">\n";
  for (int pass = 0; pass < 2; ++pass) {
    for (const scatter_point& p : c.points) {
      if (p.frontier != (pass == 1)) continue;
      const std::string col = palette[p.series % palette_size];
      const bool finite = std::isfinite(p.x) && std::isfinite(p.y);
      o << "<circle class=\"point" << (p.frontier ? " frontier" : "") << "\" data-rank=\"" << html_escape(p.id)
        << "\" data-series=\"" << p.series << "\" cx=\"" << px(finite ? map_x(b, xs, p.x) : b.left) << "\" cy=\""
        << px(finite ? map_y(b, ys, p.y) : b.bottom) << "\" r=\"" << (p.frontier ? "5" : "4.5") << "\" fill=\""
        << (p.frontier ? col : std::string("#ffffff")) << "\" stroke=\"" << (p.frontier ? std::string("#0f172a") : col)
        << "\" stroke-width=\"" << (p.frontier ? "1" : "1.5") << "\"><title>" << html_escape(p.tooltip)
        << "</title></circle>\n";
    }
  }
  o << "</g>\n";
  for (const scatter_point& p : c.points) {
    if (c.highlight_id.empty() || p.id != c.highlight_id || !std::isfinite(p.x) || !std::isfinite(p.y)) continue;
    const double x = map_x(b, xs, p.x), y = map_y(b, ys, p.y);
    const bool left = x > b.left + b.w() * 0.7;
    o << "<g class=\"highlight\"><circle cx=\"" << px(x) << "\" cy=\"" << px(y)
      << "\" r=\"9\" fill=\"none\" stroke=\"#0f172a\" stroke-width=\"2\"/><text x=\"" << px(left ? x - 13 : x + 13)
      << "\" y=\"" << px(y - 10) << "\" text-anchor=\"" << (left ? "end" : "start") << "\" font-weight=\"600\">"
      << html_escape(c.highlight_label) << "</text></g>\n";
    break;
  }
  o << "</svg>\n";
  return o.str();
}

}  // namespace tokenplan
