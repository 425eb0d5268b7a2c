// Inline SVG charts for the HTML report: what every chart draws with (coordinates, the <svg>
// opening, axes with round ticks and units), text escaping and the Pareto front. Each chart kind
// has its file (svg_scatter.cpp, svg_bars.cpp, svg_hourly.cpp); tooltips are <title> elements,
// every piece of text is escaped, and sizes are fixed so a browser test knows where each is drawn.
#include "report/svg.hpp"
#include "report/svg_detail.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "base/text.hpp"

namespace tokenplan {

namespace {

const char* const font = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif";

}  // namespace

namespace detail {

std::string color_of(const std::vector<std::string>& colors, std::size_t i) {
  if (i < colors.size() && !colors[i].empty()) return html_escape(colors[i]);
  return palette[i % palette_size];
}

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

std::size_t text_chars(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xc0) != 0x80;
  return n;
}

std::string svg_open(const std::string& name, int width, int height, const std::string& label) {
  std::ostringstream o;
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart-svg\" data-chart=\"" << html_escape(name)
    << "\" width=\"" << width << "\" height=\"" << height << "\" viewBox=\"0 0 " << width << ' ' << height
    << "\" role=\"img\" aria-label=\"" << html_escape(label) << "\" font-family=\"" << font
    << "\" font-size=\"12\" fill=\"#0f172a\">\n";
  o << "<rect class=\"bg\" x=\"0\" y=\"0\" width=\"" << width << "\" height=\"" << height << "\" fill=\"#ffffff\"/>\n";
  return o.str();
}

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

}  // namespace detail

using detail::commas;

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

}  // namespace tokenplan
