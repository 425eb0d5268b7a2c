// Private helpers of the report layer, shared by its .cpp files (no other layer includes this):
// printf-style numbers, the version the documents carry, and the GPUs a fleet adds.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "fleet/fleet.hpp"

#ifndef TOKENPLAN_VERSION
#define TOKENPLAN_VERSION "0.0.0-dev"
#endif

namespace tokenplan::detail {

inline std::string fmt(const char* f, double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, x);
  return buf;
}

/// A site's PUE (the facility power per IT power its cap is set in).
inline double site_pue(const fleet_result& r, std::size_t s) {
  return s < r.cluster.sites.size() ? r.cluster.sites[s].pue : 1.0;
}

/// The GPUs `added` adds to each pool, one line each ("+ 12 H200 at Riyadh (3.4k USD/day)"): the
/// fleet table's and the HTML report's shortfall, and the relaxed shortfall's "with them" lines.
std::vector<std::string> addition_lines(const fleet_result& r, const fleet_summary& added);

}  // namespace tokenplan::detail
