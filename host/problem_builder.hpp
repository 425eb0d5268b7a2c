// Assembles the device-ready problem from loaded files and checks what only shows when the files
// meet: a workload longer than the model's context, grid sites the cluster lacks, precisions the
// workload forbids.
#pragma once

#include <memory>

#include "loaders.hpp"
#include "tokenplan/specs.hpp"

namespace tokenplan {

/// Every input of a plan, as loaded.
struct plan_inputs {
  cluster_entry cluster;
  model_entry model;
  workload_entry workload;
  grid_request grid;
  objective goal = objective_cost;
};

/// Builds the problem (heap-allocated: it is tens of kilobytes). Throws config_error.
std::unique_ptr<problem> build_problem(const plan_inputs& in);

/// "cost" | "gpus" | "tokens-per-gpu".
const char* objective_name(objective goal);
bool parse_objective(const std::string& s, objective* out);

}  // namespace tokenplan
