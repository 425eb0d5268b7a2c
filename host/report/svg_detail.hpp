// Private drawing pieces of the SVG charts, shared by svg.cpp and the chart kinds (svg_scatter.cpp,
// svg_bars.cpp, svg_hourly.cpp): the palette, coordinates, the <svg> opening, legends and axes.
#pragma once

#include <cstddef>
#include <sstream>
#include <string>
#include <vector>

#include "report/svg.hpp"

namespace tokenplan::detail {

// Colour-blind-safe enough at these hues; series and segments cycle through them.
inline const char* const palette[] = {"#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#a16207", "#db2777"};
inline constexpr std::size_t palette_size = sizeof palette / sizeof palette[0];

inline constexpr double char_px = 6.6;  // mean advance of a 12 px sans-serif character, for layout

/// The colour of series or segment `i`: its entry in `colors`, else the palette's.
std::string color_of(const std::vector<std::string>& colors, std::size_t i);

/// A coordinate, to 0.1 px.
std::string px(double v);

/// Digits as printf writes them with thousands separators: -1234567.5 -> -1,234,567.5.
std::string commas(const std::string& digits);

/// Code points in UTF-8 text (for its width).
std::size_t text_chars(const std::string& s);

/// Opens the chart's <svg> with a white background.
std::string svg_open(const std::string& name, int width, int height, const std::string& label);

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

inline double map_x(const plot_box& b, const axis_scale& s, double v) { return b.left + (v - s.lo) / (s.hi - s.lo) * b.w(); }
inline double map_y(const plot_box& b, const axis_scale& s, double v) { return b.bottom - (v - s.lo) / (s.hi - s.lo) * b.h(); }

/// Plot background, grid lines, tick labels and the two axis titles.
std::string axes(const plot_box& b, const axis_scale* xs, const axis_scale& ys, const std::string& x_label,
                 const std::string& y_label);

}  // namespace tokenplan::detail
