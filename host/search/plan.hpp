// A plan end to end: load the files, build the problem, search the grid on a backend, and
// evaluate the winners in full. Reports turn the result into JSON or a table.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "search/backend.hpp"
#include "search/infeasible.hpp"
#include "io/overrides.hpp"
#include "search/problem_builder.hpp"

namespace tokenplan {

/// What the user asked for.
struct plan_request {
  std::string cluster_path;
  std::string model_path;
  std::string workload_path;
  std::string grid_path;              ///< empty: the built-in grid
  std::vector<std::string> gpu_dirs;  ///< where GPU names in the cluster file are looked up
  std::string calibration_path;       ///< fitted factors (configs/calibration.json)
  std::string engine;                 ///< serving engine; empty: the workload's or the reference
  input_overrides overrides;          ///< --target, --isl, --osl, --ttft, --tpot, --gpu
  objective goal = objective_cost;
  std::uint64_t top_n = 20;
  std::size_t pareto_points = 0;      ///< > 0: also trace the throughput/interactivity frontier
  std::string backend = "auto";
  int threads = 0;
  std::uint64_t chunk_configs = 1ull << 20;
  std::function<void(std::uint64_t, std::uint64_t)> progress;
  const std::atomic<bool>* cancel = nullptr;  ///< set by Ctrl-C: stop and throw interrupted_error
};

/// Why the winner wins: the constraint that stops it from growing its batch, and the best
/// configuration that differs from it in structure (site, mode, weight format or layouts).
struct win_analysis {
  std::string binding;         ///< a reason name, "batch_axis_end", "objective" (the next batch is feasible but ranks lower) or "tie" (it ties and loses the tie-break)
  std::string binding_detail;  ///< one sentence with the numbers
  bool has_runner_up = false;
  std::size_t runner_up_rank = 0;  ///< 1-based rank in the full ranking
  evaluation runner_up{};
};

/// A point of the frontier of tokens/s per GPU against tokens/s per user: the most tokens per
/// GPU any feasible configuration serves with its TPOT within `tpot_bound_s`.
struct pareto_point {
  double tpot_bound_s = 0.0;
  evaluation eval{};  ///< fully evaluated
};

/// What the plan found.
struct plan_result {
  plan_inputs inputs;
  std::unique_ptr<problem> prob;
  search_stats stats;
  std::vector<evaluation> top;  ///< full evaluations, rank order
  win_analysis why;             ///< valid when top is not empty
  infeasible_explanation no_feasible;  ///< computed when top is empty
  std::vector<pareto_point> pareto;    ///< with pareto_points > 0: throughput end first
  double pareto_elapsed_s = 0.0;
  std::string backend_name;
  std::string backend_device;
  std::string backend_note;     ///< why auto did not pick CUDA, if it did not
  double elapsed_s = 0.0;       ///< whole run: load, search, evaluate
};

/// What stops a feasible configuration from running a larger batch (the next value on the grid's
/// batch axis): an SLO, memory, the step budget, or nothing (it ranks lower, or ties).
void find_binding(const problem& p, const evaluation& best, win_analysis& w);

/// Loads and validates every input file of the request (throws config_error), then applies the
/// command-line overrides (throws usage_error when they do not fit).
plan_inputs load_plan_inputs(const plan_request& req);

/// Runs the plan. Throws config_error, usage_error or runtime_failure.
plan_result run_plan(const plan_request& req);

/// Runs the plan on inputs already loaded (and possibly changed, as tokenplan sweep does); of
/// `req` only the search settings count (top_n, backend, threads, chunk, progress, cancel).
plan_result run_plan(plan_inputs inputs, const plan_request& req);

/// Output schema version written into every JSON document.
constexpr const char* plan_schema_version = "1.4.0";

/// The head every JSON document starts with: schema_version, tool (name, version) and command.
nlohmann::ordered_json json_document(const char* command);

}  // namespace tokenplan
