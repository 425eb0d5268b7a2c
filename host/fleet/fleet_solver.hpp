// The fleet allocation as a mixed-integer program, solved by branch and cut (GLPK or COIN-OR
// CBC, mip.hpp) to a proven relative gap: how many units of which serving configuration to run in which pool of GPUs (a site's
// own GPUs, or GPUs on offer for a site), hour by hour, so every class of demand is met within
// each pool's GPUs and each site's power cap at the least cost per day; or, for the capacity
// question, the largest multiple of the demand the GPUs can carry.
//
// Plain numbers in, plain numbers out: the model knows nothing about files, so tests can build
// small cases by hand.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "io/loaders.hpp"
#include "fleet/mip.hpp"

namespace tokenplan {

/// One class of demand (a model with its request shape), in requests per second.
struct fleet_class {
  std::string name;
  std::vector<double> interactive_rps;  ///< per period: must be served in that period
  double deferrable_rps = 0.0;          ///< daily average that may be served in any period
};

/// Where GPUs run: a site's own GPUs, or GPUs of a type on offer for the site.
struct fleet_pool {
  std::size_t site = 0;  ///< index into fleet_model::sites
  std::string gpu;
  bool offer = false;          ///< GPUs that are not there yet (bought or leased if needed)
  double gpus_now = 0.0;       ///< usable without expansion
  double expansion_max = 0.0;  ///< more GPUs allowed when expansion is on; < 0 unlimited
  double gpus_per_node = 8.0;
  double kw_per_gpu = 0.0;     ///< IT power per GPU at full load
  site_pricing pricing;
  double paid_minimum = 0.0;   ///< GPUs paid whether used or not (committed lease, owned)
  double usd_per_kwh = 0.0;
  double pue = 1.0;
  double spare_fraction = 0.0; ///< spare nodes per serving node (N+k), committed pools only

