// The plan for scripts and people: the JSON document (schema_version) and the table. Report layer:
// reads the results of search/ and fleet/; nothing below report/ includes this.
#pragma once

#include <string>

#include "search/plan.hpp"

namespace tokenplan {

struct fleet_result;

/// The plan as JSON text (schema_version 1), pretty-printed, with a trailing newline; with a
/// fleet, its allocation as the "fleet" section.
std::string plan_to_json(const plan_result& r, const fleet_result* fleet = nullptr);

/// The plan as a table for people.
std::string plan_to_table(const plan_result& r);

}  // namespace tokenplan
