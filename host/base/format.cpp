// Numbers and text for people: counts with thousands separators, short numbers, word wrapping to
// the table width chosen on the command line.
#include "base/format.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "base/text.hpp"

namespace tokenplan {

std::uint64_t as_count(double x) { return x <= 0.0 ? 0 : static_cast<std::uint64_t>(std::llround(x)); }

std::string group_digits(std::uint64_t v) {
  std::string s = std::to_string(v);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<std::size_t>(i), ",");
  return s;
}

std::string short_number(double x) {
  if (x == 0.0) x = 0.0;  // -0 (a difference or product that came out as negative zero) prints as 0
  char buf[32];
  double a = std::fabs(x);
  if (a >= 1e12) std::snprintf(buf, sizeof buf, "%.2fT", x / 1e12);
  else if (a >= 1e9) std::snprintf(buf, sizeof buf, "%.2fG", x / 1e9);
  else if (a >= 1e6) std::snprintf(buf, sizeof buf, "%.2fM", x / 1e6);
  else if (a >= 1e4) std::snprintf(buf, sizeof buf, "%.0fk", x / 1e3);
  else if (a >= 100) std::snprintf(buf, sizeof buf, "%.0f", x);
  else std::snprintf(buf, sizeof buf, "%.3g", x);
  return buf;
}

namespace {
std::size_t g_table_width = 80;
}  // namespace

std::size_t table_width() { return g_table_width; }

void set_table_width(std::size_t columns) { g_table_width = columns; }

std::string wrap(const std::string& raw, std::size_t width, std::size_t indent) {
  if (width == 0) width = table_width();
  const std::string text = printable(raw);  // lines of the text reports carry names from inputs
  std::string out, line;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find(' ', pos);
    if (end == std::string::npos) end = text.size();
    const std::string word = text.substr(pos, end - pos);
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      out += line + "\n";
      line = std::string(indent, ' ') + word;
    } else {
      line += (line.empty() || line.back() == ' ' ? "" : " ") + word;
    }
    pos = end + 1;
  }
  if (!line.empty()) out += line + "\n";
  return out;
}

std::string fit_to_width(const std::string& text) {
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    const bool newline = end != std::string::npos;
    if (!newline) end = text.size();
    const std::string line = text.substr(pos, end - pos);
    if (line.size() <= table_width()) {
      out += line + (newline ? "\n" : "");
    } else {
      const std::size_t indent = std::min<std::size_t>(line.find_first_not_of(' '), table_width() / 2);
      std::string wrapped = wrap(line.substr(indent), table_width() - indent, 2);
      std::string shifted;
      for (std::size_t p = 0; p < wrapped.size();) {
        const std::size_t e = wrapped.find('\n', p);
        shifted += std::string(indent, ' ') + wrapped.substr(p, e - p) + "\n";
        p = e + 1;
      }
      if (!newline && !shifted.empty()) shifted.pop_back();
      out += shifted;
    }
    pos = end + 1;
  }
  return out;
}

}  // namespace tokenplan