  bool on_demand() const { return pricing.kind == pricing_kind::on_demand; }
  /// Held cost of one GPU for a day (lease, capital charge, node costs), energy excluded.
  double held_usd_per_gpu_day() const { return pricing.usd_per_gpu_hour_held(static_cast<std::uint32_t>(gpus_per_node)) * 24.0; }
  /// Energy of one GPU at full load for an hour, at the site's PUE and price (0 when included).
  double energy_usd_per_gpu_hour() const { return pricing.pays_energy() ? kw_per_gpu * pue * usd_per_kwh : 0.0; }
};

/// A serving configuration of one class in one pool, in units that fill whole nodes: an
/// instance of a node or more is one unit; smaller instances share a node, which is one unit.
/// Disaggregated configurations have a prefill unit ([0]) and a decode unit ([1]) sized apart;
/// aggregated ones use [0] only.
struct fleet_option {
  std::size_t cls = 0, pool = 0;
  bool disaggregated = false;
  double unit_gpus[2] = {0, 0};
  double unit_nodes[2] = {0, 0};
  double unit_rps[2] = {0, 0};  ///< requests/s one unit serves at its planned utilisation
  std::size_t tag = 0;          ///< caller's reference (which candidate configuration)
};

/// A site's power cap (IT kW; 0 = none).
struct fleet_site {
  std::string name;
  double power_cap_it_kw = 0.0;
};

/// Everything the solver needs.
struct fleet_model {
  std::vector<double> period_hours;  ///< lengths of the day's periods, summing to 24
  std::vector<fleet_class> classes;
  std::vector<fleet_site> sites;
  std::vector<fleet_pool> pools;
  std::vector<fleet_option> options;
};

enum class fleet_goal {
  min_cost,   ///< meet the demand at the least cost per day
  max_scale,  ///< the largest multiple of the demand the GPUs can serve (cost ignored)
  min_power_over,  ///< the least IT kW over the sites' caps (soft_power_caps; cost ignored)
  min_gpus_over,   ///< the fewest GPUs beyond the pools' limits (soft_gpu_limits; cost ignored)
  /// the least sum over sites of kW over the cap / the cap (soft_power_caps; cost ignored): of
  /// the splits with the least total, the one that stretches each site's cap the least
  min_power_over_share,
};

/// The solver's answer. Vectors are indexed like the model's options, pools, classes, periods.
struct fleet_solution {
  bool solved = false;          ///< an integer-feasible solution was found
  bool proven_optimal = false;  ///< proven within mip_gap of the optimum (outcome optimal)
  mip_outcome outcome = mip_outcome::no_solution;
  std::string solver;           ///< "glpk" or "cbc"
  std::string library;          ///< with its version: "CBC 2.10.8"
  std::string status;           ///< what happened, for people
  double objective = 0.0;       ///< USD/day (min_cost) or the scale (max_scale)
  /// The solver's proven bound on the optimum (lower for min_cost, upper for max_scale), with
  /// the same tie-breaking terms taken off as from the objective; +-inf when it proved none.
  double bound = 0.0;
  /// |objective - bound| / |objective|: how far from optimal the answer may be; inf unknown.
  double gap = 0.0;
  double mip_gap = 0.0;         ///< the gap asked for
  double time_limit_s = 0.0;    ///< the time limit asked for (inf: none)
  double scale = 1.0;           ///< multiple of the demand served
  std::vector<double> units[2];                   ///< committed units per option
  std::vector<std::vector<double>> od_units[2];   ///< on-demand units per option per period
  std::vector<std::vector<double>> flow;          ///< requests/s served per option per period
  std::vector<std::vector<double>> deferred;      ///< deferrable requests/s per class per period
  std::vector<double> spare_nodes;                ///< per pool
  std::vector<double> gpus_used;                  ///< per pool: committed GPUs incl. spares
  std::vector<std::vector<double>> od_gpus;       ///< per pool per period
  std::vector<double> paid_gpus;                  ///< per pool: max(paid minimum, used)
  std::vector<double> power_over_kw;              ///< per site: IT kW over its cap (soft caps; else 0)
  std::vector<double> gpus_over;                  ///< per pool: GPUs beyond its limit (soft limits; else 0)
  std::size_t rows = 0, columns = 0, integers = 0;
  double seconds = 0.0;
};

struct fleet_solve_options {
  fleet_goal goal = fleet_goal::min_cost;
  bool allow_expansion = false;  ///< let pools grow past gpus_now (and offers be used)
  /// Per pool, GPUs usable instead of gpus_now (growth runway); empty: gpus_now.
  std::vector<double> gpus_override;
  /// Soft limits, for saying by how much a target misses: a site's IT power may exceed its cap
  /// (a column of kW over the cap per site), a pool may hold more GPUs than its limit (a column
  /// of GPUs beyond it per pool). Capped in total by the two maxima (inf: no cap).
  bool soft_power_caps = false;
  bool soft_gpu_limits = false;
  double power_over_max_kw = mip_problem::inf;
  /// Per site, the most IT kW over its cap (soft_power_caps); empty: no per-site bound.
  std::vector<double> power_over_site_max_kw;
  double gpus_over_max = mip_problem::inf;
  mip_solver solver = default_mip_solver();
  double time_limit_s = mip_problem::inf;  ///< per solve, s (> 0); inf: none
  double mip_gap = 1e-3;                   ///< stop when proven within this relative gap (>= 0)
  const std::atomic<bool>* cancel = nullptr;  ///< Ctrl-C / SIGTERM (mip_options::cancel)
};

/// A relative MIP gap for people, in percent to three significant digits: "0.0607%", "0%";
/// a gap above 0 but under 0.0001% is "<0.0001%" (not "2.42e-09%"); "unknown" when not finite.
std::string gap_percent_text(double gap);

/// Solves the allocation. Never throws for an infeasible model or a time limit: solved is false
/// (or proven_optimal false) and status says why. Throws runtime_failure when the solver fails
/// outright or is not in this build.
fleet_solution solve_fleet(const fleet_model& m, const fleet_solve_options& o);

/// When even the expansion is infeasible: the least relaxation of the limits that meets the
/// demand, then the least cost with it. First the power caps alone are relaxed (least total IT
/// kW over the caps; of the splits between sites with that total, the least sum of kW over / cap;
/// then the least cost with each site held to its share); if the GPUs on offer are too few even
/// then, the pools' limits too (fewest GPUs beyond them first). Each stage is its own solve
/// (three or four in all). `o.goal` is ignored. The answer's
/// power_over_kw and gpus_over say what binds and by how much; solved is false only when no
/// relaxation helps (a class without any configuration) or a time limit ran out.
fleet_solution solve_fleet_shortfall(const fleet_model& m, const fleet_solve_options& o);

/// Checks the model's numbers (positive capacities, periods summing to 24, ...); throws
/// std::invalid_argument naming the first bad one.
void check_fleet_model(const fleet_model& m);

}  // namespace tokenplan
