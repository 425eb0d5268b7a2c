// Loaders for the config files under configs/: calibration, GPU, model, workload, cluster and
// grid. Each validates every field (type, range, unknown keys) and throws config_error naming the
// file and the JSON path.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "io/json_reader.hpp"
#include "tokenplan/specs.hpp"

namespace tokenplan {

/// The fitted factors of one GPU family (Hopper, Blackwell, ...).
struct efficiency_factors {
  double gemm = 0;                ///< achieved fraction of dense peak
  double hbm = 0;                 ///< achieved fraction of HBM bandwidth
  double layer_overhead_s = 0;    ///< per layer per step
  double step_overhead_s = 0;     ///< per engine step
  double sequence_overhead_s = 0; ///< per sequence per engine step
  double alltoall_latency_s = 0;  ///< fixed cost of one EP dispatch or combine
  double moe_overlap = 0;         ///< share two-batch overlap hides
  double expert_imbalance = 1;    ///< busiest GPU's routed tokens over the mean
  double allreduce_latency_s = 0; ///< fixed cost of one TP all-reduce (alpha)
  double allreduce_efficiency = 1;///< share of the measured NCCL bus bandwidth reached in serving
};

/// configs/calibration.json: factors per GPU family and a step-time factor per serving engine,
/// as `tokenplan calibrate` fits them.
struct calibration {
  input_file file;
  std::map<std::string, efficiency_factors> families;
  std::map<std::string, double> engines;
  std::string reference_engine;  ///< the engine whose factor is 1 by definition
  /// What 'calibrate' pulls the factors towards and starts from: the documented estimates of the
  /// "priors" block, one set for every family (datasheet-relative fractions carry across
  /// families) and one step-time factor for every engine. Fixed, never fitted: without the block
  /// (an older file), each family's own values serve, as before.
  bool has_priors = false;
  efficiency_factors family_prior{};
  double engine_prior = 1.0;
  /// Published microbenchmarks per family (priors.microbenchmarks): the share of its datasheet a
  /// family's GPUs reach in a large FP8 GEMM and in a streaming copy. Fixed, never fitted: a
  /// family that borrows another's fitted factors (too few points of its own) scales the
  /// borrowed GEMM and HBM fractions by the ratio of the two families' figures.
  struct microbenchmark {
    double gemm = 0.0;
    double hbm = 0.0;
  };
  std::map<std::string, microbenchmark> microbenchmarks;
};

/// A GPU type from configs/gpus/<name>.json, with its family's factors applied.
struct gpu_entry {
  std::string name;
  std::string description;
  std::string family;
  input_file file;
  gpu_spec spec{};
};

/// A model from configs/models/<name>.json.
struct model_entry {
  std::string name;
  std::string hf_repo;
  std::string architecture;  ///< "dense" or "moe"
  input_file file;
  model_spec spec{};
  double params = 0.0;         ///< total parameters, embeddings included
  double active_params = 0.0;  ///< parameters one token runs through
};

/// A length as the workload gives it: its mean and the tail used for memory fit and TTFT.
struct length_stats {
  double mean = 0.0;
  double tail = 0.0;
  double sq_mean = 0.0;  ///< E[length^2]
  std::string form;  ///< "fixed", "percentiles", "histogram" or "lognormal"
};

/// A workload from configs/workloads/<name>.json.
struct workload_entry {
  std::string name;
  std::string description;
  input_file file;
  workload_spec spec{};
  length_stats input, output;
  double tail_percentile = 0.99;
  std::vector<std::uint8_t> weight_precisions;  ///< formats the operator accepts for weights
  std::vector<std::uint8_t> kv_precisions;      ///< and for the KV cache
  std::vector<std::uint32_t> draft_tokens;      ///< speculative draft lengths to search ({0}: none)
  std::string engine;                           ///< serving engine; empty: the reference engine
};

/// How a site's GPUs are paid for.
enum class pricing_kind { lease, on_demand, owned };

/// The price terms of a site's GPUs (or of GPUs on offer).
struct site_pricing {
  pricing_kind kind = pricing_kind::lease;
  /// lease and on-demand: price per GPU-hour. A lease charges every contracted GPU 24 h a day,
  /// busy or idle; on-demand charges only the hours used.
  double usd_per_gpu_hour = 0.0;
  bool includes_power = true;         ///< the price covers power and facility (lease, on-demand)
  double term_months = 0.0;           ///< lease term (0: not stated); reported, not priced
  std::uint32_t committed_gpus = 0;   ///< lease: GPUs already under contract, paid whether used or not
  // owned: capex amortised as capex x r / (1 - (1 + r)^-n) per year
  double capex_usd_per_node = 0.0;
  double depreciation_years = 0.0;
  double cost_of_capital = 0.0;       ///< r, per year
  /// Network fabric, storage and host servers per node per month (all kinds).
  double node_usd_per_month = 0.0;

