// Numbers and text for people: counts, short numbers, the table width and word wrapping. Base
// layer: the standard library only.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

namespace tokenplan {

/// Rounds a non-negative count held in a double.
std::uint64_t as_count(double x);

/// 1,234,567
std::string group_digits(std::uint64_t v);

/// 5.12M, 834k, 12.3 (never "-0")
std::string short_number(double x);

/// Columns the tables for people fit: 80 by default (a standard terminal), 100 with --wide, where
/// the tables also show more columns. Set once per command from its command line.
std::size_t table_width();
void set_table_width(std::size_t columns);
/// True with --wide: the tables show every column.
inline bool wide_tables() { return table_width() > 80; }

/// Word-wraps `text` to `width` columns (0: table_width()); continuation lines start with
/// `indent` spaces. Control characters from inputs are escaped (printable()).
std::string wrap(const std::string& text, std::size_t width = 0, std::size_t indent = 2);

/// Re-wraps every line of `text` longer than table_width() at its spaces, continuation lines
/// indented two more than the line's own indentation; shorter lines stay as they are.
std::string fit_to_width(const std::string& text);

/// How much more `runner_up` costs than `winner`, in percent; 0 when the winner costs nothing
/// (a site priced at 0), where a ratio has no meaning.
inline double cost_percent(double runner_up, double winner) {
  return winner > 0.0 ? 100.0 * (runner_up / winner - 1.0) : 0.0;
}

/// x for printf's "%+.Nf": values that round to zero at `decimals` become +0, so a difference of
/// -0.3 ms prints "+0", not "-0".
inline double signed_rounded(double x, int decimals) {
  double scale = 1.0;
  for (int i = 0; i < decimals; ++i) scale *= 10.0;
  return std::fabs(x) * scale < 0.5 ? 0.0 : x;
}

}  // namespace tokenplan
