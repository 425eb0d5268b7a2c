// The frontier of throughput per GPU against speed per user: for a tightening TPOT bound, the
// most tokens per second per GPU any feasible configuration serves. One search per point, on
// the plan's backend, with the plan's SLOs otherwise.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "search/backend.hpp"
#include "search/plan.hpp"

namespace tokenplan {

/// Traces up to `points` frontier points: the first under the workload's TPOT SLO, each next
/// one under `step` (0 < step < 1) times the previous point's TPOT, until no configuration is
/// feasible. Points that another point dominates (no fewer tokens/s per GPU and no slower per
/// user) are dropped. `base` carries threads, chunk, progress and cancel.
std::vector<pareto_point> trace_pareto(const problem& p, backend& be, const search_options& base, std::size_t points,
                                       double step = 0.75);

/// Output tokens per second one user sees: 1 / TPOT (speculation included in the TPOT).
double tokens_per_s_per_user(const evaluation& e);

/// The frontier for people: one row per point, a bar for tokens/s per GPU; fits 100 columns.
std::string pareto_table(const plan_result& r);

/// The frontier as a JSON array (the plan's "pareto").
nlohmann::ordered_json pareto_json(const plan_result& r);

}  // namespace tokenplan
