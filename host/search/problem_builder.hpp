// Assembles the device-ready problem from loaded files and checks what only shows when the files
// meet: a workload longer than the model's context, grid sites the cluster lacks, precisions the
// workload forbids, an engine the calibration does not know.
#pragma once

#include <memory>

#include "io/loaders.hpp"
#include "io/overrides.hpp"
#include "tokenplan/specs.hpp"

namespace tokenplan {

/// Every input of a plan, as loaded.
struct plan_inputs {
  calibration cal;
  cluster_entry cluster;
  model_entry model;
  workload_entry workload;
  grid_request grid;
  std::string engine;  ///< resolved engine name (workload's, --engine, or the reference)
  objective goal = objective_cost;
  input_overrides overrides;  ///< what the command line changed, as applied (reported, already in the above)
};

/// Builds the problem (heap-allocated: it is tens of kilobytes). Throws config_error.
std::unique_ptr<problem> build_problem(const plan_inputs& in);

/// "cost" | "gpus" | "tokens-per-gpu".
const char* objective_name(objective goal);
bool parse_objective(const std::string& s, objective* out);

/// Resolves the engine name for a plan: `requested` (from --engine) if given, else the
/// workload's, else the calibration's reference. Throws config_error/usage_error when unknown.
std::string resolve_engine(const calibration& cal, const workload_entry& w, const std::string& requested);

}  // namespace tokenplan
