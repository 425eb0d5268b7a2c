// Inline SVG charts for the HTML report: axes with round ticks and units, legends, tooltips as
// <title> elements, and every piece of text escaped. Sizes are fixed so a browser test knows
// where each chart is drawn.
#include "report/svg.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "base/text.hpp"

namespace tokenplan {

namespace {

// Colour-blind-safe enough at these hues; series and segments cycle through them.
const char* const palette[] = {"#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#a16207", "#db2777"};
constexpr std::size_t palette_size = sizeof palette / sizeof palette[0];

const char* const font = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif";
constexpr double char_px = 6.6;  // mean advance of a 12 px sans-serif character, for layout

std::string color_of(const std::vector<std::string>& colors, std::size_t i) {
  if (i < colors.size() && !colors[i].empty()) return html_escape(colors[i]);
  return palette[i % palette_size];
}

/// A coordinate, to 0.1 px.
std::string px(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", std::fabs(v) < 0.05 ? 0.0 : v);
  return buf;
}

std::string commas(const std::string& digits) {
  std::string s = digits;
  const std::size_t start = !s.empty() && s[0] == '-' ? 1 : 0;
  std::size_t end = s.find('.');
  if (end == std::string::npos) end = s.size();
  for (std::ptrdiff_t i = static_cast<std::ptrdiff_t>(end) - 3; i > static_cast<std::ptrdiff_t>(start); i -= 3) {
    s.insert(static_cast<std::size_t>(i), ",");
  }
  return s;
}

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

std::size_t text_chars(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xc0) != 0x80;
  return n;
}

/// Opens the chart's <svg> with a white background.
std::string svg_open(const std::string& name, int width, int height, const std::string& label) {
  std::ostringstream o;
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart-svg\" data-chart=\"" << html_escape(name)
    << "\" width=\"" << width << "\" height=\"" << height << "\" viewBox=\"0 0 " << width << ' ' << height
    << "\" role=\"img\" aria-label=\"" << html_escape(label) << "\" font-family=\"" << font
    << "\" font-size=\"12\" fill=\"#0f172a\">\n";
  o << "<rect class=\"bg\" x=\"0\" y=\"0\" width=\"" << width << "\" height=\"" << height << "\" fill=\"#ffffff\"/>\n";
  return o.str();
}

/// A legend entry: its swatch (drawn by `swatch` at x, y) and text; wraps to new lines.
struct legend_flow {
  std::ostringstream out;
  double x0, x, y, right;
  legend_flow(double left, double top, double right_edge) : x0(left), x(left), y(top), right(right_edge) {}
  template <class F>
  void add(const std::string& text, F swatch) {
    const double w = 22.0 + text_chars(text) * char_px + 18.0;
    if (x > x0 && x + w > right) {
      x = x0;
      y += 18.0;
    }
    out << "<g class=\"legend-item\">";
    swatch(out, x, y);
    out << "<text x=\"" << px(x + 22.0) << "\" y=\"" << px(y + 4.0) << "\">" << html_escape(text) << "</text></g>\n";
    x += w;
  }
  std::string text() const { return "<g class=\"legend\">\n" + out.str() + "</g>\n"; }
};

struct plot_box {
  double left, top, right, bottom;
  double w() const { return right - left; }
  double h() const { return bottom - top; }
};

double map_x(const plot_box& b, const axis_scale& s, double v) { return b.left + (v - s.lo) / (s.hi - s.lo) * b.w(); }
double map_y(const plot_box& b, const axis_scale& s, double v) { return b.bottom - (v - s.lo) / (s.hi - s.lo) * b.h(); }

/// Plot background, grid lines, tick labels and the two axis titles.
std::string axes(const plot_box& b, const axis_scale* xs, const axis_scale& ys, const std::string& x_label,
                 const std::string& y_label) {
  std::ostringstream o;
  o << "<rect class=\"plot-area\" x=\"" << px(b.left) << "\" y=\"" << px(b.top) << "\" width=\"" << px(b.w())
    << "\" height=\"" << px(b.h()) << "\" fill=\"#f8fafc\" stroke=\"#94a3b8\"/>\n<g class=\"axis y-axis\">\n";
  for (double t : ys.ticks) {
    const double y = map_y(b, ys, t);
    o << "<line x1=\"" << px(b.left) << "\" x2=\"" << px(b.right) << "\" y1=\"" << px(y) << "\" y2=\"" << px(y)
      << "\" stroke=\"#e2e8f0\"/><line x1=\"" << px(b.left - 5) << "\" x2=\"" << px(b.left) << "\" y1=\"" << px(y)
      << "\" y2=\"" << px(y) << "\" stroke=\"#475569\"/><text x=\"" << px(b.left - 8) << "\" y=\"" << px(y + 4)
      << "\" text-anchor=\"end\">" << tick_label(t, ys.step) << "</text>\n";
  }
  o << "<text class=\"axis-title\" transform=\"translate(" << px(16) << ' ' << px((b.top + b.bottom) / 2)
    << ") rotate(-90)\" text-anchor=\"middle\" font-weight=\"600\">" << html_escape(y_label) << "</text>\n</g>\n";
  if (xs != nullptr) {
    o << "<g class=\"axis x-axis\">\n";
    for (double t : xs->ticks) {
      const double x = map_x(b, *xs, t);
      o << "<line x1=\"" << px(x) << "\" x2=\"" << px(x) << "\" y1=\"" << px(b.top) << "\" y2=\"" << px(b.bottom)
        << "\" stroke=\"#e2e8f0\"/><line x1=\"" << px(x) << "\" x2=\"" << px(x) << "\" y1=\"" << px(b.bottom)
        << "\" y2=\"" << px(b.bottom + 5) << "\" stroke=\"#475569\"/><text x=\"" << px(x) << "\" y=\""
        << px(b.bottom + 18) << "\" text-anchor=\"middle\">" << tick_label(t, xs->step) << "</text>\n";
    }
    o << "</g>\n";
  }
  o << "<text class=\"axis-title\" x=\"" << px((b.left + b.right) / 2) << "\" y=\"" << px(b.bottom + 40)
    << "\" text-anchor=\"middle\" font-weight=\"600\">" << html_escape(x_label) << "</text>\n";
  return o.str();
}

/// The data range padded by a few per cent, so no point sits on the frame; data that is never
/// negative keeps an axis that is not.
axis_scale padded_scale(double lo, double hi) {
  const double pad = (hi - lo) * 0.04;
  return nice_scale(lo >= 0.0 ? std::max(0.0, lo - pad) : lo - pad, hi + pad, 6);
}

}  // namespace

