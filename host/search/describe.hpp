// Names and JSON of one configuration and its evaluation, shared by plan, explain, validate, sweep
// and the reports: one place that names every metric (units in the names) and every roofline
// verdict. Search layer: includes io/, base/ and the model only.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "search/problem_builder.hpp"
#include "tokenplan/model.hpp"
#include "tokenplan/search.hpp"

namespace tokenplan {

using ojson = nlohmann::ordered_json;

/// "compute", "memory", "latency", "network" or "none" for a step component.
const char* bound_name(const step_breakdown& b, int component);

/// The check that ruled out the most configurations of a search (the first such on a tie), for
/// "infeasible: tpot" in tables and rows.
std::uint8_t dominant_reason(const search_stats& s);

/// Short layout code: t8, t1e32d32, t8p2.
std::string layout_code(const layout& l);

/// One line for a configuration: "P:t1e16d16 c8192 | D:t1e8d16 b152 fp8/bf16" or
/// "t1p2 b95 c8192 fp8/fp8" (+sN with N speculative drafts).
std::string option_code(const serving_config& c);

/// The configuration: site, GPU, mode, formats, and each pool's layout, chunk and batch.
ojson config_json(const plan_inputs& in, const serving_config& c);

/// One pool: instances, memory per GPU by part, step time by component with its bound, latency
/// and capacity.
ojson pool_json(const pool_metrics& p, bool prefill_pool);

/// A whole evaluation: config, verdict, latency, pools, fleet, cost and capacity.
ojson evaluation_json(const plan_inputs& in, const problem& p, const evaluation& e);

}  // namespace tokenplan