  /// Capital charge per node per year (owned), 0 otherwise.
  double capex_usd_per_node_year() const;
  /// What one GPU costs per hour it is held: the lease or on-demand price, or the owned
  /// capital charge, plus the node costs; energy not included.
  double usd_per_gpu_hour_held(std::uint32_t gpus_per_node) const;
  bool pays_energy() const { return kind == pricing_kind::owned || !includes_power; }
};

const char* pricing_kind_name(pricing_kind k);

/// GPUs that arrive at a site later.
struct delivery {
  std::string month;     ///< "YYYY-MM"
  std::uint32_t gpus = 0;
};

/// One site of a cluster file.
struct site_entry {
  std::string name;
  std::string gpu;              ///< GPU type name (key into cluster_entry::gpus)
  std::uint32_t gpu_index = 0;  ///< index into cluster_entry::gpus
  std::uint32_t gpus = 0;       ///< available now
  std::uint32_t gpus_per_node = 0;
  site_pricing pricing;
  double usd_per_gpu_hour = 0.0;  ///< pricing.usd_per_gpu_hour_held(): what the grid search ranks by
  bool price_includes_power = true;
  double usd_per_kwh = 0.0;
  double pue = 1.0;
  /// Power cap of the site: IT load in MW (a facility cap is divided by the PUE); 0 = none.
  double power_cap_it_mw = 0.0;
  std::string power_cap_field;   ///< "it_mw" or "facility_mw", as the file gave it
  double power_cap_given_mw = 0.0;
  double spare_fraction = -1.0;  ///< N+k spares per serving node; < 0: the cluster's
  std::vector<std::string> blocked_gpus;  ///< GPU types the site may not receive (export rules)
  std::vector<delivery> deliveries;
  /// More GPUs of its own type the site could take if the target needs them (at its price):
  /// < 0 unlimited (within the power cap), 0 none.
  double expansion_max_gpus = -1.0;
  /// Scale-out network of the site, overriding the GPU file's default when set (> 0 / >= 0).
  double scale_out_gb_per_s = 0.0;
  double scale_out_latency_us = -1.0;
  std::string interconnect;  ///< free-text description of the site's fabric
};

/// GPUs of a type that can be bought or leased for sites that may receive them.
struct gpu_offer {
  std::string gpu;
  std::uint32_t gpu_index = 0;
  std::uint32_t gpus_per_node = 8;
  site_pricing pricing;
  double max_gpus = -1.0;           ///< per site; < 0 unlimited (within power caps)
  std::vector<std::string> sites;   ///< empty: every site that does not block the type
  std::string description;
};

/// A cluster file with its GPU types resolved.
struct cluster_entry {
  std::string name;
  std::string description;
  input_file file;
  std::vector<site_entry> sites;
  std::vector<gpu_entry> gpus;  ///< distinct GPU types the sites and offers use, in first-use order
  std::vector<gpu_offer> offers;
  double spare_fraction = 0.0;  ///< N+k spares per serving node, unless a site says otherwise
};

/// Axes of one pool before they become layouts.
struct pool_request {
  std::vector<std::uint32_t> tp, pp, ep, dp;
  std::vector<std::uint32_t> chunk;  ///< per attention-DP rank
  std::vector<std::uint32_t> batch;  ///< per attention-DP rank
  std::string tp_path;               ///< JSON path of the grid file's tp axis for this pool; "" built-in
};

/// The searched axes, before they are fitted to a problem.
struct grid_request {
  std::string origin;  ///< "built-in" or the file path
  std::string sha256;  ///< of the file, empty for the built-in grid
  std::vector<std::string> sites;  ///< empty: every site of the cluster
  std::vector<std::uint8_t> weight_precisions;
  std::vector<std::uint8_t> kv_precisions;
  std::vector<std::uint32_t> draft_tokens;  ///< empty: the workload's
  bool aggregated = true;
  bool disaggregated = true;
  pool_request agg, prefill, decode;
};

/// Where named configs live: each root holds gpus/, models/, workloads/, clusters/ and
/// calibration.json. The first root that has a file wins.
struct config_roots {
  std::vector<std::string> roots;
  std::vector<std::string> dirs(const std::string& kind) const;
  /// Path of <root>/<kind>/<name>.json, or "" when no root has it.
  std::string find(const std::string& kind, const std::string& name) const;
  /// Path of the first <root>/calibration.json, or "".
  std::string calibration_file() const;
};

/// Folder of the running executable, or "".
std::string executable_dir();

/// Config roots, in order: the configs folder `near_file` sits in (its parent's parent, as in
/// configs/clusters/x.json), `extra` if given, the installed share folder, the source tree.
config_roots default_roots(const std::string& near_file, const std::string& extra = "");

/// True when a config argument is a path, not a preset name: it holds a '/' or ends in ".json".
bool looks_like_path(const std::string& arg);

/// A config a file names (a demand class's model, a sweep axis's GPU): a path, relative to
/// `base_dir` (the naming file's folder) unless absolute, or a shipped name of `kind` ("models",
/// "workloads", "grids", "gpus"). Returns the path; "" with the reason in *why when the file does
/// not exist or no root has the name (with a "did you mean" and the shipped names).
std::string resolve_named_config(const config_roots& roots, const std::string& kind, const std::string& arg,
                                 const std::string& base_dir, std::string* why);

/// "YYYY-MM" with a month from 01 to 12.
bool valid_month(const std::string& m);

/// The range of a daily token target, in files and on the command line. Below one token a day no
/// plan means anything (1e-300/day gave Inf and NaN); 1e18 a day is ~20,000x the largest public
/// figure (Google, ~43T/day in Oct 2025).
constexpr double min_tokens_per_day = 1.0;
constexpr double max_tokens_per_day = 1e18;

/// The GEMM efficiency of a GPU whose SMs have `sm_tensor_rate` times the tensor peak of its
/// family's reference, the family's fitted efficiency being `family_gemm`. A GEMM's time is its
/// FLOPs at the tensor peak plus a share the SM's feed does not hide, (1 / e - 1) of it on the
/// reference; that share is set by the SMs (their count and clock), so relative to a peak r times
/// lower per SM it is r times smaller: e' = 1 / (1 + (1 / e - 1) r). 1 (or 0, unset): e itself.
double gemm_efficiency_for(double family_gemm, double sm_tensor_rate);

/// Applies a family's fitted factors to a GPU: they replace its efficiencies and overheads (the
/// GEMM efficiency through gemm_efficiency_for), and the all-reduce efficiency scales its bus
/// bandwidth.
void apply_factors(gpu_spec& g, const efficiency_factors& f);

calibration load_calibration(const std::string& path);
gpu_entry load_gpu(const std::string& path, const calibration& cal);
model_entry load_model(const std::string& path);
workload_entry load_workload(const std::string& path);

/// Loads a cluster file. A site's "gpu" is a name looked up as <dir>/<name>.json in gpu_dirs (in
/// order), or a path (containing '/' or ending in .json) relative to the cluster file.
cluster_entry load_cluster(const std::string& path, const std::vector<std::string>& gpu_dirs, const calibration& cal);

/// The built-in grid for a model: see grid.cpp for the axes and why.
grid_request default_grid(const model_spec& m);

/// Loads a grid file; absent axes keep the built-in values for the model.
grid_request load_grid(const std::string& path, const model_spec& m);

/// The rule for draft lengths: a grid's draft length > 0 needs the workload's "speculative" block
/// (its acceptance and draft cost); without one the drafts would be costed and never accepted.
/// Throws config_error naming the grid file and $.draft_tokens.
void check_draft_axis(const grid_request& g, const workload_entry& w);

/// Geometric batch ladder: round(2^(k / per_octave)) for lo <= value <= hi, deduplicated.
std::vector<std::uint32_t> batch_ladder(std::uint32_t lo, std::uint32_t hi, std::uint32_t per_octave);

/// Structurally valid layouts from axis lists: EP divides TP x DP, and attention DP > 1 only
/// with EP > 1. Model- and GPU-specific checks happen in the model (counted, not dropped).
std::vector<layout> make_layouts(const pool_request& r);

/// Names (file stems) of the *.json files in the given directories, sorted, deduplicated.
std::vector<std::string> catalog_names(const std::vector<std::string>& dirs);

/// Parses "bf16" | "fp8" | "fp4"; returns false for anything else.
bool parse_precision(const std::string& name, std::uint8_t* out);

/// Parses what an engine overlaps with the expert all-to-all: "two_batch" | "single_batch" |
/// "none" (moe_overlap_kind); returns false for anything else.
bool parse_moe_overlap(const std::string& name, std::uint8_t* out);

/// Reads a length: a number, {"mean", "p50".."p99", "max"}, {"histogram": [[tokens, share]...]} or
/// {"lognormal": {"median", "sigma"}}. `percentile` picks the tail.
length_stats read_length(field_reader& r, const std::string& key, double percentile);

}  // namespace tokenplan
