// The fleet for scripts and people: the plan's "fleet" section, the demand-file plan document,
// the capacity answer, and the short tables. Report layer: reads fleet/ results.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fleet/fleet.hpp"

namespace tokenplan {

/// The fleet as a JSON object (the plan's "fleet" section).
nlohmann::ordered_json fleet_json(const fleet_result& r);

/// The fleet as a short report for people (100 columns).
std::string fleet_table(const fleet_result& r);

/// When even the expansion is infeasible: what binds and by how much (MW over each site's cap,
/// GPUs beyond each pool's limit) and the additions with them, one line each; empty otherwise.
std::vector<std::string> fleet_relaxed_lines(const fleet_result& r);

/// The capacity answer alone (tokenplan capacity), JSON and table.
std::string capacity_json_text(const fleet_result& r);
std::string capacity_table(const fleet_result& r);

/// The demand-file plan as a whole JSON document (schema_version, inputs, classes, fleet).
std::string fleet_plan_json_text(const fleet_result& r);

}  // namespace tokenplan
