// Fleet planning: demand as a mix of model classes over a day, the best serving configurations
// of each class on each kind of hardware the cluster has (or is offered), and the allocation of
// capacity across sites at the least cost (fleet_solver), with the shortfall when the cluster is
// not enough, the capacity question (how much demand the cluster can carry, and what binds),
// money and power, utilisation over the day, and the month the fleet runs out under growth.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "fleet/fleet_solver.hpp"
#include "io/loaders.hpp"
#include "search/plan.hpp"

namespace tokenplan {

/// One class of the demand: a model serving requests of one shape, a share of the tokens.
struct demand_class {
  std::string name;
  double share = 1.0;          ///< of the daily tokens (input + output)
  model_entry model;
  workload_entry workload;     ///< lengths, SLOs, precisions; its tokens_per_day is replaced
  grid_request grid;
  std::string engine;          ///< resolved engine name
};

/// A demand file (configs/demands/), or one model and workload seen as a demand.
struct demand_entry {
  std::string name;
  std::string description;
  input_file file;                 ///< empty path when made from --model/--workload
  double tokens_per_day = 0.0;
  std::vector<demand_class> classes;
  std::vector<double> hourly;      ///< 24 shares of the day's traffic (sum 1), or empty
  double peak_to_average = 1.0;    ///< used when hourly is empty
  std::string profile_timezone;    ///< as the file says (free text)
  double deferrable_share = 0.0;   ///< of the tokens: batch work that may run in any hour
  double monthly_growth = 0.0;     ///< demand x (1 + g) per month
  std::string start_month;         ///< "YYYY-MM" the target applies to; "" if not given
};

/// Loads a demand file. Class models and workloads are shipped names or paths relative to
/// the demand file. Grids (optional per class) likewise.
demand_entry load_demand(const std::string& path, const config_roots& roots, const calibration& cal);

/// One model and workload (and grid, engine) as a one-class demand: the workload's tokens and
/// peak-to-average, no deferrable share, no growth.
demand_entry single_demand(const plan_inputs& in);

/// A kind of hardware the grid search sizes configurations for: a GPU type with a node size and
/// a scale-out network (sites differing only in price share one).
struct fleet_profile {
  std::uint32_t gpu_index = 0;
  std::uint32_t gpus_per_node = 8;
  double scale_out_gb_per_s = 0.0;
  double scale_out_latency_us = -1.0;
  std::string label;  ///< "h200-sxm x8 (RoCE 400G)"
};

/// A configuration of one class on one profile, as the search found it.
struct fleet_candidate {
  std::size_t cls = 0, profile = 0;
  evaluation eval{};
  fleet_option unit;  ///< per-unit GPUs, nodes and requests/s (cls set, pool unset)
  double prefill_share = 0.0;
};

/// The search behind one (class, profile).
struct fleet_search {
  std::size_t cls = 0, profile = 0;
  search_stats stats;
  std::string most_restrictive;  ///< reason that ruled out the most configurations
  std::string limit;             ///< what stops the best configuration from a larger batch
  std::string limit_detail;
  std::string no_configuration;  ///< when nothing is feasible: the binding check with numbers, per GPU
};

/// Where a pool comes from.
struct pool_origin {
  std::size_t site = 0;
  bool offer = false;
  std::size_t offer_index = 0;
  std::size_t profile = 0;
};

/// A pool's share of a solution, for reports.
struct pool_report {
  double gpus_now = 0, gpus_used = 0, gpus_paid = 0, gpus_free = 0, extra_gpus = 0;
  double nodes = 0, spare_nodes = 0;
  double od_gpu_hours = 0;             ///< on-demand pools: GPU-hours per day
  double it_kw = 0, facility_kw = 0;   ///< at full load of what is held (peak for on-demand)
  double held_usd_per_day = 0;         ///< lease / on-demand / capital charge, node costs
  double capital_usd_per_day = 0;      ///< of which owned capital
  double node_usd_per_day = 0;         ///< of which node costs (committed pools; on-demand prices include them)
  double energy_usd_per_day = 0;
  double cost_usd_per_day = 0;
};

/// Money, power and time-of-day figures of one solution.
struct fleet_summary {
  std::vector<pool_report> pools;
  double cost_usd_per_day = 0, lease_usd_per_day = 0, on_demand_usd_per_day = 0, capital_usd_per_day = 0,
         node_usd_per_day = 0, energy_usd_per_day = 0;
  double it_mw = 0, facility_mw = 0;
  double gpus_paid = 0, gpus_used = 0, nodes = 0;
  double usd_per_million_tokens = 0, usd_per_million_input = 0, usd_per_million_output = 0;
  std::vector<double> class_usd_per_day, class_usd_per_million_input, class_usd_per_million_output;
  std::vector<double> utilisation;  ///< per period: GPUs busy over GPUs held
  double trough_idle_share = 0;     ///< 1 - the lowest utilisation
};

/// A binding constraint of the capacity question.
struct binding_item {
  std::string kind;    ///< "gpus", "power", "no_configuration"
  std::string where;   ///< site, pool or class
  std::string detail;  ///< one sentence with numbers
};

/// The month the fleet runs out under growth.
struct runway_result {
  bool computed = false;
  bool runs_out = false;
  std::string month;        ///< "YYYY-MM" (or "month N" without a start month)
  int months = 0;           ///< from the start
  std::vector<std::pair<std::string, double>> capacity_by_month;  ///< capacity multiple after each delivery
  std::string note;
};

struct fleet_request {
  plan_request base;           ///< cluster, calibration, backend, threads, chunk, progress
  std::string demand_path;     ///< a demand file; empty: base.model_path + base.workload_path
  config_roots roots;          ///< where names in a demand file are looked up
  std::size_t candidates = 4;  ///< configurations per class and profile offered to the allocation
  mip_solver solver = default_mip_solver();
  double time_limit_s = mip_problem::inf;  ///< per MIP solve, s; inf: none
  double mip_gap = 1e-3;                   ///< relative gap each MIP solve must prove
};

struct fleet_result {
  calibration cal;
  cluster_entry cluster;     ///< as restricted by --gpu
  input_overrides overrides; ///< what the command line changed, as applied
  demand_entry demand;
  std::string backend_name, backend_device, backend_note;
  std::vector<double> period_hours;
  std::vector<fleet_profile> profiles;
  std::vector<fleet_search> searches;
  std::vector<fleet_candidate> candidates;
  std::vector<pool_origin> origins;  ///< per pool of `model`
  fleet_model model;
  fleet_solution plan;       ///< with the GPUs there are (solved: the target fits)
  fleet_summary plan_summary;
  bool needs_expansion = false;
  fleet_solution expansion;  ///< the least-cost plan with more GPUs, when `plan` is infeasible
  fleet_summary expansion_summary;
  /// When even the expansion is infeasible: the least relaxation of the power caps (and, if
  /// the GPUs on offer are too few, of the pools' limits) that meets the demand, at the least
  /// cost then (solve_fleet_shortfall); its power_over_kw and gpus_over say what binds.
  bool relaxed_computed = false;
  fleet_solution relaxed;
  fleet_summary relaxed_summary;
  fleet_solution capacity;   ///< largest multiple of the demand the GPUs there are can carry
  std::vector<binding_item> binding;
  runway_result runway;
  std::vector<std::unique_ptr<problem>> problems;  ///< per search, for evaluation reports
  std::vector<plan_inputs> problem_inputs;
  double elapsed_s = 0.0;
  /// The solution the report shows: the plan if it fits, else the expansion.
  const fleet_solution& chosen() const { return needs_expansion ? expansion : plan; }
  const fleet_summary& chosen_summary() const { return needs_expansion ? expansion_summary : plan_summary; }
};

/// Runs the fleet plan end to end (throws config_error, usage_error, runtime_failure).
fleet_result run_fleet(const fleet_request& req);

/// Figures of a solution (public for tests).
fleet_summary summarize_fleet(const fleet_result& r, const fleet_solution& s);

}  // namespace tokenplan
