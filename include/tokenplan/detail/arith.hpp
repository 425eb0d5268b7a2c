// Backend-identical arithmetic of the model: max, min, ceil and floor of non-negative doubles, and
// whole powers by repeated squaring. No library calls, so the CPU and CUDA backends compute the
// same bits. Internal to the model (namespace detail): callers outside include/ must not use it.
// Includes only hd.hpp and the standard library.
#pragma once

#include <cstdint>

#include "tokenplan/hd.hpp"

namespace tokenplan {
namespace detail {

TOKENPLAN_HD inline double max2(double a, double b) { return a > b ? a : b; }
TOKENPLAN_HD inline double min2(double a, double b) { return a < b ? a : b; }

/// Smallest integer >= x for x >= 0; values from 2^52 up are already integers.
TOKENPLAN_HD inline double ceil_pos(double x) {
  if (!(x < 4503599627370496.0)) return x;
  double f = static_cast<double>(static_cast<std::uint64_t>(x));
  return f < x ? f + 1.0 : f;
}

/// Largest integer <= x for x >= 0.
TOKENPLAN_HD inline double floor_pos(double x) {
  if (!(x < 4503599627370496.0)) return x;
  return static_cast<double>(static_cast<std::uint64_t>(x));
}

/// ceil(a / b) for a >= 0, b > 0.
TOKENPLAN_HD inline double ceil_div(double a, double b) { return ceil_pos(a / b); }

/// base^n for a whole n >= 0, by repeated squaring: the same operations on every backend.
TOKENPLAN_HD inline double pow_whole(double base, double n) {
  double result = 1.0;
  std::uint64_t e = static_cast<std::uint64_t>(min2(n, 1e18));
  while (e > 0) {
    if (e & 1u) result *= base;
    base *= base;
    e >>= 1;
  }
  return result;
}

}  // namespace detail
}  // namespace tokenplan
