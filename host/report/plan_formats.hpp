// CSV (RFC 4180) and GitHub Markdown renderings of plans, demand plans and capacity answers, for
// spreadsheets, dashboards and pull requests. Numbers are written without the locale: '.' is
// the decimal point and there are no thousands separators in CSV, whatever LC_NUMERIC says.
#pragma once

#include <string>

#include "fleet/fleet.hpp"
#include "search/plan.hpp"

namespace tokenplan {

/// One CSV field: quoted (with inner quotes doubled) when it holds a comma, quote, CR or LF.
std::string csv_field(const std::string& s);

/// A number for CSV: up to 10 significant digits, '.' as the decimal point, no grouping.
std::string csv_number(double x);

/// The ranked configurations of a plan: a header with units in the column names, then one row
/// per rank. Pool columns (tp, pp, ep, dp, chunk_tokens, batch_per_rank) describe the
/// aggregated pool or, when disaggregated, the decode pool; prefill_* columns the prefill pool
/// (empty when aggregated). No feasible configuration: the header alone.
std::string plan_to_csv(const plan_result& r);

/// A demand plan's allocation: one row per site/GPU pool and configuration that serves in it.
std::string fleet_to_csv(const fleet_result& f);

/// A plan as Markdown: the inputs, the ranked configurations as a table, why rank 1 wins (or
/// why nothing is feasible), the Pareto frontier if traced, and the fleet summary.
std::string plan_to_markdown(const plan_result& r, const fleet_result& f);

/// A demand plan as Markdown: the classes, the allocation by site, cost, shortfall, capacity.
std::string fleet_to_markdown(const fleet_result& f);

/// The capacity answer as Markdown.
std::string capacity_to_markdown(const fleet_result& f);

}  // namespace tokenplan