std::string html_escape(const std::string& raw) {
  // Control characters and bytes that are not UTF-8 shown as printable() shows them ("\u001b"),
  // line by line so that a line break stays one.
  std::string text;
  text.reserve(raw.size());
  for (std::size_t at = 0;;) {
    const std::size_t nl = raw.find('\n', at);
    text += printable(raw.substr(at, nl == std::string::npos ? std::string::npos : nl - at));
    if (nl == std::string::npos) break;
    text += '\n';
    at = nl + 1;
  }
  std::string out;
  out.reserve(text.size() + 8);
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

axis_scale nice_scale(double lo, double hi, int target) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) {
    lo = 0.0;
    hi = 1.0;
  }
  if (lo > hi) std::swap(lo, hi);
  if (hi - lo <= std::max(std::fabs(lo), std::fabs(hi)) * 1e-9) {
    // One value: a band of 10% either side of it (of 1 around zero).
    const double pad = lo == 0.0 ? 1.0 : std::fabs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const double raw = (hi - lo) / std::max(1, target);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10.0 * mag;
  for (double m : {1.0, 2.0, 2.5, 5.0}) {
    if (m * mag >= raw * (1.0 - 1e-9)) {
      step = m * mag;
      break;
    }
  }
  axis_scale s;
  s.step = step;
  s.lo = std::floor(lo / step + 1e-9) * step;
  s.hi = std::ceil(hi / step - 1e-9) * step;
  if (s.hi <= s.lo) s.hi = s.lo + step;
  const long n = std::lround((s.hi - s.lo) / step);
  for (long k = 0; k <= n; ++k) {
    double v = s.lo + static_cast<double>(k) * step;
    if (std::fabs(v) < step * 1e-9) v = 0.0;
    s.ticks.push_back(v);
  }
  return s;
}

std::string tick_label(double value, double step) {
  if (std::fabs(value) < std::fabs(step) * 1e-9) value = 0.0;
  const double a = std::fabs(value);
  double scale = 1.0;
  const char* suffix = "";
  if (a >= 1e12) scale = 1e12, suffix = "T";
  else if (a >= 1e9) scale = 1e9, suffix = "G";
  else if (a >= 1e6) scale = 1e6, suffix = "M";
  else if (a >= 1e4) scale = 1e3, suffix = "k";
  // As many decimals as it takes to write the step exactly (up to 6).
  const double s = std::fabs(step) / scale;
  int decimals = 0;
  while (decimals < 6) {
    const double m = s * std::pow(10.0, decimals);
    if (std::fabs(m - std::round(m)) < 1e-6 * std::max(1.0, m)) break;
    ++decimals;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value / scale);
  return (*suffix == '\0' ? commas(buf) : std::string(buf)) + suffix;
}

std::vector<bool> pareto_front(const std::vector<double>& x, const std::vector<double>& y) {
  const std::size_t n = std::min(x.size(), y.size());
  std::vector<bool> front(n, false);
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < n; ++i) {
    if (std::isfinite(x[i]) && std::isfinite(y[i])) order.push_back(i);
  }
  // Highest x first; within one x, highest y first. A point is on the front when no point of a
  // higher x has y at least as high and no point of its own x has a higher y.
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (x[a] != x[b]) return x[a] > x[b];
    if (y[a] != y[b]) return y[a] > y[b];
    return a < b;
  });
  double best_before = -INFINITY;
  for (std::size_t g = 0; g < order.size();) {
    std::size_t end = g;
    while (end < order.size() && x[order[end]] == x[order[g]]) ++end;
    const double top = y[order[g]];
    for (std::size_t k = g; k < end; ++k) front[order[k]] = y[order[k]] == top && top > best_before;
    best_before = std::max(best_before, top);
    g = end;
  }
  return front;
}

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
