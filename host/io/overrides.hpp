// Command-line overrides of the inputs, for the common questions without writing a file: the
// daily-token target (--target 30T/day), the request shape (--isl, --osl), the SLOs (--ttft,
// --tpot), the GPU type (--gpu h20: only the sites that have it) and the number formats (--weights
// fp8, --kv fp8: only those).
#pragma once

#include <string>

#include <cxxopts.hpp>
#include <nlohmann/json.hpp>

#include "io/loaders.hpp"

namespace tokenplan {

/// What the command line overrides; a value <= 0 (or an empty string) means "as the file says".
struct input_overrides {
  std::string target_text;      ///< --target as given ("30T/day")
  double tokens_per_day = 0.0;  ///< --target parsed
  double input_tokens = 0.0;    ///< --isl: every prompt this long
  double output_tokens = 0.0;   ///< --osl: every answer this long
  double ttft_ms = 0.0;         ///< --ttft
  double tpot_ms = 0.0;         ///< --tpot
  std::string gpu;              ///< --gpu as given ("h200")
  std::string gpu_type;         ///< the GPU type it resolved to ("h200-sxm"), once applied
  int weights = -1;             ///< --weights: the one weight format searched (precision code); -1 all
  int kv = -1;                  ///< --kv: the one KV-cache format searched; -1 all
  bool any() const;
  /// --isl, --osl, --ttft or --tpot: they change one workload, so they need --workload.
  bool changes_workload_shape() const;
};

/// Reads --target, --isl, --osl, --ttft, --tpot, --gpu, --weights and --kv (each optional). With a
/// demand file (`demand`), --target sets the demand's total and --gpu, --weights and --kv apply to
/// every class; the others change one workload, so they are a usage error there.
input_overrides parse_input_overrides(const cxxopts::ParseResult& a, bool demand);

/// Parses a token rate: a number with an optional k/M/G/B/T suffix (10^3 .. 10^12; B is a
/// billion), then "/" and a period: s (sec, second), min (minute), h (hr, hour) or d (day).
/// "30e12/day", "30T/day", "347M/s", "1.2e9/h". Returns tokens per day. Throws usage_error
/// naming `option` with what was expected and what was found.
double parse_tokens_per_day(const std::string& text, const std::string& option = "--target");

/// Parses a positive decimal number with '.' as the decimal point (any locale) in (0, hi];
/// `integer` demands a whole number. Throws usage_error naming `option`.
double parse_positive(const std::string& text, const std::string& option, double hi, bool integer);

/// Applies the workload overrides to a loaded workload: --target sets tokens_per_day; --isl
/// and --osl replace the length distributions with fixed lengths (mean = tail = N); --ttft and
/// --tpot the SLOs. Ranges are those the loader enforces; the model's context is checked by
/// check_context().
void apply_workload_overrides(workload_entry& w, const input_overrides& o);

/// --weights and --kv: the workload's accepted formats become the one pinned. Throws usage_error
/// when the workload (its "precisions") or the grid's axis excludes it, naming both.
void pin_precisions(workload_entry& w, const grid_request& g, const input_overrides& o);

/// With --isl/--osl: a tail request longer than the model's context is a usage error naming
/// the options (the file is not to blame).
void check_context(const workload_entry& w, const model_entry& m, const input_overrides& o);

/// Keeps only the sites (and GPUs on offer) whose GPU type is `name`: the exact type name,
/// case-insensitive, or a unique prefix ending at a '-' ("h200" for "h200-sxm"). The cluster's
/// GPU list is reindexed to the types left. Returns the type name. Throws usage_error with a
/// "did you mean" hint (over the cluster's types and `shipped_gpus`) when no site has it.
std::string restrict_cluster_to_gpu(cluster_entry& c, const std::string& name, const std::vector<std::string>& shipped_gpus);

/// The same for the grid's site axis: drops sites the restriction removed. Throws usage_error
/// when a grid file named sites and none of them is left.
void restrict_grid_sites(grid_request& g, const cluster_entry& c, const input_overrides& o);

/// The overrides as given and as applied, for the "inputs" section of the JSON outputs.
nlohmann::ordered_json overrides_json(const input_overrides& o);

/// "--target 30T/day (3.000e13 tokens/day), --tpot 20 ms": for tables; "" when none.
std::string overrides_text(const input_overrides& o);

}  // namespace tokenplan
